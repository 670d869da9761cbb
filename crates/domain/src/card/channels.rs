//! Which channel may do what (SPEC §7.4, handbook Q6–Q9) as data: the table below is the SPEC's, row for row.
//! Every lifecycle service checks it ([`check`]), the API publishes it (`GET /api/v1/reference/services`) and the
//! portal's "where can I do this" page (办事渠道) renders it: one table, three readers. What the bureau suspends for
//! a while is laid over it in `channel_suspensions`.

use serde::Serialize;

use crate::access::Channel;

pub use super::channel_suspensions::{check_with, SuspensionError, Suspensions};

/// A service of the card's life (SPEC §7.2), with its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Apply,
    Activation,
    FinancialActivation,
    TemporaryLoss,
    FormalLoss,
    Release,
    Replacement,
    Cancellation,
    PasswordChange,
    PasswordReset,
    InfoChange,
    StatusQuery,
    InstantCard,
    BankChange,
}

impl Service {
    pub const ALL: [Service; 14] = [
        Service::Apply,
        Service::Activation,
        Service::FinancialActivation,
        Service::TemporaryLoss,
        Service::FormalLoss,
        Service::Release,
        Service::Replacement,
        Service::Cancellation,
        Service::PasswordChange,
        Service::PasswordReset,
        Service::InfoChange,
        Service::StatusQuery,
        Service::InstantCard,
        Service::BankChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Apply => "apply",
            Service::Activation => "activation",
            Service::FinancialActivation => "financial_activation",
            Service::TemporaryLoss => "temporary_loss",
            Service::FormalLoss => "formal_loss",
            Service::Release => "release",
            Service::Replacement => "replacement",
            Service::Cancellation => "cancellation",
            Service::PasswordChange => "password_change",
            Service::PasswordReset => "password_reset",
            Service::InfoChange => "info_change",
            Service::StatusQuery => "status_query",
            Service::InstantCard => "instant_card",
            Service::BankChange => "bank_change",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Who acts: the holder themself, a guardian for a minor (in everything), or a proxy with the holder's written
/// authorisation (SPEC §7.2, Q37).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Acting {
    #[serde(rename = "self")]
    Holder,
    Guardian,
    Proxy,
}

impl Acting {
    pub const ALL: [Acting; 3] = [Acting::Holder, Acting::Guardian, Acting::Proxy];

    pub fn as_str(self) -> &'static str {
        match self {
            Acting::Holder => "self",
            Acting::Guardian => "guardian",
            Acting::Proxy => "proxy",
        }
    }

    pub fn parse(s: &str) -> Option<Acting> {
        Acting::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A condition on an allowed cell, checked by the service itself (it needs the card, the branch or the date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Only at a counter of the card's issuing bank.
    IssuingBank,
    /// The social-security function only (the financial one is the bank's).
    SocialSecurityOnly,
    /// Only a formal loss of the social-security function (a district outlet's release).
    FormalSocialSecurityLossOnly,
    /// Not while the concentrated application campaign runs.
    NotDuringCampaign,
    /// Only for cards of banks that support online replacement.
    OnlineReplacementBank,
    /// Not the financial account's reserved mobile (that is the issuing bank's).
    NotFinancialMobile,
    /// Only at branches equipped for instant issuance.
    EquippedBranch,
    /// The holder is under 18 and the actor is their guardian in the household register.
    HolderIsMinor,
    /// With the holder's written authorisation and both parties' identity documents.
    WrittenAuthorisation,
    /// The documents of the case (death, emigration, moving out of the province) (Q33).
    CaseDocuments,
    /// The caller is verified with the card's service password (Q16).
    ServicePassword,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::IssuingBank => "issuing_bank",
            Condition::SocialSecurityOnly => "social_security_only",
            Condition::FormalSocialSecurityLossOnly => "formal_social_security_loss_only",
            Condition::NotDuringCampaign => "not_during_campaign",
            Condition::OnlineReplacementBank => "online_replacement_bank",
            Condition::NotFinancialMobile => "not_financial_mobile",
            Condition::EquippedBranch => "equipped_branch",
            Condition::HolderIsMinor => "holder_is_minor",
            Condition::WrittenAuthorisation => "written_authorisation",
            Condition::CaseDocuments => "case_documents",
            Condition::ServicePassword => "service_password",
        }
    }
}

/// One cell of the SPEC's table: not allowed, or allowed under these conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    No,
    Yes(&'static [Condition]),
}

use Condition::*;
use Rule::{No, Yes};

/// One row of SPEC §7.4. The columns: online (the portal and the three API channels), district/street outlet,
/// bank outlet, hotline, proxy. Password change and reset are one row in the SPEC ("change only" for a proxy);
/// here they are two rows with that difference.
struct Row {
    service: Service,
    online: Rule,
    district: Rule,
    bank: Rule,
    hotline: Rule,
    proxy: Rule,
}

