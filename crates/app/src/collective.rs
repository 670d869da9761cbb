//! Employer collective application (SPEC §6): the handler opens, changes or closes it; each employee
//! confirms their own data (the common draft of [`crate::applications`], on the collective route); the
//! handler submits confirmed employees in batches and follows them in a list with counts and a CSV export.
//!
//! A handler reaches only their own entity: anything else is "not found", like a missing record.

use std::collections::HashSet;

use chrono::Duration;
use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::application::{Application, ApplicationEvent, ApplicationState, ConsentKind, Route};
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::collective::{judge, AllowedBranch, CollectiveSettings, EmployeeStatus, SkipReason};
use sscard_domain::policy::PRODUCTION_DAYS;
use sscard_domain::registry::Entity;
use sscard_domain::values::{Mobile, PersonName, Uscc};

use crate::applications::to_act_on;
use crate::employer_settings::open_settings;
use crate::ports::{
    Batch, BatchItem, BatchWrite, BranchFilter, EmployeeQuery, EmployeeRow, NewOrder, SettingsChange, StoreError,
    StoredReply,
};
use crate::records::{fe, progress_sms, ApplyError, FieldError};
use crate::secrets::new_id;
use crate::AppContext;

/// Most employees one batch may carry: a whole large entity at once, bounded so one request stays one
/// transaction of a known size.
pub const MAX_BATCH: usize = 20_000;

/// Most rows on one page of the employee list.
pub const MAX_PAGE: u32 = 200;

/// The entity a handler acts for, or "not found" for anyone else.
fn entity_of(p: &Principal) -> Result<&Uscc, ApplyError> {
    match &p.account.kind {
        AccountKind::EntityHandler { entity } => Ok(entity),
        _ => Err(ApplyError::NotFound),
    }
}

/// The settings as the handler typed them.
#[derive(Debug, Clone, Default)]
pub struct SettingsIn {
    /// Open collective application (是否开通单位集中办卡).
    pub open: bool,
    /// The entity collects the cards for its employees (单位代领).
    pub entity_collects: bool,
    pub contact_name: String,
    pub contact_mobile: String,
    /// Branch codes employees may choose; each names its bank.
    pub branches: Vec<String>,
}

/// The handler's view: the entity (from the registry) and its settings, if any yet.
#[derive(Debug, Clone)]
pub struct EntityView {
    pub entity: Entity,
    pub settings: Option<CollectiveSettings>,
}

pub async fn view(ctx: &AppContext, p: &Principal) -> Result<EntityView, ApplyError> {
    let uscc = entity_of(p)?;
    let entity = ctx.store.entity(uscc).await?.ok_or(ApplyError::NotFound)?;
    Ok(EntityView {
        entity,
        settings: ctx.store.collective_settings(uscc).await?,
    })
}

/// Opens, changes or closes the entity's collective application (SPEC §6.1); every field checked before
/// anything is saved; each change kept in the history and the audit log.
pub async fn save_settings(
    ctx: &AppContext,
    p: &Principal,
    input: &SettingsIn,
) -> Result<CollectiveSettings, ApplyError> {
    let settings = checked_settings(ctx, p, input).await?;
    let purpose = if settings.open {
        "collective_open"
    } else {
        "collective_closed"
    };
    let audit = AuditEntry {
        at: settings.updated_at,
        actor: Some(p.account.id.clone()),
        role: Some(p.role()),
        channel: p.channel,
        organisation: p.account.kind.organisation(),
        action: AuditAction::StateChanged,
        record: Some(format!("collective:{}", settings.entity.as_str())),
        subject_person: None,
        purpose: Some(purpose.to_string()),
        outcome: Outcome::Success,
        ip: None,
    };
    ctx.store
        .save_collective_settings(&settings, p.channel, Some(&audit))
        .await?;
    Ok(settings)
}

