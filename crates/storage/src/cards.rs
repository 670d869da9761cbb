//! The card's life: the row codec and the shared SQL of card transitions; the impls are per engine
//! (`sqlite::cards`, `postgres::cards`).

use sscard_app::ports::StoreError;
use sscard_domain::access::{Channel, Role};
use sscard_domain::card::channels::{Acting, Service};
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::transition::{Actor, CardTransition, ReasonText};
use sscard_domain::card::{FinancialState, SocialSecurityState};

use crate::accounts::{from_ms, ms};
use crate::common::stored_id;

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {v}"))
}

pub(crate) const TRANSITION_COLUMNS: &str = "card_number, at_ms, service, ss_from, ss_to, fin_from, fin_to, reason, \
    reason_text, channel, actor_role, actor, acting, agent_id, place, request_key";

pub(crate) const INSERT_TRANSITION: &str =
    "INSERT INTO card_transitions (card_number, at_ms, service, ss_from, ss_to, \
    fin_from, fin_to, reason, reason_text, channel, actor_role, actor, acting, agent_id, place, request_key) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

/// The condition and the change of a [`CardWrite`](sscard_app::ports::CardWrite): `$1` ss to, `$2` fin to,
/// `$3` loss end, `$4` new password hash (or NULL), `$5` number, `$6` ss from, `$7` fin from.
pub(crate) const UPDATE_CARD: &str = "UPDATE cards SET social_security = $1, financial = $2, loss_until_ms = $3, \
    password_hash = COALESCE($4, password_hash), \
    password_failures = CASE WHEN $4 IS NULL THEN password_failures ELSE 0 END \
    WHERE number = $5 AND social_security = $6 AND financial = $7";

/// Where the release job texts a holder (`u` the card, `i` its holder information, `a` its application, `p` the
/// registry's person): the mobile they last gave for the card, else the application's, else the registry's, as
/// `app::cards::holder_mobile` does for every other text.
pub(crate) const HOLDER_MOBILE: &str = "COALESCE(i.mobile, a.mobile, p.mobile)";

/// The id of the release job's text to a card's holder (`u` the card, `$1` the release time): the card number
/// and the time, unique (a card is released once per loss) and in the order the batch writes them, so a million
/// texts go into the outbox's index one after another instead of at random places.
pub(crate) const RELEASE_TEXT_ID: &str = "'release:' || u.number || ':' || $1";

/// A transport top-up and a park pass (`$1` fen to add, `$2` the year or NULL, `$3` number).
pub(crate) const UPDATE_FIELDS: &str = "UPDATE cards SET transport_enabled = TRUE, \
    transport_balance_fen = transport_balance_fen + $1, park_pass_year = COALESCE($2, park_pass_year) \
    WHERE number = $3";

pub(crate) const INSERT_BANK_EVENT: &str = "INSERT INTO card_bank_events (id, card_number, bank, transition_seq, \
    service, fin_from, fin_to, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// A transition's values in [`INSERT_TRANSITION`]'s order.
pub(crate) struct TransitionValues {
    pub card: String,
    pub at_ms: i64,
    pub service: &'static str,
    pub ss: (&'static str, &'static str),
    pub fin: (&'static str, &'static str),
    pub reason: &'static str,
    pub reason_text: Option<String>,
    pub channel: Option<&'static str>,
    pub role: Option<&'static str>,
    pub actor: String,
    pub acting: &'static str,
    pub agent: Option<String>,
    pub place: Option<String>,
    pub key: Option<String>,
}

