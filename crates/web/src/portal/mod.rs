//! The server-rendered portal. Works without JavaScript; Simplified Chinese by default, English on a switch,
//! an elderly mode with larger type and more spacing. Preferences are cookies set by plain links.

mod account_pages;
mod admin_accounts;
mod admin_cases;
mod admin_pages;
mod admin_policy;
mod admin_reference;
mod admin_reports;
mod apply_pages;
mod assets;
mod card_pages;
mod counter_pages;
mod desk_pages;
mod entity_pages;
mod forms;
mod hotline_pages;
mod login_pages;
pub(crate) mod pages;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub use pages::{forbidden_page, not_found_page, Prefs};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/branches", get(pages::branches))
        .route("/preferences", get(pages::preferences))
        .route("/assets/{file}", get(assets::asset))
        .route("/login", get(login_pages::login_page).post(login_pages::login_submit))
        .route(
            "/staff/login",
            get(login_pages::login_page).post(login_pages::login_submit),
        )
        .route(
            "/entity/login",
            get(login_pages::login_page).post(login_pages::login_submit),
        )
        .route("/login/sms", get(login_pages::sms_page).post(login_pages::use_code))
        .route("/login/sms/code", post(login_pages::send_code))
        .route("/register", get(login_pages::sms_page).post(login_pages::use_code))
        .route("/register/code", post(login_pages::send_code))
        .route("/login/oidc/{provider}", get(login_pages::oidc_start))
        .route("/login/oidc/{provider}/callback", get(login_pages::oidc_callback))
        .route("/logout", post(account_pages::logout))
        .route("/account", get(account_pages::account))
        .route("/account/sessions/revoke-all", post(account_pages::revoke_all))
        .route(
            "/account/real-name",
            get(account_pages::real_name_page).post(account_pages::real_name_submit),
        )
        .route("/staff", get(account_pages::staff_home))
        .route("/admin", get(admin_pages::console))
        .route("/admin/imports", get(admin_pages::imports))
        .route("/admin/cases", get(admin_cases::cases_page).post(admin_cases::look_up))
        .route("/admin/reference", get(admin_reference::search))
        .route(
            "/admin/accounts",
            get(admin_accounts::accounts_page).post(admin_accounts::create),
        )
        .route("/admin/accounts/{id}", get(admin_accounts::account))
        .route("/admin/accounts/{id}/disabled", post(admin_accounts::set_disabled))
        .route("/admin/accounts/{id}/password", post(admin_accounts::reset_password))
        .route("/admin/accounts/{id}/binding", post(admin_accounts::rebind))
        .route(
            "/admin/reference/{kind}/{code}",
            get(admin_reference::record).post(admin_reference::change),
        )
        .route("/admin/openings", get(admin_policy::openings))
        .route("/admin/policy", get(admin_policy::policy))
        .route("/admin/policy/campaign", post(admin_policy::set_campaign))
        .route("/admin/policy/channels", post(admin_policy::set_suspension))
        .route("/admin/openings/{category}", post(admin_policy::set_opening))
        .route("/admin/reports/applications", get(admin_reports::applications))
        .route("/admin/reports/applications.csv", get(admin_reports::applications_csv))
        .route("/admin/reports/{report}", get(admin_reports::daily))
        .route("/admin/reports/{report}/csv", get(admin_reports::daily_csv))
        .route("/admin/imports/{kind}/{id}", get(admin_pages::import))
        .route(
            "/admin/imports/{kind}/{id}/rejections.csv",
            get(admin_pages::rejections),
        )
        .route(
            "/staff/counter",
            get(counter_pages::counter_page).post(counter_pages::search),
        )
        .route("/staff/counter/cards/{number}/collect", post(counter_pages::collect))
        .route("/apply", get(apply_pages::start_page).post(apply_pages::start))
        .route(
            "/apply/child",
            get(apply_pages::child_start_page).post(apply_pages::child_start),
        )
        .route(
            "/apply/{id}/documents",
            get(apply_pages::documents_page).post(apply_pages::documents_submit),
        )
        .route(
            "/apply/{id}/{step}",
            get(apply_pages::step_page).post(apply_pages::step_submit),
        )
        .route("/applications", get(apply_pages::my_applications))
        .route("/children", get(apply_pages::my_children))
        .route("/applications/{id}", get(apply_pages::my_application))
        .route("/applications/{id}/withdraw", post(apply_pages::withdraw))
        .route("/entity", get(entity_pages::dashboard))
        .route(
            "/entity/collective",
            get(entity_pages::settings_page).post(entity_pages::settings_submit),
        )
        .route("/entity/employees", get(entity_pages::employees_page))
        .route("/entity/employees.csv", get(entity_pages::export))
        .route("/entity/submissions", post(entity_pages::submit))
        .route("/entity/cards", get(entity_pages::cards_page))
        .route("/entity/cards/{id}/{action}", post(entity_pages::settle))
        .route("/services", get(card_pages::services_page))
        .route("/cards", get(card_pages::my_cards))
        .route(
            "/cards/proxy",
            get(card_pages::proxy_page).post(card_pages::proxy_submit),
        )
        .route(
            "/staff/hotline",
            get(hotline_pages::hotline_page).post(hotline_pages::search),
        )
        .route("/staff/hotline/cards/{number}", post(hotline_pages::act))
        .route("/staff/cards", get(desk_pages::desk_page).post(desk_pages::search))
        .route("/staff/cards/{number}", post(desk_pages::act))
        .route("/cards/{number}/activation", post(card_pages::activate))
        .route(
            "/cards/{number}/loss",
            get(card_pages::loss_page).post(card_pages::loss_submit),
        )
        .route(
            "/cards/{number}/password",
            get(card_pages::password_page).post(card_pages::password_submit),
        )
        .route(
            "/cards/{number}/info",
            get(card_pages::info_page).post(card_pages::info_submit),
        )
        .route(
            "/cards/{number}/replacement",
            get(card_pages::replacement_page).post(card_pages::replacement_submit),
        )
        .route("/staff/cards/{number}/replacement", post(desk_pages::replace))
        .route("/cards/{number}/password/reset-code", post(card_pages::reset_code))
        .route("/cards/{number}/password/reset", post(card_pages::reset_submit))
}

