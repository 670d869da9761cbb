//! Proxies (代办, SPEC §7.2, Q37): with the holder's written authorisation a proxy may do activation, temporary
//! loss, password change and status query, and nothing else. The authorisation is a record of its own: which of
//! those services, valid until which day, the scan of the signed paper (judged like every document).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::Serialize;

use super::channels::Service;
use crate::values::IdNumber;

/// What a holder may delegate to a proxy.
pub const DELEGABLE: [Service; 4] = [
    Service::Activation,
    Service::TemporaryLoss,
    Service::PasswordChange,
    Service::StatusQuery,
];

/// An authorisation is valid for at most a year.
pub const MAX_VALIDITY_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyAuthorisation {
    pub id: String,
    pub holder: IdNumber,
    pub proxy: IdNumber,
    pub services: Vec<Service>,
    /// The last day it may be used (inclusive, Asia/Shanghai).
    pub valid_until: NaiveDate,
    /// The SHA-256 of the scanned authorisation in the document store.
    pub document_hash: String,
    pub created_at: DateTime<FixedOffset>,
    /// The account that recorded it (the proxy's, online).
    pub created_by: String,
}

impl ProxyAuthorisation {
    pub fn covers(&self, service: Service, today: NaiveDate) -> bool {
        today <= self.valid_until && self.services.contains(&service)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("choose at least one service")]
    NoServices,
    #[error("{} cannot be delegated to a proxy", .0.as_str())]
    NotDelegable(Service),
    #[error("unknown service")]
    UnknownService,
    #[error("the authorisation must be valid until today or later")]
    Expired,
    #[error("an authorisation is valid for at most a year")]
    TooLong,
    #[error("a holder does not authorise themself")]
    SelfProxy,
}

impl ProxyError {
    pub fn code(self) -> &'static str {
        match self {
            ProxyError::NoServices => "proxy_services_required",
            ProxyError::NotDelegable(_) => "proxy_service_not_delegable",
            ProxyError::UnknownService => "invalid_choice",
            ProxyError::Expired => "proxy_valid_until_past",
            ProxyError::TooLong => "proxy_valid_until_too_far",
            ProxyError::SelfProxy => "proxy_is_holder",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            ProxyError::NoServices | ProxyError::NotDelegable(_) | ProxyError::UnknownService => "services",
            ProxyError::Expired | ProxyError::TooLong => "valid_until",
            ProxyError::SelfProxy => "holder_id_number",
        }
    }
}

/// The services named by `codes`: each known and delegable, at least one, each once.
pub fn parse_services(codes: &[String]) -> Result<Vec<Service>, ProxyError> {
    let mut out = Vec::new();
    for c in codes {
        let s = Service::parse(c.trim()).ok_or(ProxyError::UnknownService)?;
        if !DELEGABLE.contains(&s) {
            return Err(ProxyError::NotDelegable(s));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(ProxyError::NoServices);
    }
    out.sort();
    Ok(out)
}

pub fn check_validity(valid_until: NaiveDate, today: NaiveDate) -> Result<(), ProxyError> {
    if valid_until < today {
        return Err(ProxyError::Expired);
    }
    if valid_until > today + Duration::days(MAX_VALIDITY_DAYS) {
        return Err(ProxyError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_services_may_be_delegated() {
        let s = |v: &[&str]| parse_services(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            s(&["temporary_loss", "activation", "activation"]),
            Ok(vec![Service::Activation, Service::TemporaryLoss])
        );
        assert_eq!(
            s(&["password_reset"]),
            Err(ProxyError::NotDelegable(Service::PasswordReset))
        );
        assert_eq!(s(&["formal_loss"]), Err(ProxyError::NotDelegable(Service::FormalLoss)));
        assert_eq!(s(&[]), Err(ProxyError::NoServices));
        assert_eq!(s(&["fly"]), Err(ProxyError::UnknownService));
    }

    #[test]
    fn validity_is_today_to_a_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(check_validity(today, today), Ok(()));
        assert_eq!(
            check_validity(today - Duration::days(1), today),
            Err(ProxyError::Expired)
        );
        assert_eq!(
            check_validity(today + Duration::days(367), today),
            Err(ProxyError::TooLong)
        );
    }
}