/// Every field of the settings checked, nothing saved: the settings, or each field at fault.
pub async fn checked_settings(
    ctx: &AppContext,
    p: &Principal,
    input: &SettingsIn,
) -> Result<CollectiveSettings, ApplyError> {
    let uscc = entity_of(p)?.clone();
    if ctx.store.entity(&uscc).await?.is_none() {
        return Err(ApplyError::NotFound);
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let name = PersonName::parse(&input.contact_name).map_err(|_| errors.push(fe("contact_name", "name_invalid")));
    let mobile = Mobile::parse(&input.contact_mobile).map_err(|_| errors.push(fe("contact_mobile", "mobile_invalid")));
    let known = ctx.store.branches(&BranchFilter::default()).await?;
    let mut branches: Vec<AllowedBranch> = Vec::new();
    for code in &input.branches {
        let code = code.trim();
        match known.iter().find(|b| b.code == code) {
            Some(b) if !branches.iter().any(|x| x.branch == b.code) => branches.push(AllowedBranch {
                bank: b.bank.clone(),
                branch: b.code.clone(),
            }),
            Some(_) => {}
            None => errors.push(fe("branches", "invalid_choice")),
        }
    }
    if input.open && branches.is_empty() && !errors.iter().any(|e| e.field == "branches") {
        errors.push(fe("branches", "branches_required"));
    }
    let (Ok(contact_name), Ok(contact_mobile)) = (name, mobile) else {
        return Err(ApplyError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ApplyError::Invalid(errors));
    }
    branches.sort_by(|x, y| (&x.bank, &x.branch).cmp(&(&y.bank, &y.branch)));
    Ok(CollectiveSettings {
        entity: uscc,
        open: input.open,
        entity_collects: input.entity_collects,
        branches,
        contact_name,
        contact_mobile,
        updated_at: ctx.clock.now(),
        updated_by: p.account.id.clone(),
    })
}

pub async fn history(ctx: &AppContext, p: &Principal) -> Result<Vec<SettingsChange>, ApplyError> {
    Ok(ctx.store.collective_history(entity_of(p)?).await?)
}

/// The employee confirms their data (信息已确认, SPEC §6.2): the commitment and a separate confirmation;
/// complete; a branch and collection method the entity allows. Confirming again changes nothing.
pub async fn confirm(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    commitment: bool,
    confirmed: bool,
) -> Result<Application, ApplyError> {
    let a = to_act_on(ctx, p, id).await?;
    if a.route != Route::Collective {
        return Err(ApplyError::NotCollective);
    }
    if a.state == ApplicationState::Confirmed {
        return Ok(a);
    }
    let to = a
        .state
        .apply(ApplicationEvent::Confirm)
        .map_err(ApplyError::Transition)?;
    let settings = match &a.employer {
        Some(e) => open_settings(ctx, e).await?,
        None => return Err(ApplyError::NotFound),
    };
    crate::applications::ready_to_send(&a, commitment, confirmed)?;
    let mut errors = Vec::new();
    if !matches!((&a.form.bank, &a.form.branch), (Some(b), Some(br)) if settings.allows_branch(b, br)) {
        errors.push(fe("branch", "branch_not_allowed"));
    }
    if !a
        .form
        .collection
        .is_some_and(|m| settings.collection_methods(p.channel).contains(&m))
    {
        errors.push(fe("collection", "collection_not_allowed"));
    }
    if !errors.is_empty() {
        return Err(ApplyError::Invalid(errors));
    }
    let now = ctx.clock.now();
    let event = crate::records::event_by(p, now, ApplicationEvent::Confirm, Some(a.state), to, None);
    let commitment = crate::records::consent_given(p, &a.person, ConsentKind::Commitment, Some(&a.id), now);
    if !ctx
        .store
        .transition(&a.id, a.state, &event, None, Some(&commitment), None)
        .await?
    {
        let stored = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
        if stored.state == ApplicationState::Confirmed {
            return Ok(stored);
        }
        return Err(ApplyError::NotDraft(stored.state));
    }
    let mut done = a;
    done.state = to;
    done.updated_at = now;
    Ok(done)
}

/// Which confirmed employees the handler submits.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Application ids from the employee list; ignored when `all_confirmed` is set.
    pub applications: Vec<String>,
    /// Every employee confirmed right now.
    pub all_confirmed: bool,
}

/// One employee the batch submitted, or skipped and why.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BatchLine {
    pub application: String,
    /// The masked ID number (none for an application not found).
    pub person: Option<String>,
    pub reference: Option<String>,
    pub skipped: Option<SkipReason>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BatchOutcome {
    pub submitted: Vec<BatchLine>,
    pub skipped: Vec<BatchLine>,
    pub due_on: Option<chrono::NaiveDate>,
    /// This is the stored answer to an earlier request with the same idempotency key: the batch went
    /// through then, and nothing was done now.
    #[serde(skip)]
    pub replayed: bool,
}