/// The console's file upload, served outside the ordinary body limit and timeout (see `server`).
pub fn upload_router() -> Router<AppState> {
    Router::new().route("/admin/imports/upload", post(admin_pages::upload))
}

/// Templates compiled into the binary.
pub fn templates() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.add_template("layout.html", include_str!("../../templates/layout.html"))?;
    env.add_template("home.html", include_str!("../../templates/home.html"))?;
    env.add_template("branches.html", include_str!("../../templates/branches.html"))?;
    env.add_template("error.html", include_str!("../../templates/error.html"))?;
    env.add_template("admin.html", include_str!("../../templates/admin.html"))?;
    env.add_template("admin_cases.html", include_str!("../../templates/admin_cases.html"))?;
    env.add_template("admin_policy.html", include_str!("../../templates/admin_policy.html"))?;
    env.add_template(
        "admin_accounts.html",
        include_str!("../../templates/admin_accounts.html"),
    )?;
    env.add_template("admin_account.html", include_str!("../../templates/admin_account.html"))?;
    env.add_template(
        "admin_reference.html",
        include_str!("../../templates/admin_reference.html"),
    )?;
    env.add_template(
        "admin_reference_record.html",
        include_str!("../../templates/admin_reference_record.html"),
    )?;
    env.add_template("admin_imports.html", include_str!("../../templates/admin_imports.html"))?;
    env.add_template("admin_import.html", include_str!("../../templates/admin_import.html"))?;
    env.add_template("admin_report.html", include_str!("../../templates/admin_report.html"))?;
    env.add_template(
        "admin_openings.html",
        include_str!("../../templates/admin_openings.html"),
    )?;
    env.add_template("macros.html", include_str!("../../templates/macros.html"))?;
    env.add_template("login.html", include_str!("../../templates/login.html"))?;
    env.add_template("sms.html", include_str!("../../templates/sms.html"))?;
    env.add_template("register.html", include_str!("../../templates/register.html"))?;
    env.add_template("account.html", include_str!("../../templates/account.html"))?;
    env.add_template("real_name.html", include_str!("../../templates/real_name.html"))?;
    env.add_template("staff.html", include_str!("../../templates/staff.html"))?;
    env.add_template("counter.html", include_str!("../../templates/counter.html"))?;
    env.add_template(
        "card_replacement.html",
        include_str!("../../templates/card_replacement.html"),
    )?;
    env.add_template("apply_start.html", include_str!("../../templates/apply_start.html"))?;
    env.add_template("children.html", include_str!("../../templates/children.html"))?;
    env.add_template("entity.html", include_str!("../../templates/entity.html"))?;
    env.add_template(
        "entity_settings.html",
        include_str!("../../templates/entity_settings.html"),
    )?;
    env.add_template(
        "entity_employees.html",
        include_str!("../../templates/entity_employees.html"),
    )?;
    env.add_template(
        "entity_submitted.html",
        include_str!("../../templates/entity_submitted.html"),
    )?;
    env.add_template("apply_child.html", include_str!("../../templates/apply_child.html"))?;
    env.add_template("apply_step.html", include_str!("../../templates/apply_step.html"))?;
    env.add_template("applications.html", include_str!("../../templates/applications.html"))?;
    env.add_template("application.html", include_str!("../../templates/application.html"))?;
    env.add_template("entity_cards.html", include_str!("../../templates/entity_cards.html"))?;
    env.add_template("cards.html", include_str!("../../templates/cards.html"))?;
    env.add_template("card_loss.html", include_str!("../../templates/card_loss.html"))?;
    env.add_template("card_password.html", include_str!("../../templates/card_password.html"))?;
    env.add_template("services.html", include_str!("../../templates/services.html"))?;
    env.add_template("card_proxy.html", include_str!("../../templates/card_proxy.html"))?;
    env.add_template("hotline.html", include_str!("../../templates/hotline.html"))?;
    env.add_template("card_info.html", include_str!("../../templates/card_info.html"))?;
    env.add_template("staff_cards.html", include_str!("../../templates/staff_cards.html"))?;
    env.add_template("withdraw.html", include_str!("../../templates/withdraw.html"))?;
    Ok(env)
}

#[cfg(test)]
mod template_tests {
    #![allow(clippy::unwrap_used)]

    // Every template in the directory is compiled into the binary: a page whose template is missing fails
    // only when someone opens it.
    #[test]
    fn every_template_file_is_compiled_in() {
        let env = super::templates().unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".html") {
                assert!(
                    env.get_template(&name).is_ok(),
                    "{name} is not compiled into the binary"
                );
            }
        }
    }
}
