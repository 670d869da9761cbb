//! The website flow of the seeds (001 retirees, 002 individuals) as GOV.UK-style pages: one question group per
//! page, error summary, check your answers with a change link per row, a separate confirmation, a confirmation
//! page with the reference, and 我的办事. Works without JavaScript; every rule is the use case's, as in the API.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::applications::{self as apps, ApplyError, FormPatch, MailPatch};
use sscard_app::ports::BranchFilter;
use sscard_domain::application::{Application, ApplicationState};
use sscard_domain::documents::DocumentKind;
use sscard_domain::eligibility::Ineligible;
use sscard_domain::policy::{bank_rule, collection_methods, BankRule, CollectionMethod};

use super::forms::FieldErrors;
use super::pages::{CsrfPage, PageCtx};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize, Clone)]
struct Opt {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize, Clone)]
struct Row {
    key: String,
    label: String,
    value: String,
    change: Option<String>,
}

#[derive(Serialize, Default)]
struct ApplyPage {
    csrf: String,
    id: String,
    reference: String,
    step: String,
    state: String,
    route: String,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    options: BTreeMap<String, Vec<Opt>>,
    /// Registry fields, shown and not editable.
    fixed: Vec<Row>,
    /// Check your answers.
    rows: Vec<Row>,
    bank_locked: bool,
    verified: bool,
    idempotency_key: String,
    due_on: String,
    from_check: bool,
    notice: Option<String>,
    applications: Vec<Row>,
    history: Vec<Row>,
    can_withdraw: bool,
    /// The documents this application needs, in the order asked (SPEC §5.4).
    documents: Vec<String>,
    /// A child's application: the default cartoon photo may be chosen today.
    cartoon_allowed: bool,
    /// My children: each ward and their applications.
    wards: Vec<WardRow>,
}

#[derive(Serialize, Clone)]
struct WardRow {
    name: String,
    /// Masked.
    id_number: String,
    relationship: String,
    /// Under 18 today.
    minor: bool,
    applications: Vec<Row>,
}

impl CsrfPage for ApplyPage {
    fn set_csrf(&mut self, csrf: String) {
        self.csrf = csrf;
    }
}

