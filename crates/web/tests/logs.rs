//! Structured logs: every request is logged with its request id, and never with its query string (it may carry
//! an ID number). A test binary of its own, because it installs the process-wide log subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{client, Server};
use sscard_testkit::TestDb;
use sscard_web::Mode;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_logged_with_its_id_and_without_its_query() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_env_filter("info")
        .with_writer(move || writer.clone())
        .init();

    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let res = client()
        .get(s.url("/api/v1/reference/branches?district=110105&holder=11010519491231002X"))
        .header("x-request-id", "log-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await.unwrap();

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("\"request_id\":\"log-test-1\""))
        .unwrap_or_else(|| panic!("no log line carries the request id:\n{logs}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["level"], "INFO");
    assert_eq!(entry["span"]["path"], "/api/v1/reference/branches");
    assert!(
        logs.contains("\"status\":200"),
        "the response line carries its status:\n{logs}"
    );
    assert!(
        !logs.contains("11010519491231002X") && !logs.contains("holder="),
        "a query string reached the log"
    );
}
