//! How the use cases' refusals become API problems: one place, so the portal and the API name a failure
//! with the same code and the same words.

use axum::http::StatusCode;
use sscard_app::accounts::AccountError;
use sscard_app::auth::AuthError;
use sscard_app::people::AccessError;
use sscard_app::ports::AccountConflict;
use sscard_app::realname::{RealNameError, VerifierError};
use sscard_app::secrets::PasswordHashError;
use sscard_domain::account::{PasswordError, UsernameError};

use crate::problem::ApiError;

const BAD: StatusCode = StatusCode::BAD_REQUEST;
const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// "Try again at …" in the city's time.
pub fn when(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn taken(c: AccountConflict) -> ApiError {
    let (field, code) = match c {
        AccountConflict::Username => ("username", "username_taken"),
        AccountConflict::Mobile => ("mobile", "mobile_taken"),
        AccountConflict::IdNumber => ("id_number", "id_number_taken"),
        AccountConflict::ExternalIdentity => ("provider", "identity_taken"),
    };
    ApiError::field(StatusCode::CONFLICT, code, field, code)
}

pub fn password_error(e: &PasswordError) -> ApiError {
    let code = match e {
        PasswordError::Length => "password_length",
        PasswordError::Weak => "password_weak",
    };
    ApiError::field(UNPROCESSABLE, "invalid_fields", "password", code)
}

pub fn username_error(_: &UsernameError) -> ApiError {
    ApiError::field(UNPROCESSABLE, "invalid_fields", "username", "username_invalid")
}

impl From<PasswordHashError> for ApiError {
    fn from(e: PasswordHashError) -> ApiError {
        match e {
            PasswordHashError::Busy { retry_after_secs } => ApiError::Busy { retry_after_secs },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::InvalidCredentials => ApiError::field(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "password",
                "invalid_credentials",
            ),
            AuthError::CaptchaWrong => ApiError::field(BAD, "captcha_wrong", "captcha", "captcha_wrong"),
            AuthError::CodeWrong => ApiError::field(BAD, "code_wrong", "code", "code_wrong"),
            AuthError::Locked {
                until,
                retry_after_secs,
            } => ApiError::rule(StatusCode::TOO_MANY_REQUESTS, "locked")
                .with_arg("until", when(until))
                .with_retry_after(retry_after_secs),
            AuthError::RateLimited {
                until,
                retry_after_secs,
            } => ApiError::rule(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
                .with_arg("until", when(until))
                .with_retry_after(retry_after_secs),
            AuthError::Disabled => ApiError::rule(StatusCode::FORBIDDEN, "account_disabled"),
            AuthError::ClientUnauthorized => ApiError::rule(StatusCode::UNAUTHORIZED, "client_unauthorized"),
            AuthError::WrongDoor => ApiError::rule(StatusCode::FORBIDDEN, "wrong_door"),
            AuthError::NoAccountForMobile => ApiError::field(
                StatusCode::NOT_FOUND,
                "no_account_for_mobile",
                "mobile",
                "no_account_for_mobile",
            ),
            AuthError::Taken(c) => taken(c),
            AuthError::BadPassword(p) => password_error(&p),
            AuthError::BadUsername(u) => username_error(&u),
            AuthError::Store(s) => s.into(),
            AuthError::Hash(h) => h.into(),
        }
    }
}

impl From<RealNameError> for ApiError {
    fn from(e: RealNameError) -> ApiError {
        match e {
            RealNameError::NotResident => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            RealNameError::AlreadyVerified => ApiError::rule(StatusCode::CONFLICT, "already_verified"),
            RealNameError::BadName(_) => ApiError::field(UNPROCESSABLE, "invalid_fields", "name", "name_invalid"),
            RealNameError::BadIdNumber(_) => {
                ApiError::field(UNPROCESSABLE, "invalid_fields", "id_number", "id_number_invalid")
            }
            RealNameError::BadPhoto => ApiError::field(UNPROCESSABLE, "invalid_fields", "photo", "photo_type"),
            RealNameError::PhotoTooLarge => {
                ApiError::field(UNPROCESSABLE, "invalid_fields", "photo", "photo_too_large")
            }
            RealNameError::NoRegistryMatch => ApiError::rule(UNPROCESSABLE, "no_registry_match"),
            RealNameError::FaceMismatch(reason) => {
                ApiError::field(UNPROCESSABLE, "face_mismatch", "photo", "face_mismatch").with_arg("reason", reason)
            }
            RealNameError::IdNumberTaken => taken(AccountConflict::IdNumber),
            RealNameError::Verifier(VerifierError::Unavailable(m) | VerifierError::Protocol(m)) => {
                tracing::error!(error = %m, "face verifier failed");
                ApiError::rule(StatusCode::SERVICE_UNAVAILABLE, "verifier_unavailable")
            }
            RealNameError::Auth(a) => a.into(),
            RealNameError::Store(s) => s.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> ApiError {
        match e {
            AccessError::NotFound => ApiError::NotFound,
            AccessError::PurposeRequired => ApiError::field(BAD, "purpose_required", "purpose", "purpose_required"),
            AccessError::Forbidden => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            AccessError::Store(s) => s.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::UnknownBank(c) => ApiError::UnknownBank(c),
            AccountError::UnknownBranch(c) => {
                ApiError::field(UNPROCESSABLE, "unknown_branch", "branch", "unknown_branch").with_arg("code", c)
            }
            AccountError::UnknownOutlet(c) => {
                ApiError::field(UNPROCESSABLE, "unknown_outlet", "outlet", "unknown_outlet").with_arg("code", c)
            }
            AccountError::UnknownEntity(c) => {
                ApiError::field(UNPROCESSABLE, "unknown_entity", "entity", "unknown_entity").with_arg("code", c)
            }
            AccountError::ResidentsRegisterThemselves => ApiError::field(
                UNPROCESSABLE,
                "residents_register_themselves",
                "role",
                "residents_register_themselves",
            ),
            AccountError::Taken(c) => taken(c),
            AccountError::ClientTaken => {
                ApiError::field(StatusCode::CONFLICT, "client_taken", "client_id", "client_taken")
            }
            AccountError::NotAClientChannel => {
                ApiError::field(UNPROCESSABLE, "invalid_fields", "channel", "not_a_client_channel")
            }
            AccountError::BadPassword(p) => password_error(&p),
            AccountError::NotFound => ApiError::NotFound,
            AccountError::OwnAccount => ApiError::rule(StatusCode::CONFLICT, "own_account"),
            AccountError::RoleMismatch => {
                ApiError::field(StatusCode::CONFLICT, "role_mismatch", "role", "role_mismatch")
            }
            AccountError::Store(s) => s.into(),
            AccountError::Hash(h) => h.into(),
            AccountError::WeakMachineSecret => {
                ApiError::field(UNPROCESSABLE, "invalid_fields", "password", "machine_secret_weak")
            }
        }
    }
}

impl From<sscard_app::applications::ApplyError> for ApiError {
    fn from(e: sscard_app::applications::ApplyError) -> ApiError {
        use sscard_app::applications::ApplyError as A;
        use sscard_domain::eligibility::Ineligible as I;
        match e {
            A::Ineligible(i) => {
                let err = ApiError::rule(UNPROCESSABLE, i.code());
                match i {
                    I::ApplicationInProgress { reference } => err.with_arg("reference", reference),
                    I::NotOpenYet { category, opens_on } => err
                        .with_arg("category", category)
                        .with_arg("opens_on", opens_on.to_string()),
                    _ => err,
                }
            }
            A::MayNotApply(sscard_domain::account::ApplyRefusal::RealNameRequired) => {
                ApiError::rule(StatusCode::FORBIDDEN, "real_name_required")
            }
            A::MayNotApply(_) => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            A::ConsentRequired(kind) => {
                ApiError::field(UNPROCESSABLE, "consent_required", kind.as_str(), "consent_missing")
            }
            A::NotFound => ApiError::NotFound,
            A::NotCollective => ApiError::rule(StatusCode::CONFLICT, "not_collective"),
            A::NotDraft(state) => {
                ApiError::rule(StatusCode::CONFLICT, "not_draft").with_arg("state", state.as_str().into())
            }
            A::Invalid(fields) => {
                let mut err = ApiError::rule(UNPROCESSABLE, "invalid_fields");
                for f in fields {
                    err = err.with_field(&f.field, f.code);
                }
                err
            }
            A::Incomplete(fields) => {
                let mut err = ApiError::rule(UNPROCESSABLE, "incomplete");
                for f in fields {
                    err = err.with_field(&f, "required");
                }
                err
            }
            A::Document(d) => document_error("document", d),
            A::DocumentNotRequired(kind) => ApiError::field(
                UNPROCESSABLE,
                "document_not_required",
                kind.as_str(),
                "document_not_required",
            ),
            // The API handler names the relationship in the caller's language; this is the fallback.
            A::RelationshipUnconfirmed(code) => ApiError::rule(UNPROCESSABLE, "relationship_unconfirmed")
                .with_arg("relationship", code.clone())
                .with_arg("relationship_name", code),
            A::AlreadySubmitted => ApiError::rule(StatusCode::CONFLICT, "already_submitted"),
            A::SubmittedByEmployer => ApiError::rule(StatusCode::CONFLICT, "submitted_by_employer"),
            A::CollectiveClosed => ApiError::rule(StatusCode::CONFLICT, "collective_closed"),
            A::DuringCampaign => ApiError::rule(StatusCode::CONFLICT, "during_campaign"),
            A::Transition(t) => {
                ApiError::rule(StatusCode::CONFLICT, "not_allowed_now").with_arg("state", t.from.as_str().into())
            }
            A::Auth(a) => a.into(),
            A::Store(s) => s.into(),
            A::Blob(b) => ApiError::DatabaseUnavailable(b.to_string()),
        }
    }
}

/// A refused document, named by its field (`card_photo`, `id_front`, …), with the value found.
pub fn document_error(field: &str, d: sscard_domain::documents::DocumentError) -> ApiError {
    use sscard_domain::documents::DocumentError as D;
    let err = ApiError::field(UNPROCESSABLE, d.code(), field, d.code());
    match d {
        D::TooSmall { bytes, min } => err
            .with_arg("bytes", bytes.to_string())
            .with_arg("limit", min.to_string()),
        D::TooLarge { bytes, max } => err
            .with_arg("bytes", bytes.to_string())
            .with_arg("limit", max.to_string()),
        D::NotJpeg { found } | D::NotAnImage { found } => err.with_arg("found", found.to_string()),
        D::WrongDimensions { width, height }
        | D::TooManyPixels { width, height }
        | D::TooLargeToCheck { width, height } => err
            .with_arg("width", width.to_string())
            .with_arg("height", height.to_string()),
        D::Grayscale | D::Cmyk | D::Undecodable => err,
    }
}

impl From<sscard_app::cards::CardError> for ApiError {
    fn from(e: sscard_app::cards::CardError) -> ApiError {
        use sscard_app::cards::CardError as C;
        use sscard_domain::card::lifecycle::CardRefusal;
        match e {
            C::NotFound => ApiError::NotFound,
            // Not a matter of who you are but of where: the refusal names where it can be done instead.
            C::WrongChannel(w) => ApiError::rule(StatusCode::FORBIDDEN, "wrong_channel")
                .with_arg("service", w.service.as_str().into())
                .with_arg("channel", w.channel.as_str().into())
                .with_channels(w.alternatives.iter().map(|c| c.as_str()).collect()),
            C::Refused(r) => {
                let err = ApiError::rule(StatusCode::CONFLICT, r.code());
                match r {
                    CardRefusal::NotActive(state) => err.with_arg("state", state.as_str().into()),
                    // The issuing bank's counters do it: refused as a matter of where, with where.
                    CardRefusal::IssuingBankOnly | CardRefusal::NoOnlineReplacement => {
                        ApiError::rule(StatusCode::FORBIDDEN, r.code())
                            .with_channels(vec![sscard_domain::access::Channel::BankOutlet.as_str()])
                    }
                    CardRefusal::BankChangeTooSoon { allowed_from } => {
                        err.with_arg("allowed_from", allowed_from.to_string())
                    }
                    _ => err,
                }
            }
            C::Invalid(fields) => {
                let mut err = ApiError::rule(UNPROCESSABLE, "invalid_fields");
                for f in fields {
                    err = err.with_field(&f.field, f.code);
                }
                err
            }
            C::Password(p) => ApiError::field(UNPROCESSABLE, "invalid_fields", "new", p.code()),
            C::WrongPassword { remaining } => ApiError::field(
                StatusCode::UNAUTHORIZED,
                "service_password_wrong",
                "password",
                "service_password_wrong",
            )
            .with_arg("remaining", remaining.to_string()),
            C::PasswordLocked => ApiError::field(
                StatusCode::LOCKED,
                "service_password_locked",
                "password",
                "service_password_locked",
            ),
            C::PasswordChangeRequired => ApiError::rule(StatusCode::FORBIDDEN, "service_password_initial"),
            C::FinancialMobile => ApiError::field(
                StatusCode::FORBIDDEN,
                "financial_mobile_at_bank",
                "financial_mobile",
                "financial_mobile_at_bank",
            )
            .with_channels(vec![sscard_domain::access::Channel::BankOutlet.as_str()]),
            C::StateChanged => ApiError::rule(StatusCode::CONFLICT, "card_state_changed"),
            C::NotAuthorised(service) => ApiError::rule(StatusCode::FORBIDDEN, "proxy_not_authorised")
                .with_arg("service", service.as_str().into()),
            C::Auth(a) => a.into(),
            C::Hash(h) => h.into(),
            C::Store(s) => s.into(),
        }
    }
}

impl From<sscard_app::cases::CaseError> for ApiError {
    fn from(e: sscard_app::cases::CaseError) -> ApiError {
        match e {
            sscard_app::cases::CaseError::Forbidden => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            sscard_app::cases::CaseError::Invalid(field, code) => {
                ApiError::field(UNPROCESSABLE, "invalid_fields", field, code)
            }
            sscard_app::cases::CaseError::NotFound => ApiError::NotFound,
            sscard_app::cases::CaseError::Store(s) => s.into(),
        }
    }
}

impl From<sscard_app::reference_changes::ChangeError> for ApiError {
    fn from(e: sscard_app::reference_changes::ChangeError) -> ApiError {
        use sscard_app::reference_changes::ChangeError as C;
        use sscard_domain::registry::Dependency;
        match e {
            C::Forbidden => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            C::Unknown => ApiError::NotFound,
            C::Invalid(fields) => {
                let mut err = ApiError::rule(UNPROCESSABLE, "invalid_fields");
                for f in fields {
                    err = err.with_field(&f.field, f.code);
                }
                err
            }
            C::Depended { dependency, count } => ApiError::rule(StatusCode::CONFLICT, "dependents_exist")
                .with_arg(
                    "dependency",
                    match dependency {
                        Dependency::PickupsWaiting => "pickups_waiting",
                        Dependency::ClerksBound => "clerks_bound",
                    }
                    .into(),
                )
                .with_arg("count", count.to_string()),
            C::Store(s) => s.into(),
        }
    }
}
