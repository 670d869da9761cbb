//! The server-rendered portal. Works without JavaScript; Simplified Chinese by default, English on a switch,
//! an elderly mode with larger type and more spacing. Preferences are cookies set by plain links.

mod assets;
mod pages;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub use pages::{not_found_page, Prefs};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/branches", get(pages::branches))
        .route("/preferences", get(pages::preferences))
        .route("/assets/{file}", get(assets::asset))
}

/// Templates compiled into the binary.
pub fn templates() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.add_template("layout.html", include_str!("../../templates/layout.html"))?;
    env.add_template("home.html", include_str!("../../templates/home.html"))?;
    env.add_template("branches.html", include_str!("../../templates/branches.html"))?;
    env.add_template("error.html", include_str!("../../templates/error.html"))?;
    Ok(env)
}
