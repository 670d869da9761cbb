//! The one API error type and its mapping to HTTP (RFC 9457 problem details).
//!
//! Handlers return `Result<_, ApiError>`. The error travels in the response's extensions and the
//! [`render_problems`] middleware writes the document in the caller's language (`Accept-Language`), so every
//! error — including the framework's own 404, 405 and 413 — leaves the API in one shape.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sscard_app::ports::StoreError;
use sscard_app::reference::ReferenceError;
use utoipa::ToSchema;

use crate::i18n::Lang;
use crate::state::AppState;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:sscard:problem:{code}`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code of the rule that failed.
    #[schema(example = "unknown_district")]
    pub code: String,
    /// The path of the request.
    pub instance: String,
    pub request_id: Option<String>,
    /// Field-level errors, when the request had fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a service refused on this channel: the channels (SPEC §2 codes) where it can be done instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["district_outlet", "bank_outlet"]))]
    pub channels: Vec<String>,
    /// For a refusal that passes on a known day (a bank change within six months): the first day it is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2027-05-21")]
    pub allowed_from: Option<String>,
    /// For a change refused while live data depends on what it takes away (`dependents_exist`): what, and how
    /// many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependents: Option<Dependents>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dependents {
    /// `pickups_waiting` (cards still to be collected at a branch) or `clerks_bound` (live clerks' accounts
    /// bound to an outlet).
    pub what: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("invalid query parameter {field:?}")]
    /// A query parameter that does not parse; `field` when the parser names it.
    InvalidQuery { field: Option<String> },
    #[error("invalid json: {0}")]
    InvalidJson(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("unknown bank {0}")]
    UnknownBank(String),
    #[error("unknown district {0}")]
    UnknownDistrict(String),
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    /// A bounded resource (password hashing) is at its bound: try again shortly.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    #[error("timeout")]
    Timeout,
    #[error("internal: {0}")]
    Internal(String),
    #[error("bad request")]
    BadRequest,
    /// A rule of the service refused the request: a stable code, the fields at fault (each with the code of
    /// its message), and message arguments.
    #[error("{code}")]
    Rule {
        status: StatusCode,
        code: &'static str,
        fields: Vec<(String, &'static str)>,
        args: Vec<(&'static str, String)>,
        /// Seconds until a retry may succeed (`Retry-After`), for a refusal that passes with time.
        retry_after: Option<u64>,
        /// Where the refused service can be done instead (channel codes).
        channels: Vec<&'static str>,
    },
}

/// How long a client should wait before retrying while the database is away: long enough for a failover or
/// a restart, short enough that a probe notices the recovery.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InvalidQuery { .. } | ApiError::InvalidJson(_) | ApiError::BadRequest => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UnknownBank(_) | ApiError::UnknownDistrict(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DatabaseUnavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Rule { status, .. } => *status,
        }
    }

    /// A refusal by rule `code`, with no field at fault.
    pub fn rule(status: StatusCode, code: &'static str) -> ApiError {
        ApiError::Rule {
            status,
            code,
            fields: Vec::new(),
            args: Vec::new(),
            retry_after: None,
            channels: Vec::new(),
        }
    }

    /// Names the channels where the refused service can be done instead.
    pub fn with_channels(mut self, list: Vec<&'static str>) -> ApiError {
        if let ApiError::Rule { channels, .. } = &mut self {
            *channels = list;
        }
        self
    }

    fn channels(&self) -> Vec<String> {
        match self {
            ApiError::Rule { channels, .. } => channels.iter().map(|c| c.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    /// A refusal that passes with time: the client may retry after `secs`.
    pub fn with_retry_after(mut self, secs: u64) -> ApiError {
        if let ApiError::Rule { retry_after, .. } = &mut self {
            *retry_after = Some(secs.max(1));
        }
        self
    }

    /// The `Retry-After` to send, in seconds: every 429 and 503 has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::DatabaseUnavailable(_) => Some(DATABASE_RETRY_AFTER_SECS),
            ApiError::Busy { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Rule { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A refusal because of one field; its message is `problem-{field_code}-detail`.
    pub fn field(status: StatusCode, code: &'static str, field: &str, field_code: &'static str) -> ApiError {
        ApiError::rule(status, code).with_field(field, field_code)
    }

    pub fn with_field(mut self, field: &str, field_code: &'static str) -> ApiError {
        if let ApiError::Rule { fields, .. } = &mut self {
            fields.push((field.to_string(), field_code));
        }
        self
    }

    pub fn with_arg(mut self, name: &'static str, value: String) -> ApiError {
        if let ApiError::Rule { args, .. } = &mut self {
            args.push((name, value));
        }
        self
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::InvalidQuery { .. } => "invalid_query",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::UnknownBank(_) => "unknown_bank",
            ApiError::UnknownDistrict(_) => "unknown_district",
            ApiError::DatabaseUnavailable(_) => "database_unavailable",
            ApiError::Busy { .. } => "busy",
            ApiError::Timeout => "timeout",
            ApiError::Internal(_) => "internal",
            ApiError::BadRequest => "bad_request",
            ApiError::Rule { code, .. } => code,
        }
    }

    /// Message arguments; the body limit is the server's configured one, known only when rendering.
    fn args(&self, body_limit: usize) -> Vec<(&'static str, String)> {
        match self {
            ApiError::PayloadTooLarge => vec![("limit", body_limit.to_string())],
            ApiError::InvalidQuery { field: Some(f) } => vec![("field", f.clone())],
            ApiError::InvalidJson(r) => vec![("reason", r.clone())],
            ApiError::UnknownBank(c) | ApiError::UnknownDistrict(c) => vec![("code", c.clone())],
            ApiError::Rule { args, .. } => args.clone(),
            _ => vec![],
        }
    }

    /// The fields at fault, each with the code of its message.
    fn field_errors(&self) -> Vec<(String, &'static str)> {
        match self {
            ApiError::UnknownBank(_) => vec![("bank".into(), "unknown_bank")],
            ApiError::UnknownDistrict(_) => vec![("district".into(), "unknown_district")],
            ApiError::InvalidQuery { field: Some(f) } => vec![(f.clone(), "invalid_value")],
            ApiError::Rule { fields, .. } => fields.clone(),
            _ => vec![],
        }
    }

    /// The message id of the detail: the field's own message when one field is at fault.
    fn detail_id(&self) -> String {
        match self {
            ApiError::InvalidQuery { field: Some(_) } => "problem-invalid_value-detail".to_string(),
            other => format!("problem-{}-detail", other.code()),
        }
    }

    /// From a status the framework produced with no body of its own.
    pub fn from_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ApiError::Timeout,
            s if s.is_server_error() => ApiError::Internal(format!("status {s}")),
            _ => ApiError::BadRequest,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(m) => ApiError::DatabaseUnavailable(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ReferenceError> for ApiError {
    fn from(e: ReferenceError) -> ApiError {
        match e {
            ReferenceError::UnknownBank(c) => ApiError::UnknownBank(c),
            ReferenceError::UnknownDistrict(c) => ApiError::UnknownDistrict(c),
            ReferenceError::Store(s) => s.into(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        // serde's message is English prose ("…: accepts_pickup: provided string was not `true` or `false`");
        // keep only the field it names, and say the rest in the caller's language.
        let text = r.body_text();
        let field = text
            .strip_prefix("Failed to deserialize query string: ")
            .and_then(|rest| rest.split_once(": "))
            .map(|(f, _)| f.to_string())
            .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        ApiError::InvalidQuery { field }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::BytesRejection(_) => ApiError::PayloadTooLarge,
            other => ApiError::InvalidJson(other.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(m) | ApiError::DatabaseUnavailable(m) = &self {
            tracing::error!(code = self.code(), error = %m, "request failed");
        }
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Query extractor whose rejection is an [`ApiError`]. An empty parameter (`?bank=`, what a form's "all" choice
/// sends) is treated as absent, everywhere, as the portal does.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Query<T>, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let given: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let kept = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&given)
            .finish();
        let mut uri = format!("{}?{kept}", parts.uri.path());
        if kept.is_empty() {
            uri = parts.uri.path().to_string();
        }
        let uri: axum::http::Uri = uri.parse().map_err(|_| ApiError::InvalidQuery { field: None })?;
        axum::extract::Query::<T>::try_from_uri(&uri)
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(ApiError::from)
    }
}

pub fn problem_body(
    state: &AppState,
    lang: Lang,
    err: &ApiError,
    instance: &str,
    request_id: Option<String>,
) -> Problem {
    let code = err.code();
    let mut args = err.args(state.config.body_limit);
    // A refusal of where reads in words: the service and channel by name, and the channels that can.
    let named = |prefix: &str, v: &str| state.i18n.format(lang, &format!("{prefix}-{v}"), &[]);
    for (k, v) in args.iter_mut() {
        match *k {
            "service" => *v = named("service", v),
            "channel" => *v = named("channel", v),
            _ => {}
        }
    }
    let channels = err.channels();
    if !channels.is_empty() {
        let sep = if lang == Lang::En { ", " } else { "、" };
        let names: Vec<String> = channels.iter().map(|c| named("channel", c)).collect();
        args.push(("where", names.join(sep)));
    } else if code == "wrong_channel" {
        args.push(("where", named("channels", "none")));
    }
    let allowed_from = args.iter().find(|(k, _)| *k == "allowed_from").map(|(_, v)| v.clone());
    let arg = |name: &str| args.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let dependents = match (arg("dependency"), arg("count").and_then(|c| c.parse().ok())) {
        (Some(what), Some(count)) => Some(Dependents { what, count }),
        _ => None,
    };
    Problem {
        allowed_from,
        dependents,
        type_uri: format!("urn:sscard:problem:{code}"),
        title: state.i18n.format(lang, &format!("problem-{code}"), &[]),
        status: err.status().as_u16(),
        detail: state.i18n.format(lang, &err.detail_id(), &args),
        code: code.to_string(),
        instance: instance.to_string(),
        request_id,
        errors: err
            .field_errors()
            .into_iter()
            .map(|(field, c)| FieldProblem {
                field,
                code: c.to_string(),
                message: state.i18n.format(lang, &format!("problem-{c}-detail"), &args),
            })
            .collect(),
        channels: err.channels(),
    }
}

/// Writes problem documents for API responses (`/api/…`, `/healthz`, `/readyz`): for an [`ApiError`], or for an
/// error status the framework produced without a body of its own.
pub async fn render_problems(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let lang = Lang::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let path = mask_path(req.uri().path());
    let is_api = path.starts_with("/api/") || path == "/healthz" || path == "/readyz";
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let page = (!is_api).then(|| {
        (
            crate::portal::pages::Prefs::from_headers(req.headers()),
            req.uri().clone(),
        )
    });
    let mut res = next.run(req).await;
    if let Some(crate::portal::pages::PageFailure(err)) = res.extensions_mut().remove() {
        let (prefs, uri) = page.unwrap_or((
            crate::portal::pages::Prefs::from_headers(&HeaderMap::new()),
            Uri::default(),
        ));
        return crate::portal::pages::failure_page(&state, prefs, &uri, &err, request_id).await;
    }
    let err = match res.extensions_mut().remove::<ApiError>() {
        Some(e) => e,
        // The framework's own refusals (404, 405, 413, 504…) come without a body or as plain text: on a
        // portal path they are the portal's error page, in the visitor's language.
        None if !is_api && res.status().as_u16() >= 400 && is_plain(&res) => {
            let (prefs, uri) = page.unwrap_or((
                crate::portal::pages::Prefs::from_headers(&HeaderMap::new()),
                Uri::default(),
            ));
            let err = ApiError::from_status(res.status());
            return crate::portal::pages::failure_page(&state, prefs, &uri, &err, request_id).await;
        }
        None if is_api
            && res.status().as_u16() >= 400
            && res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.as_bytes().starts_with(b"text/plain")) =>
        {
            ApiError::from_status(res.status())
        }
        None => return res,
    };
    let body = problem_body(&state, lang, &err, &path, request_id);
    let mut out = (err.status(), axum::Json(body)).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    out.headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    if let Some(secs) = err.retry_after() {
        out.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    out
}

/// A response without a body type, or plain text: a framework's refusal rather than a rendered page.
fn is_plain(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"))
}

/// The request path as a problem's `instance`, with anything shaped like an ID number masked: an error
/// document is often logged by the client, and must not carry the identifier it was about.
pub fn mask_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let b = seg.as_bytes();
            let id_like = b.len() == 18
                && b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x');
            if id_like {
                format!("{}********{}", &seg[..6], &seg[14..])
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// JSON body extractor whose rejection is an [`ApiError`]. A body that is JSON but not what the operation takes
/// is refused by the field at fault (`invalid_fields`, 422): a value of the wrong type (`invalid_type`, with what
/// was expected), a field the resource does not have (`unknown_field`) or one only the service sets
/// (`read_only`), a required one missing (`required`). A body that is not JSON at all is `invalid_json` (400).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody<T>, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")));
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(e, &bytes))?;
        de.end().map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        Ok(JsonBody(value))
    }
}

/// Fields the service sets and a client only reads: named as such when a body tries to set one.
const READ_ONLY_FIELDS: [&str; 15] = [
    "relationship",
    "id",
    "reference",
    "state",
    "route",
    "person",
    "id_number",
    "channel",
    "applicant",
    "created_at",
    "updated_at",
    "submitted_at",
    "due_on",
    "documents",
    "missing",
];

fn json_error(e: serde_path_to_error::Error<serde_json::Error>, body: &[u8]) -> ApiError {
    let mut path = e.path().to_string();
    let inner = e.into_inner();
    if !inner.is_data() {
        return ApiError::InvalidJson(inner.to_string());
    }
    let message = inner.to_string();
    // serde's words: "unknown field `state`, expected one of …", "missing field `x`", "invalid type: integer `5`,
    // expected a string at line 1 column 16".
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    let at = |name: String| {
        if path.is_empty() || path == "." {
            name
        } else {
            format!("{path}.{name}")
        }
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(name) = quoted("unknown field `") {
        let code = if READ_ONLY_FIELDS.contains(&name.as_str()) {
            "read_only"
        } else {
            "unknown_field"
        };
        // serde reports the field's parent as the path; the field itself is named in the message.
        let field = if path.ends_with(&name) { path.clone() } else { at(name) };
        return ApiError::field(unprocessable, "invalid_fields", &field, code);
    }
    if let Some(name) = quoted("missing field `") {
        return ApiError::field(unprocessable, "invalid_fields", &at(name), "required");
    }
    // An internally tagged choice (a bank's report by its `status`) fails on the tag's value with the path of
    // the object: the field is the one that holds that value.
    if let (Some(variant), true) = (quoted("unknown variant `"), path.is_empty() || path == ".") {
        let tag = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| {
            v.as_object()?
                .iter()
                .find(|(_, value)| value.as_str() == Some(variant.as_str()))
                .map(|(key, _)| key.clone())
        });
        if let Some(tag) = tag {
            path = tag;
        }
    }
    let expected = message
        .split(", expected ")
        .nth(1)
        .map(|rest| rest.split(" at line ").next().unwrap_or(rest))
        .unwrap_or("")
        .to_string();
    let field = if path.is_empty() || path == "." {
        "body".to_string()
    } else {
        path
    };
    ApiError::field(unprocessable, "invalid_fields", &field, "invalid_type")
        .with_arg("expected", expected_kind(&expected))
}

/// What serde expected, as a kind the message catalogue names in each language.
fn expected_kind(expected: &str) -> String {
    let kind = match expected {
        e if e.contains("string") || e.contains("char") => "text",
        e if e.contains("bool") => "boolean",
        e if e.starts_with('u') || e.starts_with('i') || e.contains("integer") => "integer",
        e if e.contains("f64") || e.contains("f32") || e.contains("number") => "number",
        e if e.contains("sequence") || e.contains("array") => "list",
        e if e.contains("struct") || e.contains("map") => "object",
        e if e.contains("variant") || e.starts_with("one of") => "choice",
        _ => "other",
    };
    kind.to_string()
}