/// The scope of a batch's remembered answer.
const BATCH_REPLY: &str = "entity_batch";

/// The answer remembered under this handler's key, marked as replayed.
async fn replay(ctx: &AppContext, p: &Principal, key: &str) -> Result<Option<BatchOutcome>, ApplyError> {
    let Some(body) = ctx.store.stored_reply(BATCH_REPLY, &p.account.id, key).await? else {
        return Ok(None);
    };
    let mut outcome: BatchOutcome =
        serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("stored batch reply: {e}")))?;
    outcome.replayed = true;
    Ok(Some(outcome))
}

/// Submits the selected confirmed employees (SPEC §6.3): one transaction for the batch; each skipped one
/// listed with its reason; a batch submitted again changes nothing (each is then `already_submitted`). With
/// an idempotency `key`, a retry (its first answer lost) gets the first answer again, marked replayed.
pub async fn submit(
    ctx: &AppContext,
    p: &Principal,
    selection: &Selection,
    key: Option<&str>,
) -> Result<BatchOutcome, ApplyError> {
    let uscc = entity_of(p)?.clone();
    if let Some(key) = key {
        if let Some(first) = replay(ctx, p, key).await? {
            return Ok(first);
        }
    }
    let settings = open_settings(ctx, &uscc).await?;
    // The selection in the handler's order, each id once (a set, not a scan: a selection may hold 10,000 ids).
    let mut wanted: Vec<String> = Vec::new();
    if !selection.all_confirmed {
        let mut seen = HashSet::new();
        for id in &selection.applications {
            if seen.insert(id.as_str()) {
                wanted.push(id.clone());
            }
        }
        if wanted.is_empty() {
            return Err(ApplyError::Invalid(vec![fe("applications", "selection_required")]));
        }
    }
    if wanted.len() > MAX_BATCH {
        return Err(ApplyError::Invalid(vec![fe("applications", "batch_too_large")]));
    }
    // Another handler of the same entity may move a row between our read and our write: then the whole batch
    // rolls back, and is judged again from what is stored now.
    for _ in 0..3 {
        let found = ctx
            .store
            .collective_applications(&uscc, (!selection.all_confirmed).then_some(wanted.as_slice()))
            .await?;
        let persons: Vec<_> = found.iter().map(|a| a.person.clone()).collect();
        let employers = ctx.store.employers_of(&persons).await?;
        let now = ctx.clock.now();
        let due_on = (now + Duration::days(PRODUCTION_DAYS)).date_naive();
        let mut outcome = BatchOutcome {
            submitted: Vec::new(),
            skipped: Vec::new(),
            due_on: None,
            replayed: false,
        };
        let mut items = Vec::new();
        for a in &found {
            let line = |skipped| BatchLine {
                application: a.id.clone(),
                person: Some(a.person.masked()),
                reference: Some(a.reference.clone()),
                skipped,
            };
            match judge(a, employers.get(a.person.as_str()), &settings) {
                Ok(()) => {
                    let bank = a.form.bank.clone().ok_or(ApplyError::Incomplete(vec!["bank".into()]))?;
                    items.push(BatchItem {
                        application: a.id.clone(),
                        order: NewOrder { id: new_id(), bank },
                        notify: progress_sms(ctx, a, ApplicationState::Submitted, None),
                    });
                    outcome.submitted.push(line(None));
                }
                Err(reason) => outcome.skipped.push(line(Some(reason))),
            }
        }
        let found_ids: HashSet<&str> = found.iter().map(|a| a.id.as_str()).collect();
        for id in &wanted {
            if !found_ids.contains(id.as_str()) {
                outcome.skipped.push(BatchLine {
                    application: id.clone(),
                    person: None,
                    reference: None,
                    skipped: Some(SkipReason::NotFound),
                });
            }
        }
        if !items.is_empty() {
            outcome.due_on = Some(due_on);
        }
        let reply = match key {
            Some(key) => Some(StoredReply {
                scope: BATCH_REPLY,
                actor: p.account.id.clone(),
                key: key.to_string(),
                body: serde_json::to_string(&outcome).map_err(|e| StoreError::Database(format!("batch reply: {e}")))?,
            }),
            None => None,
        };
        let batch = Batch {
            at: now,
            due_on,
            actor: p.account.id.clone(),
            channel: p.channel,
            items,
            reply,
        };
        match ctx.store.submit_batch(&batch).await? {
            BatchWrite::Written => return Ok(outcome),
            BatchWrite::StateChanged => continue,
            // The same request, sent twice at once: the other one went through; its answer is this one's.
            BatchWrite::KeyUsed => {
                if let Some(first) = replay(ctx, p, key.unwrap_or_default()).await? {
                    return Ok(first);
                }
            }
        }
    }
    Err(ApplyError::Store(StoreError::Database(
        "the batch kept changing under concurrent submissions; try again".into(),
    )))
}

