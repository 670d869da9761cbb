//! The router with its middleware, and serving it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sscard_app::AppContext;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::i18n::I18n;
use crate::problem::{render_problems, ApiError};
use crate::state::{AppState, WebConfig};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("message catalogue: {0}")]
    I18n(#[from] crate::i18n::I18nError),
    #[error("templates: {0}")]
    Templates(#[from] minijinja::Error),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// The process-wide Prometheus recorder; installed once, shared by every server in the process (tests start several).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}

pub fn build_state(
    ctx: AppContext,
    config: WebConfig,
    oidc: Vec<Arc<sscard_gateways::oidc::OidcProvider>>,
) -> Result<AppState, WebError> {
    Ok(AppState {
        ctx,
        i18n: Arc::new(I18n::load()?),
        templates: Arc::new(crate::portal::templates()?),
        metrics: metrics_handle(),
        config,
        oidc: Arc::new(oidc),
    })
}

async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("sscard_http_requests_total", &labels).increment(1);
    metrics::histogram!("sscard_http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    res
}

async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        crate::portal::not_found_page(State(state), req.headers().clone(), req.uri().clone()).await
    }
}

/// The whole application: API, portal, operational endpoints, and the middleware stack.
pub fn build_router(state: AppState) -> Router {
    let (api, _doc) = crate::api::router().split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    // Every API and portal route passes `authorize` (its access table) after routing; portal POSTs also
    // pass the CSRF check. `identify` runs before routing, for every request.
    let authorize = middleware::from_fn_with_state(state.clone(), crate::access::authorize);
    let api = api.route_layer(authorize.clone());
    let portal = crate::portal::router()
        .route_layer(middleware::from_fn(crate::access::check_csrf))
        .route_layer(authorize.clone());
    // One limit for every ordinary body: the tower layer (it refuses an oversized Content-Length before
    // reading); axum's own per-extractor default (2 MB) is switched off so it cannot disagree with it.
    let ordinary = Router::new()
        .merge(api)
        .merge(portal)
        .route("/metrics", get(crate::api::ops::metrics))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout));
    // Import files (hundreds of megabytes, streamed to disk): their own limit and a longer timeout.
    let (upload_api, _) = crate::api::upload_router().split_for_parts();
    let uploads = Router::new()
        .merge(upload_api.route_layer(authorize.clone()))
        .merge(
            crate::portal::upload_router()
                .route_layer(middleware::from_fn(crate::access::check_csrf))
                .route_layer(authorize),
        )
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(crate::api::admin_imports::upload_limit()))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            crate::api::admin_imports::UPLOAD_TIMEOUT,
        ));
    Router::new()
        .merge(ordinary)
        .merge(uploads)
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), crate::access::identify))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::access::client_address,
        ))
        .layer(CatchPanicLayer::new())
        // Outside the layers above, so their 413/504/500 leave as problem documents too.
        .layer(middleware::from_fn_with_state(state.clone(), render_problems))
        .layer(middleware::from_fn(track_metrics))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // The span carries the request id and the path, never the query string: it may hold an ID number.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let app = build_router(state);
    use axum::serve::ListenerExt;
    // Small answers go out at once rather than waiting for more to coalesce (Nagle).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            mode: crate::state::Mode::Demo,
            body_limit: crate::DEFAULT_BODY_LIMIT,
            request_timeout: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
            readiness_timeout: Duration::from_millis(800),
        }
    }
}