/// The caller's own application, or the page to answer with instead (404 for anyone else's).
async fn own(c: &PageCtx, id: &str) -> Result<Application, Response> {
    match apps::mine(&c.state.ctx, &c.p, id).await {
        Ok(a) => Ok(a),
        Err(ApplyError::NotFound) => Err(c.not_found().await),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

// ---- start ----

pub async fn start_page(c: PageCtx) -> Response {
    let page = ApplyPage {
        verified: c.p.account.is_real_name_verified(),
        ..ApplyPage::default()
    };
    c.show("apply_start.html", StatusCode::OK, page).await
}

#[derive(Deserialize)]
pub struct StartForm {
    disclaimer: Option<String>,
    access_authorisation: Option<String>,
}

pub async fn start(c: PageCtx, meta: ClientMeta, Form(f): Form<StartForm>) -> Response {
    let result = apps::start(
        &c.state.ctx,
        &c.p,
        f.disclaimer.is_some(),
        f.access_authorisation.is_some(),
        &meta.0,
    )
    .await;
    match result {
        Ok(a) => Redirect::to(&format!("/apply/{}/personal", a.id)).into_response(),
        Err(ApplyError::Ineligible(Ineligible::ApplicationInProgress { .. })) => {
            // Resume it: the open application, wherever it was started.
            let open = match apps::my_open_application(&c.state.ctx, &c.p).await {
                Ok(open) => open,
                Err(e) => return ApiError::from(e).into_response(),
            };
            match open {
                Some(a) if a.state.is_editable() && a.applicant == c.p.account.id => {
                    Redirect::to(&format!("/apply/{}/check", a.id)).into_response()
                }
                Some(a) if a.applicant == c.p.account.id => {
                    Redirect::to(&format!("/applications/{}", a.id)).into_response()
                }
                _ => Redirect::to("/applications").into_response(),
            }
        }
        Err(e) => {
            let mut page = ApplyPage {
                verified: c.p.account.is_real_name_verified(),
                ..ApplyPage::default()
            };
            let status = c.fail(&mut page.problems, e.into(), "disclaimer");
            c.show("apply_start.html", status, page).await
        }
    }
}

// ---- applying for a child ----

pub async fn child_start_page(c: PageCtx) -> Response {
    let mut page = ApplyPage {
        verified: c.p.account.is_real_name_verified(),
        ..ApplyPage::default()
    };
    page.values.insert("child_id_type".into(), "resident_id".into());
    c.show("apply_child.html", StatusCode::OK, page).await
}

#[derive(Deserialize)]
pub struct ChildStartForm {
    disclaimer: Option<String>,
    access_authorisation: Option<String>,
    child_name: Option<String>,
    child_id_type: Option<String>,
    child_id_number: Option<String>,
    /// Sent back from the confirmation page: the relationship the guardian confirmed.
    relationship: Option<String>,
}

/// The guardian's first page posts here twice: first to be shown the relationship from the household
/// register ("您与被代办人的关系是XX，请确认"), then with it confirmed, which creates the draft.
pub async fn child_start(c: PageCtx, meta: ClientMeta, Form(f): Form<ChildStartForm>) -> Response {
    let child = sscard_app::minors::ChildIn {
        name: f.child_name.clone().unwrap_or_default(),
        id_number: f.child_id_number.clone().unwrap_or_default(),
        id_type: f.child_id_type.clone().unwrap_or_default(),
    };
    let result = sscard_app::minors::start(
        &c.state.ctx,
        &c.p,
        f.disclaimer.is_some(),
        f.access_authorisation.is_some(),
        &child,
        f.relationship.as_deref(),
        &meta.0,
    )
    .await;
    let mut page = ApplyPage {
        verified: c.p.account.is_real_name_verified(),
        ..ApplyPage::default()
    };
    for (k, v) in [
        ("child_name", &f.child_name),
        ("child_id_type", &f.child_id_type),
        ("child_id_number", &f.child_id_number),
        ("disclaimer", &f.disclaimer),
        ("access_authorisation", &f.access_authorisation),
    ] {
        page.values.insert(k.into(), v.clone().unwrap_or_default());
    }
    match result {
        Ok(a) => Redirect::to(&format!("/apply/{}/child", a.id)).into_response(),
        Err(ApplyError::RelationshipUnconfirmed(code)) => {
            let name = c
                .state
                .ctx
                .codes
                .name(sscard_domain::codes::Table::GuardianRelationship, &code, c.en());
            page.notice = Some(
                c.state
                    .i18n
                    .format(c.prefs.lang, "relationship_confirm", &[("relationship", name)]),
            );
            page.values.insert("relationship".into(), code);
            c.show("apply_child.html", StatusCode::OK, page).await
        }
        Err(e) => {
            let first = match &e {
                ApplyError::ConsentRequired(k) => k.as_str(),
                _ => "child_name",
            };
            let status = c.fail(&mut page.problems, e.into(), first);
            c.show("apply_child.html", status, page).await
        }
    }
}

// ---- the steps ----

const STEPS: [&str; 9] = [
    "child",
    "personal",
    "bank",
    "branch",
    "collection",
    "mail",
    "documents",
    "check",
    "confirm",
];

/// The page after `step` for this application (the bank pages are skipped when the bank is locked, the mail
/// page unless the card is mailed).
fn next_step(a: &Application, step: &str) -> &'static str {
    let locked = bank_rule(a.route) == BankRule::PensionBank;
    let mailed = a.form.collection == Some(CollectionMethod::BankMail);
    let mut after = false;
    for s in STEPS {
        if after {
            let skip = (locked && (s == "bank" || s == "branch"))
                || (s == "mail" && !mailed)
                || (s == "child" && a.route != sscard_domain::application::Route::Minor);
            if !skip {
                return s;
            }
        }
        if s == step {
            after = true;
        }
    }
    "check"
}

#[derive(Deserialize, Default)]
pub struct StepQuery {
    from: Option<String>,
}

fn names_of(codes: &[sscard_domain::codes::Code], en: bool, selected: Option<&str>) -> Vec<Opt> {
    codes
        .iter()
        .map(|c| Opt {
            code: c.code.clone(),
            name: c.name(en).to_string(),
            selected: Some(c.code.as_str()) == selected,
        })
        .collect()
}

async fn fill(c: &PageCtx, a: &Application, step: &str, page: &mut ApplyPage) -> Result<(), ApiError> {
    let codes = &c.state.ctx.codes;
    let en = c.en();
    page.id = a.id.clone();
    page.reference = a.reference.clone();
    page.step = step.to_string();
    page.state = a.state.as_str().to_string();
    page.route = a.route.as_str().to_string();
    page.bank_locked = bank_rule(a.route) == BankRule::PensionBank;
    let f = &a.form;
    let mut v = |k: &str, val: Option<String>| {
        page.values.entry(k.to_string()).or_insert(val.unwrap_or_default());
    };
    v("ethnicity", f.ethnicity.clone());
    v("occupation", f.occupation.clone());
    v("residence_district", f.residence_district.clone());
    v("residence_address", f.residence_address.clone());
    v("mobile", f.mobile.as_ref().map(|m| m.as_str().to_string()));
    v("bank", f.bank.clone());
    v("branch", f.branch.clone());
    v("collection", f.collection.map(|m| m.as_str().to_string()));
    let mail = f.mail.as_ref();
    v("mail.recipient", mail.map(|m| m.recipient.as_str().to_string()));
    v("mail.mobile", mail.map(|m| m.mobile.as_str().to_string()));
    v("mail.district", mail.map(|m| m.district.clone()));
    v("mail.postal_code", mail.map(|m| m.postal_code.as_str().to_string()));
    v("mail.address", mail.map(|m| m.address.clone()));
    if let Some(m) = &a.minor {
        let yes_no = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" }.to_string());
        v("id_type", Some(m.id_type.as_str().to_string()));
        v("id_valid_from", m.id_valid_from.map(|d| d.to_string()));
        v("id_valid_until", m.id_valid_until.map(|d| d.to_string()));
        v("guardian_is_householder", yes_no(m.guardian_is_householder));
        v("same_booklet", yes_no(m.same_booklet));
        v("cartoon_photo", m.cartoon_photo.then(|| "yes".to_string()));
        page.cartoon_allowed = sscard_domain::minor::cartoon_allowed(&a.person, c.state.ctx.clock.now().date_naive());
    }
    page.documents = a.required_documents().iter().map(|k| k.as_str().to_string()).collect();
    let sel = |k: &str| page.values.get(k).cloned();
    // A collective application offers only what the employer allows (SPEC §6.2).
    let employer = match &a.employer {
        Some(e) => sscard_app::employer_settings::of_employer(&c.state.ctx, e).await?,
        None => None,
    };
    let districts: Vec<sscard_domain::codes::Code> = codes
        .districts
        .iter()
        .map(|d| sscard_domain::codes::Code {
            code: d.code.clone(),
            name_zh: d.name_zh.clone(),
            name_en: d.name_en.clone(),
        })
        .collect();
    let mut options = BTreeMap::new();
    options.insert(
        "ethnicity".into(),
        names_of(&codes.ethnic_groups, en, sel("ethnicity").as_deref()),
    );
    options.insert(
        "occupation".into(),
        names_of(&codes.occupations, en, sel("occupation").as_deref()),
    );
    options.insert(
        "residence_district".into(),
        names_of(&districts, en, sel("residence_district").as_deref()),
    );
    options.insert(
        "mail.district".into(),
        names_of(&districts, en, sel("mail.district").as_deref()),
    );
    options.insert(
        "bank".into(),
        codes
            .banks
            .iter()
            .filter(|b| {
                employer
                    .as_ref()
                    .is_none_or(|s| s.branches.iter().any(|x| x.bank == b.code))
            })
            .map(|b| Opt {
                code: b.code.clone(),
                name: if en { b.name_en.clone() } else { b.name_zh.clone() },
                selected: sel("bank").as_deref() == Some(b.code.as_str()),
            })
            .collect(),
    );
    if let Some(bank) = sel("bank").filter(|b| !b.is_empty()) {
        let no_pickup = c.state.i18n.format(c.prefs.lang, "branch_option_no_pickup", &[]);
        let branches = sscard_app::reference::branches(
            &c.state.ctx,
            &BranchFilter {
                bank: Some(bank),
                ..BranchFilter::default()
            },
        )
        .await?;
        options.insert(
            "branch".into(),
            branches
                .into_iter()
                .filter(|b| employer.as_ref().is_none_or(|s| s.allows_branch(&b.bank, &b.code)))
                .map(|b| Opt {
                    selected: sel("branch").as_deref() == Some(b.code.as_str()),
                    // Said before the method is chosen, so nobody picks a branch they cannot collect from.
                    name: if b.accepts_pickup {
                        format!("{} ({})", b.name, b.address)
                    } else {
                        format!("{} ({}) {}", b.name, b.address, no_pickup)
                    },
                    code: b.code,
                })
                .collect(),
        );
    }
    options.insert(
        "collection".into(),
        employer
            .as_ref()
            .map(|s| s.collection_methods(c.p.channel))
            .unwrap_or_else(|| collection_methods(a.route, c.p.channel).to_vec())
            .iter()
            .map(|m| Opt {
                code: m.as_str().to_string(),
                name: c.m(&format!("collection-{}", m.as_str())),
                selected: sel("collection").as_deref() == Some(m.as_str()),
            })
            .collect(),
    );
    page.options = options;
    if let Some(person) = apps::registry_record(&c.state.ctx, a).await? {
        let id_type = match &a.minor {
            Some(m) => c.m(&format!("id_type-{}", m.id_type.as_str())),
            None => c.m("apply_id_type_resident"),
        };
        let mut fixed = vec![
            ("apply_name", person.name.as_str().to_string()),
            ("apply_id_type", id_type),
            ("apply_id_number", person.id_number.masked()),
            ("apply_id_valid_from", person.id_valid_from.to_string()),
            (
                "apply_id_valid_until",
                person
                    .id_valid_until
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| c.m("apply_long_term")),
            ),
            ("apply_gender", c.m(&format!("gender-{}", person.gender.as_str()))),
            ("apply_birth_date", person.birth_date().to_string()),
            (
                "apply_nationality",
                codes.name(sscard_domain::codes::Table::Nationality, &person.nationality, en),
            ),
        ];
        if let Some(m) = &a.minor {
            // Fixed from the household register once the guardian confirmed it.
            fixed.insert(
                0,
                (
                    "field-relationship",
                    codes.name(sscard_domain::codes::Table::GuardianRelationship, &m.relationship, en),
                ),
            );
        }
        page.fixed = fixed
            .into_iter()
            .map(|(k, value)| Row {
                key: k.into(),
                label: c.m(k),
                value,
                change: None,
            })
            .collect();
    }
    if step == "check" || step == "confirm" {
        page.rows = answers(c, a);
    }
    Ok(())
}

