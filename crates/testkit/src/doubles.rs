//! Test servers speaking the external systems' protocols over real HTTP (docs/face-verifier.md,
//! docs/sms-gateway.md). They check what they are sent as the real systems would, and record it.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

pub const FACE_KEY: &str = "test-face-key";
pub const SMS_KEY: &str = "test-sms-key";
/// A photo whose bytes contain this marker is judged not to match.
pub const NO_MATCH_MARKER: &[u8] = b"FACE-NO-MATCH";

/// Run as each accepted request is being answered (a test moves its clock by the time the real system takes).
pub type OnRequest = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone, Default)]
struct Shared {
    requests: Arc<Mutex<Vec<Value>>>,
    /// When non-zero, answer every request with this status.
    fail_with: Arc<AtomicU16>,
    /// Wait this long (real milliseconds) before answering.
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    on_request: Arc<Mutex<Option<OnRequest>>>,
}

pub struct TestServer {
    pub url: String,
    shared: Shared,
    _task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    async fn start(router: Router<Shared>) -> TestServer {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let app = router.with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            url,
            shared,
            _task: task,
        }
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Answer with `status` from now on (0: answer normally again).
    pub fn fail_with(&self, status: u16) {
        self.shared.fail_with.store(status, Ordering::SeqCst);
    }

    /// Answer each request after `ms` real milliseconds, running `hook` first (a slow gateway: the hook
    /// moves the test's clock by the time the real one would take).
    pub fn slow(&self, ms: u64, hook: Option<OnRequest>) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
        *self.shared.on_request.lock().unwrap() = hook;
    }

    /// A face verifier: `match`, unless the photo holds [`NO_MATCH_MARKER`].
    pub async fn face_verifier() -> TestServer {
        TestServer::start(Router::new().route("/v1/face-checks", post(face_check))).await
    }

    /// An SMS gateway that accepts every well-formed message.
    pub async fn sms_gateway() -> TestServer {
        TestServer::start(Router::new().route("/v1/messages", post(sms_message))).await
    }
}

fn authorised(headers: &HeaderMap, key: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {key}"))
}

async fn face_check(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let fail = s.fail_with.load(Ordering::SeqCst);
    if fail != 0 {
        return StatusCode::from_u16(fail).unwrap().into_response();
    }
    if !authorised(&headers, FACE_KEY) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let photo = body
        .get("photo")
        .and_then(|p| p.get("data"))
        .and_then(Value::as_str)
        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok());
    let media = body
        .get("photo")
        .and_then(|p| p.get("media_type"))
        .and_then(Value::as_str);
    let (Some(request_id), Some(_), Some(_), Some(photo), Some("image/jpeg" | "image/png")) =
        (field("request_id"), field("id_number"), field("name"), photo, media)
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    s.requests.lock().unwrap().push(body.clone());
    let no_match = photo.windows(NO_MATCH_MARKER.len()).any(|w| w == NO_MATCH_MARKER);
    Json(if no_match {
        json!({"request_id": request_id, "result": "no_match", "reason": "face_mismatch"})
    } else {
        json!({"request_id": request_id, "result": "match", "score": 0.97})
    })
    .into_response()
}

async fn sms_message(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let fail = s.fail_with.load(Ordering::SeqCst);
    if fail != 0 {
        return StatusCode::from_u16(fail).unwrap().into_response();
    }
    if !authorised(&headers, SMS_KEY) || headers.get("idempotency-key").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if ["id", "mobile", "text"]
        .iter()
        .any(|k| body.get(k).and_then(Value::as_str).is_none())
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    s.requests.lock().unwrap().push(body);
    let hook = s.on_request.lock().unwrap().clone();
    if let Some(hook) = hook {
        hook();
    }
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    (StatusCode::ACCEPTED, Json(json!({"accepted": true}))).into_response()
}

/// A small real PNG (1×1), with optional trailing bytes (ignored by decoders, seen by the test verifier).
pub fn png_photo(trailer: &[u8]) -> Vec<u8> {
    let mut png = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
        .unwrap();
    png.extend_from_slice(trailer);
    png
}
