//! The console's staff accounts: listed by role and searched, created, and on each account's page disabled or
//! enabled, given a new password, or bound to another branch, outlet, entity or bank. Every form shows its
//! refusal beside the field, with what was typed kept (passwords excepted).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::accounts::{self as accounts, STAFF_ROLES};
use sscard_domain::access::{Channel, Role};
use sscard_domain::account::Username;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::api::admin::{binding_kind, BindingIn};
use crate::api::me::AccountView;
use crate::problem::{ApiError, Query};

#[derive(Serialize, Default)]
struct Line {
    id: String,
    username: String,
    name: String,
    role: String,
    binding: String,
    disabled: bool,
}

/// The form's values as typed (never a password).
#[derive(Serialize, Deserialize, Default, Clone)]
pub struct AccountForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    bank: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    outlet: String,
    #[serde(default)]
    entity: String,
}

/// `admin_accounts.html`.
#[derive(Serialize, Default)]
struct AccountsPage {
    csrf: String,
    role: String,
    roles: Vec<(&'static str, String)>,
    q: String,
    lines: Vec<Line>,
    values: AccountForm,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(AccountsPage);

#[derive(Deserialize, Default)]
pub struct ListParams {
    role: Option<String>,
    q: Option<String>,
}

fn binding(v: &AccountView) -> String {
    [&v.bank, &v.branch, &v.outlet, &v.entity]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn roles(c: &PageCtx) -> Vec<(&'static str, String)> {
    STAFF_ROLES
        .iter()
        .map(|r| (r.as_str(), c.m(&format!("role-{}", r.as_str()))))
        .collect()
}

fn none_if_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn binding_of(f: &AccountForm) -> BindingIn {
    BindingIn {
        role: f.role.clone(),
        bank: none_if_empty(&f.bank),
        branch: none_if_empty(&f.branch),
        outlet: none_if_empty(&f.outlet),
        entity: none_if_empty(&f.entity),
    }
}

async fn list(c: &PageCtx, params: ListParams, values: AccountForm, problems: FieldErrors) -> PageResult {
    let role = params.role.as_deref().and_then(Role::parse);
    let q = params.q.unwrap_or_default();
    let found = accounts::staff(&c.state.ctx, role, &q).await.map_err(ApiError::from)?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = AccountsPage {
        role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        roles: roles(c),
        q,
        lines: found
            .iter()
            .map(|a| {
                let v = AccountView::of(a, a.kind.fixed_channel().unwrap_or(Channel::Web));
                Line {
                    binding: binding(&v),
                    id: v.id,
                    username: v.username.unwrap_or_default(),
                    name: v.display_name,
                    role: c.m(&format!("role-{}", v.role)),
                    disabled: a.disabled,
                }
            })
            .collect(),
        values,
        problems,
        ..AccountsPage::default()
    };
    Ok(c.show("admin_accounts.html", status, page).await)
}

pub async fn accounts_page(c: PageCtx, Query(params): Query<ListParams>) -> PageResult {
    let values = AccountForm {
        role: "bank_clerk".into(),
        ..AccountForm::default()
    };
    list(&c, params, values, FieldErrors::default()).await
}

pub async fn create(c: PageCtx, meta: ClientMeta, Form(f): Form<AccountForm>) -> PageResult {
    let made = async {
        let kind = binding_kind(&binding_of(&f))?;
        let username = Username::parse(&f.username).map_err(|e| crate::refusals::username_error(&e))?;
        let account = accounts::create_account(
            &c.state.ctx,
            Some(&c.p.account),
            kind,
            username,
            &f.display_name,
            &f.password,
            &meta.0,
        )
        .await?;
        Ok::<_, ApiError>(account)
    }
    .await;
    match made {
        Ok(a) => Ok(Redirect::to(&format!("/admin/accounts/{}", a.id)).into_response()),
        Err(e) if e.status().is_server_error() => Err(e.into()),
        Err(e) => {
            let mut problems = FieldErrors::default();
            c.fail(&mut problems, e, "username");
            list(&c, ListParams::default(), f, problems).await
        }
    }
}

/// `admin_account.html`.
#[derive(Serialize, Default)]
struct AccountPage {
    csrf: String,
    id: String,
    title: String,
    role: String,
    role_name: String,
    disabled: bool,
    own: bool,
    binding: String,
    values: AccountForm,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(AccountPage);

async fn account_page(
    c: &PageCtx,
    id: &str,
    typed: Option<AccountForm>,
    problems: FieldErrors,
    notice: Option<String>,
) -> PageResult {
    let a = accounts::staff_account(&c.state.ctx, id)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    let v = AccountView::of(&a, a.kind.fixed_channel().unwrap_or(Channel::Web));
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let values = typed.unwrap_or_else(|| AccountForm {
        role: v.role.clone(),
        bank: v.bank.clone().unwrap_or_default(),
        branch: v.branch.clone().unwrap_or_default(),
        outlet: v.outlet.clone().unwrap_or_default(),
        entity: v.entity.clone().unwrap_or_default(),
        ..AccountForm::default()
    });
    let page = AccountPage {
        id: v.id.clone(),
        title: format!("{} ({})", v.display_name, v.username.clone().unwrap_or_default()),
        role_name: c.m(&format!("role-{}", v.role)),
        binding: binding(&v),
        role: v.role,
        disabled: a.disabled,
        own: a.id == c.p.account.id,
        values,
        notice,
        problems,
        ..AccountPage::default()
    };
    Ok(c.show("admin_account.html", status, page).await)
}

pub async fn account(c: PageCtx, Path(id): Path<String>) -> PageResult {
    account_page(&c, &id, None, FieldErrors::default(), None).await
}

#[derive(Deserialize)]
pub struct DisableForm {
    disabled: String,
}

pub async fn set_disabled(
    c: PageCtx,
    meta: ClientMeta,
    Path(id): Path<String>,
    Form(f): Form<DisableForm>,
) -> PageResult {
    let disabled = f.disabled == "yes";
    match accounts::set_disabled(&c.state.ctx, &c.p, &id, disabled, &meta.0).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/accounts/{id}")).into_response()),
        Err(e @ accounts::AccountError::OwnAccount) => {
            let mut problems = FieldErrors::default();
            c.fail(&mut problems, e.into(), "disabled");
            account_page(&c, &id, None, problems, None).await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    c: PageCtx,
    meta: ClientMeta,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    match accounts::reset_password(&c.state.ctx, &c.p, &id, &f.password, &meta.0).await {
        Ok(()) => {
            account_page(
                &c,
                &id,
                None,
                FieldErrors::default(),
                Some(c.m("accounts_password_set")),
            )
            .await
        }
        Err(e @ (accounts::AccountError::BadPassword(_) | accounts::AccountError::WeakMachineSecret)) => {
            let mut problems = FieldErrors::default();
            c.fail(&mut problems, e.into(), "password");
            account_page(&c, &id, None, problems, None).await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}

pub async fn rebind(c: PageCtx, meta: ClientMeta, Path(id): Path<String>, Form(f): Form<AccountForm>) -> PageResult {
    let done = async {
        let kind = binding_kind(&binding_of(&f))?;
        accounts::rebind(&c.state.ctx, &c.p, &id, kind, &meta.0).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/admin/accounts/{id}")).into_response()),
        Err(ApiError::NotFound) => Err(ApiError::NotFound.into()),
        Err(e) if e.status().is_server_error() => Err(e.into()),
        Err(e) => {
            let mut problems = FieldErrors::default();
            c.fail(&mut problems, e, "branch");
            account_page(&c, &id, Some(f), problems, None).await
        }
    }
}