/// Check your answers: one row per answer, each with its change link.
fn answers(c: &PageCtx, a: &Application) -> Vec<Row> {
    let codes = &c.state.ctx.codes;
    let en = c.en();
    let f = &a.form;
    let name = |t: sscard_domain::codes::Table, v: &Option<String>| {
        v.as_deref().map(|code| codes.name(t, code, en)).unwrap_or_default()
    };
    let locked = bank_rule(a.route) == BankRule::PensionBank;
    let change = |step: &str| Some(format!("/apply/{}/{step}?from=check", a.id));
    let mut rows = vec![
        (
            "ethnicity",
            name(sscard_domain::codes::Table::EthnicGroup, &f.ethnicity),
            change("personal"),
        ),
        (
            "occupation",
            name(sscard_domain::codes::Table::Occupation, &f.occupation),
            change("personal"),
        ),
        (
            "residence_district",
            name(sscard_domain::codes::Table::District, &f.residence_district),
            change("personal"),
        ),
        (
            "residence_address",
            f.residence_address.clone().unwrap_or_default(),
            change("personal"),
        ),
        (
            "mobile",
            f.mobile.as_ref().map(|m| m.as_str().to_string()).unwrap_or_default(),
            change("personal"),
        ),
        (
            "bank",
            name(sscard_domain::codes::Table::Bank, &f.bank),
            if locked { None } else { change("bank") },
        ),
        (
            "branch",
            f.branch.clone().unwrap_or_default(),
            if locked { None } else { change("branch") },
        ),
        (
            "collection",
            f.collection
                .map(|m| c.m(&format!("collection-{}", m.as_str())))
                .unwrap_or_default(),
            change("collection"),
        ),
    ];
    if let Some(m) = &f.mail {
        rows.push((
            "mail",
            format!(
                "{} {} · {} {} {}",
                m.recipient.as_str(),
                m.mobile.as_str(),
                codes.name(sscard_domain::codes::Table::District, &m.district, en),
                m.postal_code.as_str(),
                m.address
            ),
            change("mail"),
        ));
    }
    if let Some(m) = &a.minor {
        let yes_no = |b: Option<bool>| match b {
            Some(true) => c.m("answer-yes"),
            Some(false) => c.m("answer-no"),
            None => String::new(),
        };
        rows.push((
            "child_id_type",
            c.m(&format!("id_type-{}", m.id_type.as_str())),
            change("child"),
        ));
        rows.push((
            "id_valid_from",
            m.id_valid_from.map(|d| d.to_string()).unwrap_or_default(),
            change("child"),
        ));
        if m.id_type == sscard_domain::minor::ChildIdType::ResidentId {
            rows.push((
                "id_valid_until",
                m.id_valid_until.map(|d| d.to_string()).unwrap_or_default(),
                change("child"),
            ));
        } else {
            rows.push((
                "guardian_is_householder",
                yes_no(m.guardian_is_householder),
                change("child"),
            ));
            rows.push(("same_booklet", yes_no(m.same_booklet), change("child")));
        }
        if m.cartoon_photo {
            rows.push(("cartoon_photo", c.m("answer-yes"), change("child")));
        }
    }
    for k in a.required_documents() {
        let done = a
            .documents
            .get(&k)
            .map(|d| format!("✓ {} KB", d.bytes / 1024))
            .unwrap_or_default();
        rows.push((k.as_str(), done, change("documents")));
    }
    rows.into_iter()
        .map(|(k, value, change)| Row {
            key: k.to_string(),
            label: c.m(&format!("field-{k}")),
            value,
            change,
        })
        .collect()
}

