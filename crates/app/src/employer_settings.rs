//! An employer's collective settings as they bear on an employee's draft: whether the entity's collective
//! application is open, and what it fills in (the one collection method or branch it allows). Read by the
//! draft and the form (`applications`) and by the employer's own flows (`collective`).

use sscard_domain::access::Channel;
use sscard_domain::application::{Application, ApplicationForm};
use sscard_domain::collective::CollectiveSettings;
use sscard_domain::values::Uscc;

use crate::records::ApplyError;
use crate::AppContext;

/// The settings of the entity an employee's collective draft belongs to.
pub(crate) async fn settings_of(ctx: &AppContext, a: &Application) -> Result<CollectiveSettings, ApplyError> {
    let employer = a.employer.as_ref().ok_or(ApplyError::NotFound)?;
    ctx.store
        .collective_settings(employer)
        .await?
        .ok_or(ApplyError::CollectiveClosed)
}

/// The settings of an entity whose collective application is open, or `CollectiveClosed`.
pub(crate) async fn open_settings(ctx: &AppContext, entity: &Uscc) -> Result<CollectiveSettings, ApplyError> {
    match ctx.store.collective_settings(entity).await? {
        Some(s) if s.open => Ok(s),
        _ => Err(ApplyError::CollectiveClosed),
    }
}

/// An employee's form as the entity's settings fill it in: the one collection method or branch allowed.
pub(crate) fn prefill(mut form: ApplicationForm, s: &CollectiveSettings, channel: Channel) -> ApplicationForm {
    if let [only] = s.collection_methods(channel).as_slice() {
        form.collection = Some(*only);
    }
    if let [only] = s.branches.as_slice() {
        form.bank = Some(only.bank.clone());
        form.branch = Some(only.branch.clone());
    }
    form
}

/// An employer's settings, open or not (none before the handler first saves them).
pub async fn of_employer(
    ctx: &AppContext,
    employer: &Uscc,
) -> Result<Option<CollectiveSettings>, crate::ports::StoreError> {
    ctx.store.collective_settings(employer).await
}