/// A page of the employee list (职工申请情况查询, SPEC §6.4).
pub async fn employees(ctx: &AppContext, p: &Principal, mut q: EmployeeQuery) -> Result<Vec<EmployeeRow>, ApplyError> {
    let uscc = entity_of(p)?;
    q.limit = q.limit.clamp(1, MAX_PAGE);
    Ok(ctx.store.employees(uscc, &q).await?)
}

pub async fn counts(ctx: &AppContext, p: &Principal) -> Result<Vec<(EmployeeStatus, u64)>, ApplyError> {
    Ok(ctx.store.employee_counts(entity_of(p)?).await?)
}

/// Every employee of the list (with the same filters), for the CSV export, a page at a time.
pub async fn all_employees(ctx: &AppContext, p: &Principal, q: EmployeeQuery) -> Result<Vec<EmployeeRow>, ApplyError> {
    let uscc = entity_of(p)?;
    let mut out: Vec<EmployeeRow> = Vec::new();
    let mut page = EmployeeQuery {
        limit: 5_000,
        after: None,
        ..q
    };
    loop {
        let rows = ctx.store.employees(uscc, &page).await?;
        let done = rows.len() < page.limit as usize;
        page.after = rows.last().map(|r| r.person.as_str().to_string());
        out.extend(rows);
        if done {
            return Ok(out);
        }
    }
}

/// One of the entity's collective applications, for the handler; anyone else's is "not found".
pub async fn application(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    let uscc = entity_of(p)?;
    match ctx.store.application(id).await? {
        Some(a) if a.route == Route::Collective && a.employer.as_ref() == Some(uscc) => Ok(a),
        _ => Err(ApplyError::NotFound),
    }
}

/// A card the entity collected for an employee and still holds (SPEC §6.5).
#[derive(Debug, Clone)]
pub struct HeldCard {
    pub application: Application,
    pub delivered_at: chrono::DateTime<chrono::FixedOffset>,
    pub status: sscard_domain::collective::ReturnStatus,
    /// The holder's name, from the registry.
    pub name: String,
}

/// The cards the entity holds: each due for hand-out or return within 30 days of collection, or overdue.
pub async fn held_cards(ctx: &AppContext, p: &Principal) -> Result<Vec<HeldCard>, ApplyError> {
    let uscc = entity_of(p)?;
    let today = ctx.clock.now().date_naive();
    Ok(ctx
        .store
        .cards_at_entity(uscc)
        .await?
        .into_iter()
        .map(|(application, delivered_at, name)| HeldCard {
            status: sscard_domain::collective::ReturnStatus::of(delivered_at.date_naive(), today),
            application,
            delivered_at,
            name,
        })
        .collect())
}

/// Records that the entity handed the card to its holder (the application is collected), or returned it to
/// the bank, where the holder collects it at the branch (and is told so by text).
pub async fn settle_card(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    event: ApplicationEvent,
) -> Result<Application, ApplyError> {
    let a = application(ctx, p, id).await?;
    // Only a card the entity holds is settled here (a branch pickup is recorded at the counter).
    let refused = |from| {
        ApplyError::Transition(sscard_domain::application::TransitionError {
            from,
            event,
            expected: vec![ApplicationState::DeliveredToEntity],
        })
    };
    if a.state != ApplicationState::DeliveredToEntity {
        return Err(refused(a.state));
    }
    let to = a.state.apply(event).map_err(ApplyError::Transition)?;
    let note = match event {
        ApplicationEvent::Collect => "handed to the holder by the entity",
        _ => "returned to the bank by the entity",
    };
    let record = crate::records::event_by(p, ctx.clock.now(), event, Some(a.state), to, Some(note.to_string()));
    let notify = progress_sms(ctx, &a, to, None);
    if !ctx
        .store
        .transition(&a.id, a.state, &record, None, None, notify.as_ref())
        .await?
    {
        let now = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
        return Err(refused(now.state));
    }
    ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)
}