const TABLE: &[Row] = &[
    Row {
        service: Service::Apply,
        online: Yes(&[]),
        district: Yes(&[NotDuringCampaign]),
        bank: Yes(&[NotDuringCampaign]),
        hotline: No,
        // "Guardian only": a guardian applies for a minor; nobody else applies for another.
        proxy: No,
    },
    Row {
        service: Service::Activation,
        online: Yes(&[]),
        district: Yes(&[]),
        bank: Yes(&[]),
        hotline: No,
        proxy: Yes(&[]),
    },
    Row {
        service: Service::FinancialActivation,
        online: No,
        district: No,
        bank: Yes(&[IssuingBank]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::TemporaryLoss,
        online: Yes(&[]),
        district: Yes(&[]),
        bank: Yes(&[]),
        hotline: Yes(&[ServicePassword]),
        proxy: Yes(&[]),
    },
    Row {
        service: Service::FormalLoss,
        online: No,
        district: Yes(&[SocialSecurityOnly]),
        bank: Yes(&[IssuingBank]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::Release,
        online: No,
        district: Yes(&[FormalSocialSecurityLossOnly]),
        bank: Yes(&[IssuingBank]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::Replacement,
        online: Yes(&[OnlineReplacementBank]),
        district: No,
        bank: Yes(&[IssuingBank]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::Cancellation,
        online: No,
        district: Yes(&[SocialSecurityOnly]),
        bank: Yes(&[]),
        hotline: No,
        proxy: Yes(&[CaseDocuments]),
    },
    Row {
        service: Service::PasswordChange,
        online: Yes(&[]),
        district: Yes(&[]),
        bank: Yes(&[]),
        hotline: No,
        proxy: Yes(&[]),
    },
    Row {
        service: Service::PasswordReset,
        online: Yes(&[]),
        district: Yes(&[]),
        bank: Yes(&[]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::InfoChange,
        online: Yes(&[NotFinancialMobile]),
        district: Yes(&[NotFinancialMobile]),
        bank: Yes(&[]),
        hotline: No,
        proxy: No,
    },
    Row {
        service: Service::StatusQuery,
        online: Yes(&[]),
        district: Yes(&[]),
        bank: Yes(&[]),
        hotline: Yes(&[ServicePassword]),
        proxy: Yes(&[]),
    },
    Row {
        service: Service::InstantCard,
        online: No,
        district: No,
        bank: Yes(&[EquippedBranch, NotDuringCampaign]),
        hotline: No,
        proxy: No,
    },
    // SPEC §7.2 (Q25–Q26): not a row of §7.4's table; the card is recovered at its bank's counter.
    Row {
        service: Service::BankChange,
        online: No,
        district: No,
        bank: Yes(&[IssuingBank]),
        hotline: No,
        proxy: No,
    },
];

/// One cell as published: may `acting` use `service` on `channel`, and under which conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub service: Service,
    pub channel: Channel,
    pub acting: Acting,
    pub allowed: bool,
    pub conditions: Vec<Condition>,
}

fn row(service: Service) -> &'static Row {
    // Every service has its row (a test walks them all).
    TABLE.iter().find(|r| r.service == service).unwrap_or(&TABLE[0])
}

fn column(r: &Row, channel: Channel) -> Rule {
    match channel {
        Channel::DistrictOutlet => r.district,
        Channel::BankOutlet => r.bank,
        Channel::Hotline => r.hotline,
        _ => r.online,
    }
}

/// The rule for one cell: the holder's column; a guardian's is the holder's for a minor; a proxy's is the
/// channel's and the proxy column's together (never by telephone: the hotline cannot see an authorisation).
pub fn cell(service: Service, channel: Channel, acting: Acting) -> Cell {
    let r = row(service);
    let rule = match (acting, column(r, channel)) {
        (_, No) => No,
        (Acting::Holder, yes) => yes,
        (Acting::Guardian, Yes(_)) => column(r, channel),
        (Acting::Proxy, Yes(_)) if channel == Channel::Hotline => No,
        (Acting::Proxy, Yes(_)) => r.proxy,
    };
    let conditions = match rule {
        No => Vec::new(),
        Yes(own) => {
            let mut c: Vec<Condition> = match acting {
                Acting::Proxy => match column(r, channel) {
                    Yes(col) => col.to_vec(),
                    No => Vec::new(),
                },
                _ => own.to_vec(),
            };
            match acting {
                Acting::Holder => {}
                Acting::Guardian => c.push(HolderIsMinor),
                Acting::Proxy => {
                    c.extend_from_slice(own);
                    c.push(WrittenAuthorisation);
                }
            }
            c
        }
    };
    Cell {
        service,
        channel,
        acting,
        allowed: rule != No,
        conditions,
    }
}

/// Every cell, service by service, channel by channel (in SPEC §2 order), holder, guardian, proxy.
pub fn matrix() -> Vec<Cell> {
    let mut out = Vec::with_capacity(Service::ALL.len() * Channel::ALL.len() * Acting::ALL.len());
    for s in Service::ALL {
        for ch in Channel::ALL {
            for a in Acting::ALL {
                out.push(cell(s, ch, a));
            }
        }
    }
    out
}

/// Why a service was refused on a channel: it names the channels where the same person could do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not offered to {} on {}", service.as_str(), acting.as_str(), channel.as_str())]
pub struct WrongChannel {
    pub service: Service,
    pub channel: Channel,
    pub acting: Acting,
    /// Where it can be done instead (empty: nowhere for this actor).
    pub alternatives: Vec<Channel>,
}

/// The conditions of the cell, or the refusal naming the channels that can.
pub fn check(service: Service, channel: Channel, acting: Acting) -> Result<Vec<Condition>, WrongChannel> {
    let c = cell(service, channel, acting);
    if c.allowed {
        return Ok(c.conditions);
    }
    Err(WrongChannel {
        service,
        channel,
        acting,
        alternatives: Channel::ALL
            .into_iter()
            .filter(|ch| cell(service, *ch, acting).allowed)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_exactly_one_row() {
        for s in Service::ALL {
            assert_eq!(TABLE.iter().filter(|r| r.service == s).count(), 1, "{s:?}");
            assert_eq!(Service::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn the_table_reads_as_the_spec() {
        let allowed = |s, ch, a| cell(s, ch, a).allowed;
        use Channel::*;
        // Online: activation, temporary loss, password, info change, status; never formal loss or release.
        for s in [
            Service::Activation,
            Service::TemporaryLoss,
            Service::PasswordChange,
            Service::PasswordReset,
            Service::InfoChange,
            Service::StatusQuery,
        ] {
            for ch in [Web, Jingtong, Minsheng, WechatOfficial] {
                assert!(allowed(s, ch, Acting::Holder), "{s:?} {ch:?}");
            }
        }
        for s in [
            Service::FormalLoss,
            Service::Release,
            Service::Cancellation,
            Service::FinancialActivation,
        ] {
            assert!(!allowed(s, Web, Acting::Holder), "{s:?}");
        }
        // The hotline: temporary loss and status query only, each behind the service password.
        let hotline: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| allowed(*s, Hotline, Acting::Holder))
            .collect();
        assert_eq!(hotline, vec![Service::TemporaryLoss, Service::StatusQuery]);
        assert!(cell(Service::TemporaryLoss, Hotline, Acting::Holder)
            .conditions
            .contains(&Condition::ServicePassword));
        // A proxy: activation, temporary loss, password change and status query (and cancellation with the
        // case's documents); never the password reset, never by telephone.
        let proxy: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| allowed(*s, Web, Acting::Proxy))
            .collect();
        assert_eq!(
            proxy,
            vec![
                Service::Activation,
                Service::TemporaryLoss,
                Service::PasswordChange,
                Service::StatusQuery
            ]
        );
        assert!(allowed(Service::Cancellation, BankOutlet, Acting::Proxy));
        assert!(!allowed(Service::TemporaryLoss, Hotline, Acting::Proxy));
        // Apply: a guardian yes, a proxy never.
        assert!(allowed(Service::Apply, Web, Acting::Guardian));
        assert!(!allowed(Service::Apply, Web, Acting::Proxy));
        // District outlets: formal loss and cancellation of the social-security function only.
        assert_eq!(
            cell(Service::FormalLoss, DistrictOutlet, Acting::Holder).conditions,
            vec![Condition::SocialSecurityOnly]
        );
    }

    #[test]
    fn a_refusal_names_the_channels_that_can() {
        let e = check(Service::FormalLoss, Channel::Web, Acting::Holder).unwrap_err();
        assert_eq!(e.alternatives, vec![Channel::DistrictOutlet, Channel::BankOutlet]);
        let e = check(Service::InfoChange, Channel::Hotline, Acting::Holder).unwrap_err();
        assert_eq!(e.alternatives.len(), 6, "every channel but the hotline");
        let e = check(Service::PasswordReset, Channel::Web, Acting::Proxy).unwrap_err();
        assert!(e.alternatives.is_empty(), "a proxy resets a password nowhere");
        assert_eq!(
            check(Service::TemporaryLoss, Channel::Web, Acting::Proxy).unwrap(),
            vec![Condition::WrittenAuthorisation]
        );
    }

    #[test]
    fn the_matrix_has_every_cell_once() {
        let m = matrix();
        assert_eq!(m.len(), 14 * 7 * 3);
        let mut keys: Vec<(Service, &str, &str)> = m
            .iter()
            .map(|c| (c.service, c.channel.as_str(), c.acting.as_str()))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), m.len());
    }
}