impl TransitionValues {
    pub fn of(t: &CardTransition) -> TransitionValues {
        TransitionValues {
            card: t.card.clone(),
            at_ms: ms(t.at),
            service: t.service.as_str(),
            ss: (t.social_security.0.as_str(), t.social_security.1.as_str()),
            fin: (t.financial.0.as_str(), t.financial.1.as_str()),
            reason: t.reason.as_str(),
            reason_text: t.reason_text.as_ref().map(|r| r.as_str().to_string()),
            channel: t.channel.map(Channel::as_str),
            role: t.actor.role.map(Role::as_str),
            actor: t.actor.account.clone(),
            acting: t.actor.acting.as_str(),
            agent: t.actor.agent.as_ref().map(|a| a.as_str().to_string()),
            place: t.place.clone(),
            key: t.key.clone(),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TransitionRow {
    pub card_number: String,
    pub at_ms: i64,
    pub service: String,
    pub ss_from: String,
    pub ss_to: String,
    pub fin_from: String,
    pub fin_to: String,
    pub reason: String,
    pub reason_text: Option<String>,
    pub channel: Option<String>,
    pub actor_role: Option<String>,
    pub actor: String,
    pub acting: String,
    pub agent_id: Option<String>,
    pub place: Option<String>,
    pub request_key: Option<String>,
}

impl TransitionRow {
    pub fn into_domain(self) -> Result<CardTransition, StoreError> {
        let ss = |v: &str| SocialSecurityState::parse(v).ok_or_else(|| corrupt("social_security", v));
        let fin = |v: &str| FinancialState::parse(v).ok_or_else(|| corrupt("financial", v));
        Ok(CardTransition {
            at: from_ms(self.at_ms)?,
            service: Service::parse(&self.service).ok_or_else(|| corrupt("service", &self.service))?,
            social_security: (ss(&self.ss_from)?, ss(&self.ss_to)?),
            financial: (fin(&self.fin_from)?, fin(&self.fin_to)?),
            reason: Reason::parse(&self.reason).ok_or_else(|| corrupt("reason", &self.reason))?,
            reason_text: self
                .reason_text
                .map(|t| ReasonText::parse(&t).map_err(|_| corrupt("reason_text", &t)))
                .transpose()?,
            channel: self
                .channel
                .map(|c| Channel::parse(&c).ok_or_else(|| corrupt("channel", &c)))
                .transpose()?,
            actor: Actor {
                role: self
                    .actor_role
                    .map(|r| Role::parse(&r).ok_or_else(|| corrupt("actor_role", &r)))
                    .transpose()?,
                account: self.actor,
                acting: Acting::parse(&self.acting).ok_or_else(|| corrupt("acting", &self.acting))?,
                agent: self.agent_id.as_deref().map(stored_id).transpose()?,
            },
            card: self.card_number,
            place: self.place,
            key: self.request_key,
        })
    }
}

pub(crate) const PROXY_COLUMNS: &str =
    "id, holder_id, proxy_id, services, valid_until, document_hash, created_ms, created_by";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProxyRow {
    pub id: String,
    pub holder_id: String,
    pub proxy_id: String,
    pub services: String,
    pub valid_until: chrono::NaiveDate,
    pub document_hash: String,
    pub created_ms: i64,
    pub created_by: String,
}

impl ProxyRow {
    pub fn into_domain(self) -> Result<sscard_domain::card::proxy::ProxyAuthorisation, StoreError> {
        let services = self
            .services
            .split(',')
            .map(|s| Service::parse(s).ok_or_else(|| corrupt("services", s)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(sscard_domain::card::proxy::ProxyAuthorisation {
            holder: stored_id(&self.holder_id)?,
            proxy: stored_id(&self.proxy_id)?,
            services,
            created_at: from_ms(self.created_ms)?,
            id: self.id,
            valid_until: self.valid_until,
            document_hash: self.document_hash,
            created_by: self.created_by,
        })
    }
}

/// An authorisation's services as stored.
pub(crate) fn services_text(a: &sscard_domain::card::proxy::ProxyAuthorisation) -> String {
    a.services.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// Each given field replaces the one on record; a field not given keeps it.
pub(crate) const UPSERT_INFO: &str =
    "INSERT INTO card_holder_info (card_number, address, occupation, mobile, updated_ms) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (card_number) DO UPDATE SET \
    address = COALESCE(excluded.address, card_holder_info.address), \
    occupation = COALESCE(excluded.occupation, card_holder_info.occupation), \
    mobile = COALESCE(excluded.mobile, card_holder_info.mobile), updated_ms = excluded.updated_ms";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct InfoRow {
    pub address: Option<String>,
    pub occupation: Option<String>,
    pub mobile: Option<String>,
}

impl InfoRow {
    pub fn into_domain(self) -> Result<sscard_domain::card::info::HolderInfo, StoreError> {
        use sscard_domain::card::info::{Address, HolderInfo};
        Ok(HolderInfo {
            address: self
                .address
                .map(|a| Address::parse(&a).map_err(|_| corrupt("address", &a)))
                .transpose()?,
            occupation: self.occupation,
            mobile: self
                .mobile
                .map(|m| sscard_domain::values::Mobile::parse(&m).map_err(|_| corrupt("mobile", &m)))
                .transpose()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: String,
    pub card_number: String,
    pub bank: String,
    pub service: String,
    pub fin_from: String,
    pub fin_to: String,
    pub created_ms: i64,
}

pub(crate) const EVENT_COLUMNS: &str = "id, card_number, bank, service, fin_from, fin_to, created_ms";

impl EventRow {
    pub fn into_domain(self) -> Result<sscard_app::ports::CardBankEvent, StoreError> {
        let fin = |v: &str| FinancialState::parse(v).ok_or_else(|| corrupt("financial", v));
        Ok(sscard_app::ports::CardBankEvent {
            service: Service::parse(&self.service).ok_or_else(|| corrupt("service", &self.service))?,
            financial: (fin(&self.fin_from)?, fin(&self.fin_to)?),
            created_at: from_ms(self.created_ms)?,
            id: self.id,
            card: self.card_number,
            bank: self.bank,
        })
    }
}
