//! Applying for one's own card (SPEC §5.1–5.6): the eligibility check, the draft and its form, the documents,
//! consents, submission, withdrawal, and "my applications".
//!
//! Every refusal leaves stored data as it was: a form patch is checked whole before anything is saved; a
//! document is judged before it is stored; state changes are conditional on the state read.
//!
//! - [`eligibility`]: who may apply, on which route.
//! - [`choices`]: what a draft may choose (bank locked, collection methods, the employer's settings), in one answer.
//! - [`draft`]: starting or resuming a draft, reading and listing applications.
//! - [`form`]: the form patch.
//! - [`documents`]: uploading and reading documents.
//! - [`submit`]: submission and withdrawal.
//! - [`counter`]: an application taken at a counter (outside the campaign), then completed by the clerk.
//!
//! The refusals and the records every flow writes are in [`crate::records`]; the employer's settings as they
//! bear on a draft in [`crate::employer_settings`].

mod choices;
mod counter;
mod documents;
mod draft;
mod eligibility;
mod form;
mod submit;

pub use crate::records::{ApplyError, FieldError};
pub use choices::{draft_view, DraftChoices, DraftView};
pub(crate) use counter::desk_channel;
pub use counter::{start_at_counter, CounterApplicationIn};
pub(crate) use documents::judged;
pub use documents::{document, upload};
pub(crate) use draft::{create_draft, new_reference, prefilled, to_act_on};
pub use draft::{history, list_mine, mine, my_open_application, readable, registry_record, start};
pub use eligibility::{
    check_eligibility, opening_setting, openings, set_opening, Eligible, Opening, OpeningError, CATEGORIES,
};
pub(crate) use eligibility::{facts_for, may_apply};
pub use form::{check_patch, update, FormPatch, MailPatch};
pub(crate) use submit::ready_to_send;
pub use submit::{submit, withdraw};
