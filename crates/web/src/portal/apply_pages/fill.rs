//! What each step's page shows: the choices the step offers and, on the last, every answer with its change link.

use std::collections::BTreeMap;

use sscard_app::applications::{self as apps};
use sscard_app::ports::BranchFilter;
use sscard_domain::application::Application;

use super::super::pages::PageCtx;
use crate::problem::ApiError;

use super::*;

pub(super) fn names_of(codes: &[sscard_domain::codes::Code], en: bool, selected: Option<&str>) -> Vec<Opt> {
    codes
        .iter()
        .map(|c| Opt {
            code: c.code.clone(),
            name: c.name(en).to_string(),
            selected: Some(c.code.as_str()) == selected,
        })
        .collect()
}

pub(super) async fn fill(c: &PageCtx, a: &Application, step: &str, page: &mut Filled) -> Result<(), ApiError> {
    let codes = &c.state.ctx.codes;
    let en = c.en();
    page.id = a.id.clone();
    page.reference = a.reference.clone();
    page.step = step.to_string();
    page.state = a.state.as_str().to_string();
    page.route = a.route.as_str().to_string();
    let draft = apps::draft_view(&c.state.ctx, a, c.p.channel).await?;
    page.bank_locked = draft.choices.bank_locked;
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
    page.uploaded = a
        .documents
        .iter()
        .map(|(k, d)| (k.as_str().to_string(), format!("{} KB", d.bytes.div_ceil(1024))))
        .collect();
    let sel = |k: &str| page.values.get(k).cloned();
    // A collective application offers only what the employer allows (SPEC §6.2).
    let employer = draft.choices.employer.as_ref();
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
            .filter(|b| employer.is_none_or(|s| s.branches.iter().any(|x| x.bank == b.code)))
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
                .filter(|b| draft.choices.allows_branch(&b.bank, &b.code))
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
        draft
            .choices
            .collection_methods
            .iter()
            .map(|m| Opt {
                code: m.as_str().to_string(),
                name: c.m(&format!("collection-{}", m.as_str())),
                selected: sel("collection").as_deref() == Some(m.as_str()),
            })
            .collect(),
    );
    page.options = options;
    if let Some(person) = &draft.person {
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
    let person_name = draft
        .person
        .as_ref()
        .map(|p| p.name.as_str().to_string())
        .unwrap_or_default();
    let say = |id: &str| c.state.i18n.format(c.prefs.lang, id, &[("name", person_name.clone())]);
    let route = a.route.as_str();
    page.whose = say(&format!("whose-{route}"));
    page.confirm_question = say(&format!("confirm_question-{route}"));
    page.done_title = say(&format!("done_title-{route}"));
    let branch = match &f.branch {
        Some(code) => sscard_app::reference::branch(&c.state.ctx, code).await?,
        None => None,
    };
    let branch_label = branch.as_ref().map(|b| {
        let pickup = if b.accepts_pickup {
            String::new()
        } else {
            format!(" {}", c.m("branch_option_no_pickup"))
        };
        if en {
            format!("{} ({}){pickup}", b.name, b.address)
        } else {
            format!("{}（{}）{pickup}", b.name, b.address)
        }
    });
    let steps = super::steps::route_steps(a, c.p.channel);
    if let Some(n) = steps.iter().position(|s| *s == step) {
        page.progress = c.state.i18n.format(
            c.prefs.lang,
            "step_progress",
            &[("n", (n + 1).to_string()), ("total", steps.len().to_string())],
        );
        page.back = Some(match n {
            0 => "/applications".to_string(),
            _ => format!("/apply/{}/{}", a.id, steps[n - 1]),
        });
    }
    if f.collection.is_some_and(|m| m.collected_at_branch()) {
        page.pickup_at = branch_label.clone().unwrap_or_default();
    }
    if page.bank_locked {
        let bank = f
            .bank
            .as_deref()
            .map(|b| codes.name(sscard_domain::codes::Table::Bank, b, en));
        page.locked_to = [bank, branch_label.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
    }
    if step == "check" || step == "confirm" {
        page.rows = answers(c, a, &draft.choices, branch_label);
    }
    Ok(())
}

/// Check your answers: one row per answer, each with its change link.
pub(super) fn answers(c: &PageCtx, a: &Application, choices: &apps::DraftChoices, branch: Option<String>) -> Vec<Row> {
    let codes = &c.state.ctx.codes;
    let en = c.en();
    let f = &a.form;
    let name = |t: sscard_domain::codes::Table, v: &Option<String>| {
        v.as_deref().map(|code| codes.name(t, code, en)).unwrap_or_default()
    };
    let locked = choices.bank_locked;
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
            branch.or_else(|| f.branch.clone()).unwrap_or_default(),
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
