//! What every portal form shares: errors beside their fields and in the summary (GOV.UK pattern), in the
//! caller's language, from the same problem codes the API uses.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;

use crate::i18n::Lang;
use crate::problem::{problem_body, ApiError};
use crate::state::AppState;

#[derive(Serialize, Default, Debug, Clone)]
pub(crate) struct ErrorItem {
    pub field: String,
    pub message: String,
}

/// A generic message ("fill in this field", "choose from the list") said with the question's name, so that the
/// error summary names what to fix; `None` for a message that already does, or a field without a label.
fn named_message(state: &AppState, lang: Lang, field: &str, code: &str) -> Option<String> {
    const GENERIC: [&str; 2] = ["required", "invalid_choice"];
    if !GENERIC.contains(&code) {
        return None;
    }
    let key = field.replace('.', "_");
    let label = [format!("label-{key}"), format!("field-{key}")]
        .into_iter()
        .find(|id| state.i18n.has(lang, id))
        .map(|id| state.i18n.format(lang, &id, &[]))?;
    Some(
        state
            .i18n
            .format(lang, &format!("problem-{code}-named"), &[("field", label)]),
    )
}

/// What was wrong with a form: each message beside its field, and all of them in the summary.
#[derive(Serialize, Default)]
pub(crate) struct FieldErrors {
    pub errors: BTreeMap<String, String>,
    pub summary: Vec<ErrorItem>,
}

impl FieldErrors {
    /// The error in the caller's language. Errors without a field (locks, quotas) point at `first_field`.
    pub fn add(&mut self, state: &AppState, lang: Lang, err: &ApiError, first_field: &str) {
        let p = problem_body(state, lang, err, "", None);
        let items = if p.errors.is_empty() {
            vec![(first_field.to_string(), p.detail)]
        } else {
            p.errors
                .into_iter()
                .map(|e| {
                    let message = named_message(state, lang, &e.field, &e.code).unwrap_or(e.message);
                    (e.field, message)
                })
                .collect()
        };
        for (field, message) in items {
            // One message a field: the first said (a missing answer before what its absence also breaks).
            if self.errors.contains_key(&field) {
                continue;
            }
            self.errors.insert(field.clone(), message.clone());
            self.summary.push(ErrorItem { field, message });
        }
    }

    /// Puts the summary in the order the questions appear on the page (fields not listed keep their place
    /// after those that are).
    pub fn order(&mut self, fields: &[&str]) {
        self.summary
            .sort_by_key(|e| fields.iter().position(|f| *f == e.field).unwrap_or(fields.len()));
    }

    /// Each empty field's error: a question's own message (GOV.UK's "Select yes if …") where it has one, else
    /// the generic "fill in this field".
    pub fn required(&mut self, state: &AppState, lang: Lang, fields: &[(&str, bool)]) {
        const OWN_MESSAGE: [(&str, &str); 2] = [
            ("open", "open_required"),
            ("entity_collects", "entity_collects_required"),
        ];
        for (name, empty) in fields {
            if *empty {
                let code = OWN_MESSAGE
                    .iter()
                    .find(|(f, _)| f == name)
                    .map_or("required", |(_, c)| c);
                let err = ApiError::field(StatusCode::BAD_REQUEST, "invalid_fields", name, code);
                self.add(state, lang, &err, name);
            }
        }
    }

    /// Moves an error from the field the rule names to the field the page shows it beside (a page with one
    /// password field per card names each apart).
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(message) = self.errors.remove(from) {
            self.errors.insert(to.to_string(), message);
        }
        for item in &mut self.summary {
            if item.field == from {
                item.field = to.to_string();
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

/// Every field of a multipart form, in order, read whole (the body limit bounds them): its name and bytes. A
/// body cut short or over the limit is "payload too large".
pub(crate) async fn multipart_fields(
    mut multipart: axum::extract::Multipart,
) -> Result<Vec<(String, axum::body::Bytes)>, super::pages::PageError> {
    let mut out = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(out),
            Err(_) => return Err(ApiError::PayloadTooLarge.into()),
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return Err(ApiError::PayloadTooLarge.into());
        };
        out.push((name, bytes));
    }
}