pub async fn step_page(c: PageCtx, Path((id, step)): Path<(String, String)>, Query(q): Query<StepQuery>) -> Response {
    show_step(c, id, step, q).await
}

/// The documents page (its POST is multipart, so it has its own route).
pub async fn documents_page(c: PageCtx, Path(id): Path<String>, Query(q): Query<StepQuery>) -> Response {
    show_step(c, id, "documents".into(), q).await
}

async fn show_step(c: PageCtx, id: String, step: String, q: StepQuery) -> Response {
    if !STEPS.contains(&step.as_str()) && step != "done" {
        return c.not_found().await;
    }
    let a = match own(&c, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !a.state.is_editable() && step != "done" {
        return Redirect::to(&format!("/applications/{}", a.id)).into_response();
    }
    let mut page = ApplyPage {
        from_check: q.from.as_deref() == Some("check"),
        ..ApplyPage::default()
    };
    if step == "confirm" {
        page.idempotency_key = c.state.ctx.secrets.token();
    }
    if step == "done" {
        page.due_on = a.due_on.map(|d| d.to_string()).unwrap_or_default();
    }
    if let Err(e) = fill(&c, &a, &step, &mut page).await {
        return e.into_response();
    }
    c.show("apply_step.html", StatusCode::OK, page).await
}

/// Every field a step page can post; each step reads its own.
#[derive(Deserialize, Default)]
pub struct StepForm {
    ethnicity: Option<String>,
    occupation: Option<String>,
    residence_district: Option<String>,
    residence_address: Option<String>,
    mobile: Option<String>,
    bank: Option<String>,
    branch: Option<String>,
    collection: Option<String>,
    #[serde(rename = "mail.recipient")]
    mail_recipient: Option<String>,
    #[serde(rename = "mail.mobile")]
    mail_mobile: Option<String>,
    #[serde(rename = "mail.district")]
    mail_district: Option<String>,
    #[serde(rename = "mail.postal_code")]
    mail_postal_code: Option<String>,
    #[serde(rename = "mail.address")]
    mail_address: Option<String>,
    commitment: Option<String>,
    confirm: Option<String>,
    idempotency_key: Option<String>,
    from: Option<String>,
    id_type: Option<String>,
    id_valid_from: Option<String>,
    id_valid_until: Option<String>,
    guardian_is_householder: Option<String>,
    same_booklet: Option<String>,
    cartoon_photo: Option<String>,
}

impl StepForm {
    fn patch(&self, step: &str) -> Result<FormPatch, Vec<&'static str>> {
        let given = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut missing = Vec::new();
        let mut need = |name: &'static str, v: &Option<String>| {
            if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
                missing.push(name);
            }
        };
        let patch = match step {
            "personal" => {
                for (n, v) in [
                    ("ethnicity", &self.ethnicity),
                    ("occupation", &self.occupation),
                    ("residence_district", &self.residence_district),
                    ("residence_address", &self.residence_address),
                    ("mobile", &self.mobile),
                ] {
                    need(n, v);
                }
                FormPatch {
                    ethnicity: Some(given(&self.ethnicity)),
                    occupation: Some(given(&self.occupation)),
                    residence_district: Some(given(&self.residence_district)),
                    residence_address: Some(given(&self.residence_address)),
                    mobile: Some(given(&self.mobile)),
                    ..FormPatch::default()
                }
            }
            "bank" => {
                need("bank", &self.bank);
                FormPatch {
                    bank: Some(given(&self.bank)),
                    ..FormPatch::default()
                }
            }
            "branch" => {
                need("branch", &self.branch);
                FormPatch {
                    branch: Some(given(&self.branch)),
                    ..FormPatch::default()
                }
            }
            "collection" => {
                need("collection", &self.collection);
                FormPatch {
                    collection: Some(given(&self.collection)),
                    ..FormPatch::default()
                }
            }
            "mail" => FormPatch {
                mail: Some(MailPatch {
                    recipient: self.mail_recipient.clone(),
                    mobile: self.mail_mobile.clone(),
                    district: self.mail_district.clone(),
                    postal_code: self.mail_postal_code.clone(),
                    address: self.mail_address.clone(),
                }),
                ..FormPatch::default()
            },
            _ => FormPatch::default(),
        };
        if missing.is_empty() {
            Ok(patch)
        } else {
            Err(missing)
        }
    }
}

