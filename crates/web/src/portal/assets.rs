//! Static assets, compiled into the binary: the portal never loads anything from another host.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../assets/app.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return super::pages::not_found_page_default().into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
