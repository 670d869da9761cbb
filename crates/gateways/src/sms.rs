//! SMS senders. [`FileSmsSender`] appends each message as a JSON line to a file (demo and tests read it; no
//! phone receives anything, so production refuses it). [`HttpSmsSender`] speaks the gateway protocol of
//! `docs/sms-gateway.md`:
//!
//! `POST {base}/v1/messages`, `Authorization: Bearer {key}`, `Idempotency-Key: {id}`, JSON
//! `{"id", "mobile", "text"}` → `2xx` accepted; `4xx` refused for good; `5xx` or no answer: retried.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sscard_app::ports::SmsMessage;
use sscard_app::sms::{SendError, SmsSender};
use tokio::io::AsyncWriteExt;

/// One line of the file sink, and the body the HTTP gateway receives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsLine {
    pub id: String,
    pub mobile: String,
    pub text: String,
}

impl SmsLine {
    fn of(m: &SmsMessage) -> SmsLine {
        SmsLine {
            id: m.id.clone(),
            mobile: m.mobile.as_str().to_string(),
            text: m.body.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileSmsSender {
    pub path: PathBuf,
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl FileSmsSender {
    pub fn new(path: impl Into<PathBuf>) -> FileSmsSender {
        FileSmsSender {
            path: path.into(),
            lock: Default::default(),
        }
    }

    /// Every message written so far (for tests and the demo).
    pub async fn read_all(&self) -> std::io::Result<Vec<SmsLine>> {
        read_sms_file(&self.path).await
    }
}

pub async fn read_sms_file(path: &std::path::Path) -> std::io::Result<Vec<SmsLine>> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

#[async_trait]
impl SmsSender for FileSmsSender {
    async fn send(&self, m: &SmsMessage) -> Result<(), SendError> {
        let mut line = serde_json::to_string(&SmsLine::of(m)).map_err(|e| SendError::Refused(e.to_string()))?;
        line.push('\n');
        // One writer at a time, so lines never interleave.
        let _guard = self.lock.lock().await;
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        f.write_all(line.as_bytes())
            .await
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        f.flush().await.map_err(|e| SendError::Unavailable(e.to_string()))
    }
    fn is_test_double(&self) -> bool {
        true
    }
    fn max_send_time(&self) -> std::time::Duration {
        // A local append; generous for a slow disk.
        std::time::Duration::from_secs(10)
    }
}

/// The longest one message may take at the gateway, connection included.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct HttpSmsSender {
    client: reqwest::Client,
    endpoint: url::Url,
    api_key: Option<String>,
}

impl HttpSmsSender {
    pub fn new(base: &str, api_key: Option<String>) -> Result<HttpSmsSender, SendError> {
        let endpoint = url::Url::parse(base)
            .and_then(|b| b.join("v1/messages"))
            .map_err(|e| SendError::Refused(format!("gateway URL: {e}")))?;
        let client = crate::http_client(SEND_TIMEOUT).map_err(|e| SendError::Unavailable(e.to_string()))?;
        Ok(HttpSmsSender {
            client,
            endpoint,
            api_key,
        })
    }
}

#[async_trait]
impl SmsSender for HttpSmsSender {
    async fn send(&self, m: &SmsMessage) -> Result<(), SendError> {
        let mut req = self
            .client
            .post(self.endpoint.clone())
            .header("idempotency-key", &m.id)
            .json(&SmsLine::of(m));
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let res = req.send().await.map_err(|e| SendError::Unavailable(e.to_string()))?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else if status.is_client_error() {
            Err(SendError::Refused(format!("status {status}")))
        } else {
            Err(SendError::Unavailable(format!("status {status}")))
        }
    }
    fn is_test_double(&self) -> bool {
        false
    }
    fn max_send_time(&self) -> std::time::Duration {
        SEND_TIMEOUT
    }
}