pub async fn step_submit(c: PageCtx, Path((id, step)): Path<(String, String)>, Form(f): Form<StepForm>) -> Response {
    let a = match own(&c, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let from_check = f.from.as_deref() == Some("check");
    let mut page = ApplyPage {
        from_check,
        ..ApplyPage::default()
    };
    let result: Result<Application, ApplyError> = match step.as_str() {
        "check" => {
            if f.commitment.is_none() {
                Err(ApplyError::ConsentRequired(
                    sscard_domain::application::ConsentKind::Commitment,
                ))
            } else {
                let missing = a.missing();
                if missing.is_empty() {
                    return Redirect::to(&format!("/apply/{}/confirm", a.id)).into_response();
                }
                Err(ApplyError::Incomplete(missing))
            }
        }
        // An employee confirms; the employer submits (SPEC §6.2).
        "confirm" if a.route == sscard_domain::application::Route::Collective => {
            sscard_app::collective::confirm(&c.state.ctx, &c.p, &a.id, true, f.confirm.is_some()).await
        }
        "confirm" => {
            apps::submit(
                &c.state.ctx,
                &c.p,
                &a.id,
                true,
                f.confirm.is_some(),
                f.idempotency_key.as_deref(),
            )
            .await
        }
        "child" => {
            let yes_no = |v: &Option<String>| v.as_deref().map(|v| v == "yes");
            let patch = sscard_app::minors::MinorPatch {
                id_type: f.id_type.clone(),
                id_valid_from: f.id_valid_from.clone().filter(|v| !v.trim().is_empty()),
                id_valid_until: f.id_valid_until.clone().filter(|v| !v.trim().is_empty()),
                guardian_is_householder: yes_no(&f.guardian_is_householder),
                same_booklet: yes_no(&f.same_booklet),
                cartoon_photo: Some(f.cartoon_photo.is_some()),
            };
            sscard_app::minors::update(&c.state.ctx, &c.p, &a.id, &patch).await
        }
        s if STEPS.contains(&s) => match f.patch(s) {
            Ok(patch) => apps::update(&c.state.ctx, &c.p, &a.id, &patch).await,
            Err(missing) => {
                page.problems.required(
                    &c.state,
                    c.prefs.lang,
                    &missing.iter().map(|m| (*m, true)).collect::<Vec<_>>(),
                );
                Err(ApplyError::Invalid(Vec::new()))
            }
        },
        _ => return ApiError::NotFound.into_response(),
    };
    match result {
        Ok(updated) if step == "confirm" => Redirect::to(&format!("/apply/{}/done", updated.id)).into_response(),
        Ok(updated) => {
            let next = if from_check
                && !(step == "collection"
                    && updated.form.collection == Some(CollectionMethod::BankMail)
                    && updated.form.mail.is_none())
                && step != "bank"
            {
                "check"
            } else {
                next_step(&updated, &step)
            };
            Redirect::to(&format!("/apply/{}/{next}", updated.id)).into_response()
        }
        Err(e) => {
            // What was typed is shown again, beside its error; nothing was stored.
            let typed = [
                ("ethnicity", &f.ethnicity),
                ("occupation", &f.occupation),
                ("residence_district", &f.residence_district),
                ("residence_address", &f.residence_address),
                ("mobile", &f.mobile),
                ("bank", &f.bank),
                ("branch", &f.branch),
                ("collection", &f.collection),
                ("mail.recipient", &f.mail_recipient),
                ("mail.mobile", &f.mail_mobile),
                ("mail.district", &f.mail_district),
                ("mail.postal_code", &f.mail_postal_code),
                ("mail.address", &f.mail_address),
                ("id_type", &f.id_type),
                ("id_valid_from", &f.id_valid_from),
                ("id_valid_until", &f.id_valid_until),
                ("guardian_is_householder", &f.guardian_is_householder),
                ("same_booklet", &f.same_booklet),
                ("cartoon_photo", &f.cartoon_photo),
            ];
            for (k, v) in typed {
                if let Some(v) = v {
                    page.values.insert(k.to_string(), v.clone());
                }
            }
            let status = match &e {
                ApplyError::Invalid(list) if list.is_empty() => StatusCode::BAD_REQUEST,
                _ => {
                    let first = match step.as_str() {
                        "check" => "commitment",
                        "confirm" => "confirm",
                        "personal" => "ethnicity",
                        "child" => "id_valid_from",
                        other => other,
                    };
                    c.fail(&mut page.problems, e.into(), first)
                }
            };
            if step == "confirm" {
                page.idempotency_key = c.state.ctx.secrets.token();
            }
            if let Err(e) = fill(&c, &a, &step, &mut page).await {
                return e.into_response();
            }
            c.show("apply_step.html", status, page).await
        }
    }
}

/// The documents page posts a multipart form: each file chosen is judged and attached on its own.
pub async fn documents_submit(c: PageCtx, Path(id): Path<String>, mut multipart: Multipart) -> Response {
    let mut page = ApplyPage::default();
    let mut from_check = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return ApiError::PayloadTooLarge.into_response(),
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return ApiError::PayloadTooLarge.into_response();
        };
        if name == "from" {
            from_check = bytes.as_ref() == b"check";
            continue;
        }
        let Some(kind) = DocumentKind::parse(&name) else {
            continue;
        };
        if bytes.is_empty() {
            continue;
        }
        match apps::upload(&c.state.ctx, &c.p, &id, kind, bytes.to_vec()).await {
            Ok(_) => {}
            Err(ApplyError::Document(d)) => {
                page.problems.add(
                    &c.state,
                    c.prefs.lang,
                    &crate::refusals::document_error(kind.as_str(), d),
                    kind.as_str(),
                );
            }
            Err(e @ ApplyError::DocumentNotRequired(_)) => {
                page.problems
                    .add(&c.state, c.prefs.lang, &ApiError::from(e), kind.as_str());
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let a = match own(&c, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if page.problems.is_empty() {
        let missing: Vec<DocumentKind> = a
            .required_documents()
            .into_iter()
            .filter(|k| !a.documents.contains_key(k))
            .collect();
        if missing.is_empty() {
            let _ = from_check;
            return Redirect::to(&format!("/apply/{}/check", a.id)).into_response();
        }
        page.problems.required(
            &c.state,
            c.prefs.lang,
            &missing.iter().map(|k| (k.as_str(), true)).collect::<Vec<_>>(),
        );
    }
    if let Err(e) = fill(&c, &a, "documents", &mut page).await {
        return e.into_response();
    }
    c.show("apply_step.html", StatusCode::BAD_REQUEST, page).await
}

// ---- 我的办事 ----

/// One application in a list: its reference (linked), its c.state, its due date.
fn listed(c: &PageCtx, a: &Application) -> Row {
    Row {
        key: a.id.clone(),
        label: a.reference.clone(),
        value: state_name(c, a.state),
        change: a.due_on.map(|d| d.to_string()),
    }
}

fn state_name(c: &PageCtx, s: ApplicationState) -> String {
    c.m(&format!("state-{}", s.as_str()))
}

pub async fn my_applications(c: PageCtx) -> Response {
    let list = match apps::list_mine(&c.state.ctx, &c.p).await {
        Ok(l) => l,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let page = ApplyPage {
        applications: list.iter().map(|a| listed(&c, a)).collect(),
        ..ApplyPage::default()
    };
    c.show("applications.html", StatusCode::OK, page).await
}

/// "My children": each child the household register lists the caller as guardian of, with their
/// applications and where each stands.
pub async fn my_children(c: PageCtx) -> Response {
    let wards = match sscard_app::minors::children(&c.state.ctx, &c.p).await {
        Ok(w) => w,
        Err(ApplyError::MayNotApply(_)) => Vec::new(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let page = ApplyPage {
        verified: c.p.account.is_real_name_verified(),
        wards: wards
            .into_iter()
            .map(|w| WardRow {
                name: w
                    .child
                    .as_ref()
                    .map(|p| p.name.as_str().to_string())
                    .unwrap_or_default(),
                id_number: w.link.child.masked(),
                relationship: c.state.ctx.codes.name(
                    sscard_domain::codes::Table::GuardianRelationship,
                    &w.link.relationship,
                    c.en(),
                ),
                minor: w.minor,
                applications: w.applications.iter().map(|a| listed(&c, a)).collect(),
            })
            .collect(),
        ..ApplyPage::default()
    };
    c.show("children.html", StatusCode::OK, page).await
}

pub async fn my_application(c: PageCtx, Path(id): Path<String>) -> Response {
    // Readable also by a listed guardian who did not apply, and by the young adult the card is for.
    let a = match apps::readable(&c.state.ctx, &c.p, &id).await {
        Ok(a) => a,
        Err(ApplyError::NotFound) => return c.not_found().await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let history = match apps::history(&c.state.ctx, &c.p, &id).await {
        Ok(h) => h,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut page = ApplyPage {
        due_on: a.due_on.map(|d| d.to_string()).unwrap_or_default(),
        can_withdraw: a.applicant == c.p.account.id
            && a.state
                .apply(sscard_domain::application::ApplicationEvent::Withdraw)
                .is_ok(),
        history: history
            .into_iter()
            .map(|e| Row {
                key: e.event.as_str().into(),
                label: e.at.format("%Y-%m-%d %H:%M").to_string(),
                value: state_name(&c, e.to),
                change: Some(c.m(&format!("channel-{}", e.channel.as_str()))),
            })
            .collect(),
        notice: Some(c.m(&format!("next-{}", a.state.as_str()))),
        ..ApplyPage::default()
    };
    if let Err(e) = fill(&c, &a, "check", &mut page).await {
        return e.into_response();
    }
    page.state = state_name(&c, a.state);
    c.show("application.html", StatusCode::OK, page).await
}

pub async fn withdraw(c: PageCtx, Path(id): Path<String>) -> Response {
    match apps::withdraw(&c.state.ctx, &c.p, &id).await {
        Ok(a) => Redirect::to(&format!("/applications/{}", a.id)).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
