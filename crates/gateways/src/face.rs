//! The face verifier's HTTP protocol (`docs/face-verifier.md`):
//!
//! `POST {base}/v1/face-checks`, `Authorization: Bearer {key}`, JSON
//! `{"request_id", "id_number", "name", "photo": {"media_type", "data" (base64)}}` →
//! `200 {"request_id", "result": "match" | "no_match", "reason"?}`.

use async_trait::async_trait;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sscard_app::realname::{FaceCheck, FaceVerdict, FaceVerifier, VerifierError};

#[derive(Debug, Clone)]
pub struct HttpFaceVerifier {
    client: reqwest::Client,
    endpoint: url::Url,
    api_key: Option<String>,
}

#[derive(Serialize)]
struct Photo<'a> {
    media_type: &'a str,
    data: String,
}

#[derive(Serialize)]
struct Request<'a> {
    request_id: &'a str,
    id_number: &'a str,
    name: &'a str,
    photo: Photo<'a>,
}

#[derive(Deserialize)]
struct Response {
    request_id: String,
    result: String,
    reason: Option<String>,
}

impl HttpFaceVerifier {
    /// `base` is the verifier's root URL, e.g. `https://face.example.gov.cn/`.
    pub fn new(base: &str, api_key: Option<String>) -> Result<HttpFaceVerifier, VerifierError> {
        let base = url::Url::parse(base).map_err(|e| VerifierError::Protocol(format!("verifier URL: {e}")))?;
        let endpoint = base
            .join("v1/face-checks")
            .map_err(|e| VerifierError::Protocol(format!("verifier URL: {e}")))?;
        let client = crate::http_client(std::time::Duration::from_secs(15))
            .map_err(|e| VerifierError::Unavailable(e.to_string()))?;
        Ok(HttpFaceVerifier {
            client,
            endpoint,
            api_key,
        })
    }
}

#[async_trait]
impl FaceVerifier for HttpFaceVerifier {
    async fn verify(&self, check: &FaceCheck) -> Result<FaceVerdict, VerifierError> {
        let body = Request {
            request_id: &check.request_id,
            id_number: check.id_number.as_str(),
            name: check.name.as_str(),
            photo: Photo {
                media_type: check.media_type,
                data: base64::engine::general_purpose::STANDARD.encode(&check.photo),
            },
        };
        let mut req = self.client.post(self.endpoint.clone()).json(&body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let res = req
            .send()
            .await
            .map_err(|e| VerifierError::Unavailable(e.to_string()))?;
        let status = res.status();
        if status.is_server_error() {
            return Err(VerifierError::Unavailable(format!("status {status}")));
        }
        if !status.is_success() {
            return Err(VerifierError::Protocol(format!("status {status}")));
        }
        let answer: Response = res.json().await.map_err(|e| VerifierError::Protocol(e.to_string()))?;
        if answer.request_id != check.request_id {
            return Err(VerifierError::Protocol("answer to another request".into()));
        }
        match answer.result.as_str() {
            "match" => Ok(FaceVerdict::Match),
            "no_match" => Ok(FaceVerdict::NoMatch {
                reason: answer.reason.unwrap_or_else(|| "face_mismatch".into()),
            }),
            other => Err(VerifierError::Protocol(format!("unknown result {other:?}"))),
        }
    }

    fn is_test_double(&self) -> bool {
        false
    }
}
