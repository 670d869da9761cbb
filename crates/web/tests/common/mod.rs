//! Starts the real server on a free loopback port for a test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod caller;
pub mod cards;
pub mod portal;
pub mod world;

use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::clock::FixedClock;
use sscard_testkit::TestDb;
use sscard_web::{Mode, WebConfig};
use tokio::sync::oneshot;

pub struct Server {
    pub base: String,
    pub ctx: sscard_app::AppContext,
    /// The server's clock: tests move time with it.
    pub clock: FixedClock,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<(), sscard_web::WebError>>>,
    _db: Option<TestDb>,
}

pub use sscard_testkit::fixtures::BRANCHES;

/// A JSON answer.
pub async fn json(c: &reqwest::Client, url: String) -> serde_json::Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

/// The body of a page, optionally with a Cookie header.
pub async fn page(c: &reqwest::Client, url: String, cookie: Option<&str>) -> String {
    let mut req = c.get(url);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.send().await.unwrap().text().await.unwrap()
}

impl Server {
    pub async fn start(db: TestDb, mode: Mode) -> Server {
        Server::start_with(
            db,
            WebConfig {
                mode,
                ..WebConfig::default()
            },
        )
        .await
    }

    pub async fn start_with(db: TestDb, config: WebConfig) -> Server {
        let (ctx, clock) = Server::context(&db).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Server::launch(listener, db, ctx, clock, config, Vec::new())
    }

    /// A context on `db` with the banks and the three test branches, on a fixed clock (returned too).
    pub async fn context(db: &TestDb) -> (sscard_app::AppContext, FixedClock) {
        let clock = sscard_testkit::fixed_clock();
        let ctx = sscard_testkit::context(db.store().await, clock.clone());
        ctx.store
            .ensure_banks(&sscard_app::reference::banks_from_codes(&ctx.codes))
            .await
            .unwrap();
        import_csv(&ctx, ImportKind::Branches, BRANCHES.as_bytes())
            .await
            .unwrap();
        sscard_app::calendar::seed(&ctx).await.unwrap();
        (ctx, clock)
    }

    /// Serves `ctx` on an already bound listener (tests that must know the address before the server is
    /// configured, e.g. for an identity provider's redirect URI).
    pub fn launch(
        listener: tokio::net::TcpListener,
        db: TestDb,
        ctx: sscard_app::AppContext,
        clock: FixedClock,
        config: WebConfig,
        oidc: Vec<std::sync::Arc<sscard_gateways::oidc::OidcProvider>>,
    ) -> Server {
        Server::launch_with(listener, Some(db), ctx, clock, config, oidc)
    }

    /// Serves `ctx` on a database the test manages itself (a throwaway cluster).
    pub async fn serve(ctx: sscard_app::AppContext, clock: FixedClock, config: WebConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Server::launch_with(listener, None, ctx, clock, config, Vec::new())
    }

    fn launch_with(
        listener: tokio::net::TcpListener,
        db: Option<TestDb>,
        ctx: sscard_app::AppContext,
        clock: FixedClock,
        config: WebConfig,
        oidc: Vec<std::sync::Arc<sscard_gateways::oidc::OidcProvider>>,
    ) -> Server {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let state = sscard_web::server::build_state(ctx.clone(), config, oidc).unwrap();
        let handle = tokio::spawn(sscard_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Server {
            base,
            ctx,
            clock,
            stop: Some(tx),
            handle: Some(handle),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signals shutdown and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), sscard_web::WebError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.handle.take().unwrap().await.unwrap()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
