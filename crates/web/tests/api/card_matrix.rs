//! The SPEC §7.4 table, walked cell by cell over HTTP for the channels residents and the hotline use (the four
//! online channels and the hotline) and everyone who may act (the holder, a minor's guardian, a proxy with a
//! written authorisation): an allowed cell performs the service; a refused one answers `wrong_channel` with
//! exactly the channels the table names, and changes nothing stored. The counters' cells are walked for the
//! holder at the desk (a guardian or a proxy at a counter comes with the counters' consoles).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use sscard_app::cards::demo::{issue, DemoCard};
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::access::Channel;
use sscard_domain::card::channels::{cell, Acting, Service};
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::values::{IdNumber, Mobile};
use sscard_testkit::fixtures::{
    csv, guardianship_row, id, individual_row, minor_row, GUARDIANSHIP_HEADER, REGISTRY_HEADER,
};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

use crate::common::caller::resident_as;
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;

const ONLINE: [(Channel, &str); 4] = [
    (Channel::Jingtong, world::CLIENT_ID),
    (Channel::Minsheng, "matrix-minsheng"),
    (Channel::WechatOfficial, "matrix-wechat"),
    (Channel::Web, "matrix-web"),
];

fn secret(client: &str) -> String {
    if client == world::CLIENT_ID {
        world::CLIENT_SECRET.to_string()
    } else {
        format!("{client}-secret-0123456789abcdef")
    }
}

/// A bearer token for `username` through `client`.
async fn token(s: &Server, client: &str, username: &str) -> String {
    let api = world::api(&s.base);
    let captcha = api.captcha_for(client, &secret(client)).await;
    let (st, v) = api
        .login_with(client, &secret(client), username, PASSWORD, &captcha)
        .await;
    assert_eq!(st, 200, "{username} via {client}: {v}");
    v["access_token"].as_str().unwrap().to_string()
}

/// What a service needs in the body to be performed (a fresh card of the right state is made per cell).
fn body_for(service: Service, password: &str) -> Value {
    match service {
        Service::TemporaryLoss => json!({"reason": "lost", "password": password}),
        Service::PasswordChange => json!({"old": password, "new": "482913"}),
        Service::InfoChange => json!({"address": "朝阳区新址9号"}),
        Service::StatusQuery => json!({"password": password}),
        _ => json!({"password": password}),
    }
}

/// The card state a service needs to be performed.
fn state_for(service: Service) -> S {
    match service {
        Service::Activation => S::PendingActivation,
        _ => S::Active,
    }
}

/// A guardian and their child (in the registry and the household register), and a proxy (a real-name resident,
/// `matrixproxy`) whom the world's victim authorised in writing for everything a proxy may do.
async fn people(s: &Server, w: &world::World) -> ((IdNumber, String), IdNumber, (IdNumber, String)) {
    let guardian = (id(1983, 3, 3, 81), "郭监护".to_string());
    let child = id(2016, 6, 6, 82);
    let proxy = (id(1984, 4, 4, 83), "彭代办".to_string());
    let rows = vec![
        individual_row(&guardian.0, &guardian.1),
        minor_row(&child, "郭小童"),
        individual_row(&proxy.0, &proxy.1),
    ];
    import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    let link = vec![guardianship_row(&guardian.0, &child, "51", true)];
    import_csv(
        &s.ctx,
        ImportKind::Guardianship,
        csv(GUARDIANSHIP_HEADER, &link).as_bytes(),
    )
    .await
    .unwrap();
    resident_as(s, "matrixproxy", &proxy.0, &proxy.1).await;
    let proxy_token = token(s, world::CLIENT_ID, "matrixproxy").await;
    let scan = base64::engine::general_purpose::STANDARD.encode(images::jpeg(1200, 1600));
    let (st, v) = call(
        s,
        &proxy_token,
        "/api/v1/me/proxy-authorisations",
        json!({"holder_id_number": w.victim.0.as_str(), "holder_name": w.victim.1,
               "services": ["activation", "temporary_loss", "password_change", "status_query"],
               "valid_until": "2027-06-30", "document": scan}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    (guardian, child, proxy)
}

async fn call(s: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    let api = world::api(&s.base);
    let (st, text) = api.call(Method::POST, path, Some(token), Some(body)).await;
    (st, serde_json::from_str(&text).unwrap_or(Value::Null))
}

both_engines!(
    every_online_and_hotline_cell_performs_or_refuses_as_the_table_says,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        for (channel, client) in ONLINE.iter().skip(1) {
            sscard_app::accounts::create_client(&s.ctx, client, client, *channel, Some(&secret(client)))
                .await
                .unwrap();
        }
        // The people: the holder (world's resident), a guardian and their child, a proxy and the holder who
        // authorised them.
        let (guardian, child, _proxy) = people(&s, &w).await;
        resident_as(&s, "matrixguardian", &guardian.0, &guardian.1).await;
        let actors: [(Acting, &str, IdNumber); 3] = [
            (Acting::Holder, As::Resident.username(), w.me.0.clone()),
            (Acting::Guardian, "matrixguardian", child.clone()),
            (Acting::Proxy, "matrixproxy", w.victim.0.clone()),
        ];
        let hotline = {
            let api = world::api(&s.base);
            api.token(As::Role(sscard_domain::access::Role::HotlineAgent))
                .await
                .unwrap()
        };
        let password = "590372";
        let hash = sscard_app::secrets::hash_password(password).await.unwrap();
        let mut n = 0u32;
        let mut walked = 0;
        for (acting, username, holder) in &actors {
            let mut channels: Vec<(Channel, Option<&str>)> = ONLINE.iter().map(|(c, id)| (*c, Some(*id))).collect();
            channels.push((Channel::Hotline, None));
            for (channel, client) in channels {
                let tok = match client {
                    Some(c) => token(&s, c, username).await,
                    None => hotline.clone(),
                };
                for service in Service::ALL {
                    if service == Service::Apply {
                        continue; // Applying is the application routes' (tested with them).
                    }
                    n += 1;
                    let number = format!("MX{n:06}");
                    crate::common::cards::card_in(&s, &number, holder, "resident-0", state_for(service)).await;
                    // A card's password is set (the initial one must be changed before the hotline takes it).
                    set_password(&s, &number, &hash).await;
                    let expected = cell(service, channel, *acting);
                    // The hotline acts for the caller themself; a guardian or proxy by telephone is not a cell
                    // the agent can choose.
                    if channel == Channel::Hotline && *acting != Acting::Holder {
                        continue;
                    }
                    let path = match channel {
                        Channel::Hotline => format!("/api/v1/hotline/cards/{number}/services/{}", service.as_str()),
                        _ => format!("/api/v1/me/cards/{number}/services/{}", service.as_str()),
                    };
                    let before = s.ctx.store.card_transitions(&number).await.unwrap().len();
                    let (st, v) = call(&s, &tok, &path, body_for(service, password)).await;
                    let ctx = format!(
                        "{} via {} as {}: {st} {v}",
                        service.as_str(),
                        channel.as_str(),
                        acting.as_str()
                    );
                    walked += 1;
                    if expected.allowed {
                        // Performed, or (a service done at a counter in part 2) answered, but never refused
                        // for the channel.
                        assert_ne!(v["code"], "wrong_channel", "{ctx}");
                        if matches!(
                            service,
                            Service::Activation
                                | Service::TemporaryLoss
                                | Service::PasswordChange
                                | Service::InfoChange
                                | Service::StatusQuery
                        ) {
                            assert_eq!(st, 200, "{ctx}");
                            let after = s.ctx.store.card_transitions(&number).await.unwrap().len();
                            let recorded = service != Service::StatusQuery;
                            assert_eq!(after, before + usize::from(recorded), "{ctx}");
                        }
                    } else {
                        assert_eq!((st, v["code"].as_str()), (403, Some("wrong_channel")), "{ctx}");
                        let want: Vec<&str> = Channel::ALL
                            .into_iter()
                            .filter(|c| cell(service, *c, *acting).allowed)
                            .map(|c| c.as_str())
                            .collect();
                        let got: Vec<&str> = v["channels"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                            .unwrap_or_default();
                        assert_eq!(got, want, "{ctx}");
                        let after = s.ctx.store.card_transitions(&number).await.unwrap().len();
                        assert_eq!(after, before, "nothing stored: {ctx}");
                    }
                }
            }
        }
        assert!(walked >= 12 * 5 + 12 * 4 * 2, "{walked} cells walked");
    }
);

/// Sets a card's service password directly (as a change would), so each cell starts from a known one.
async fn set_password(s: &Server, number: &str, hash: &str) {
    let card = s.ctx.store.card(number).await.unwrap().unwrap();
    let change = sscard_domain::card::lifecycle::Change {
        service: Service::PasswordChange,
        social_security: (card.social_security, card.social_security),
        financial: (card.financial, card.financial),
        loss_until: card.loss_until,
    };
    let t = sscard_domain::card::transition::CardTransition::of(
        number,
        &change,
        sscard_domain::clock::Clock::now(s.ctx.clock.as_ref()),
        sscard_domain::card::lifecycle::Reason::Requested,
        None,
        Some(Channel::BankOutlet),
        sscard_domain::card::transition::Actor::system(),
        None,
        None,
    );
    let w = sscard_app::ports::CardWrite {
        replacement: None,
        retire: None,
        fields: None,
        transition: t,
        loss_until: card.loss_until,
        password_hash: Some(hash.into()),
        bank_event: None,
        notify: None,
        ends_legacy_medical: false,
        info: None,
        audit: None,
    };
    s.ctx.store.write_card_change(&w).await.unwrap();
}

/// The card state and financial function a counter service needs to be performed.
fn counter_state_for(service: Service) -> (S, bool) {
    match service {
        Service::Activation => (S::PendingActivation, false),
        Service::FinancialActivation => (S::Active, false),
        Service::Release => (S::FormalLoss, true),
        _ => (S::Active, true),
    }
}

/// What each counter service needs in its body besides the identity check and the party.
fn counter_body(service: Service, holder: &IdNumber) -> Value {
    let initial: String = holder.as_str()[12..].replace('X', "0");
    match service {
        Service::Cancellation => json!({"reason": "moved_out", "case_document": "迁出证明 2026-001"}),
        Service::PasswordChange => json!({"old": initial, "new": "482913"}),
        Service::PasswordReset => json!({"new": "482913"}),
        Service::InfoChange => json!({"address": "朝阳区新址9号"}),
        Service::Replacement => json!({"cause": "damaged", "card_presented": true}),
        Service::BankChange => json!({"card_presented": true}),
        Service::InstantCard => json!({"top_up_fen": 5000}),
        _ => json!({}),
    }
}

both_engines!(
    every_counter_cell_for_holder_guardian_and_proxy_performs_or_refuses_as_the_table_says,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        // A guardian and their child, a proxy authorised by the victim (as in the online walk).
        let (guardian, child, proxy) = people(&s, &w).await;
        let guardian = guardian.0;
        let parties: [(Acting, IdNumber, Option<IdNumber>); 3] = [
            (Acting::Holder, w.me.0.clone(), None),
            (Acting::Guardian, child.clone(), Some(guardian.clone())),
            (Acting::Proxy, w.victim.0.clone(), Some(proxy.0.clone())),
        ];
        let api = world::api(&s.base);
        let clerks = [
            (
                Channel::DistrictOutlet,
                api.token(As::Role(sscard_domain::access::Role::OutletClerk))
                    .await
                    .unwrap(),
            ),
            (
                Channel::BankOutlet,
                api.token(As::Role(sscard_domain::access::Role::BankClerk))
                    .await
                    .unwrap(),
            ),
        ];
        let mut n = 0u32;
        let mut performed = 0;
        for (channel, tok) in &clerks {
            for (acting, holder, agent) in &parties {
                for service in Service::ALL {
                    if service == Service::Apply {
                        continue; // Not a card's service: applying is the application routes'.
                    }
                    n += 1;
                    let number = format!("MC{n:06}");
                    let (ss, financial_active) = counter_state_for(service);
                    issue(
                        &s.ctx,
                        &DemoCard {
                            number: number.clone(),
                            holder: holder.clone(),
                            applicant: "resident-0".into(),
                            mobile: Mobile::parse("13900000008").unwrap(),
                            bank: "102".into(),
                            branch: "102-0101".into(),
                            social_security: ss,
                            financial_active,
                            loss_until: None,
                        },
                    )
                    .await
                    .unwrap();
                    let mut body = counter_body(service, holder);
                    body["identity_document"] = json!("id_card");
                    body["identity_number"] = json!(holder.as_str());
                    body["acting"] = json!(acting.as_str());
                    if let Some(a) = agent {
                        body["agent_id_number"] = json!(a.as_str());
                    }
                    let path = format!("/api/v1/counter/cards/{number}/services/{}", service.as_str());
                    let before = s.ctx.store.card_transitions(&number).await.unwrap().len();
                    let (st, v) = call(&s, tok, &path, body).await;
                    let ctx = format!(
                        "{} at {} as {}: {st} {v}",
                        service.as_str(),
                        channel.as_str(),
                        acting.as_str()
                    );
                    let expected = cell(service, *channel, *acting);
                    let after = s.ctx.store.card_transitions(&number).await.unwrap().len();
                    if expected.allowed {
                        // Every allowed cell performs: recorded once (a status query is a read, not a change).
                        assert_eq!(st, 200, "{ctx}");
                        let recorded = service != Service::StatusQuery;
                        assert_eq!(after, before + usize::from(recorded), "recorded once: {ctx}");
                        if let Some(a) = agent {
                            let last = s.ctx.store.card_transitions(&number).await.unwrap().pop();
                            if recorded {
                                let last = last.unwrap();
                                assert_eq!(
                                    (last.actor.acting, last.actor.agent.as_ref()),
                                    (*acting, Some(a)),
                                    "the agent is recorded with their own ID: {ctx}"
                                );
                            }
                        }
                        performed += 1;
                    } else {
                        assert_eq!((st, v["code"].as_str()), (403, Some("wrong_channel")), "{ctx}");
                        let want: Vec<&str> = Channel::ALL
                            .into_iter()
                            .filter(|c| cell(service, *c, *acting).allowed)
                            // Online replacement only where the card's bank takes it (bank 102 does not).
                            .filter(|c| !(service == Service::Replacement && c.is_online()))
                            .map(|c| c.as_str())
                            .collect();
                        let got: Vec<&str> = v["channels"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                            .unwrap_or_default();
                        assert_eq!(got, want, "{ctx}");
                        assert_eq!(after, before, "nothing stored: {ctx}");
                    }
                }
            }
        }
        assert!(performed >= 30, "{performed} cells performed");
    }
);

both_engines!(
    a_representative_at_the_counter_is_checked_before_anything_is_stored,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let stranger = id(1985, 5, 5, 85);
        import_csv(
            &s.ctx,
            ImportKind::Registry,
            csv(REGISTRY_HEADER, &[individual_row(&stranger, "石陌生")]).as_bytes(),
        )
        .await
        .unwrap();
        crate::common::cards::card_in(&s, "MR0000001", &w.me.0, "resident-0", S::Active).await;
        let issued = s.ctx.store.card_transitions("MR0000001").await.unwrap().len();
        let api = world::api(&s.base);
        let bank = api
            .token(As::Role(sscard_domain::access::Role::BankClerk))
            .await
            .unwrap();
        let at = |service: &str| format!("/api/v1/counter/cards/MR0000001/services/{service}");
        let base = |acting: &str, agent: Option<&str>| {
            json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(), "acting": acting,
                   "agent_id_number": agent, "reason": "lost"})
        };
        let cases = [
            // A guardian of an adult, or of nobody: not the household register's.
            (
                at("temporary_loss"),
                base("guardian", Some(stranger.as_str())),
                422,
                "not_guardian",
            ),
            // A proxy without an authorisation on record.
            (
                at("temporary_loss"),
                base("proxy", Some(stranger.as_str())),
                403,
                "proxy_not_authorised",
            ),
            // A proxy's cancellation needs the case: its reason and its documents.
            (
                at("cancellation"),
                base("proxy", Some(stranger.as_str())),
                422,
                "invalid_choice",
            ),
            // A proxy never does a formal loss: refused as a matter of where (nowhere for a proxy).
            (
                at("formal_loss"),
                base("proxy", Some(stranger.as_str())),
                403,
                "wrong_channel",
            ),
            // The agent's own number is required, and is not the holder's.
            (at("temporary_loss"), base("guardian", None), 422, "required"),
            (
                at("temporary_loss"),
                base("proxy", Some(w.me.0.as_str())),
                422,
                "proxy_is_holder",
            ),
            (at("temporary_loss"), base("uncle", None), 422, "invalid_choice"),
        ];
        for (path, body, status, code) in cases {
            let (st, v) = call(&s, &bank, &path, body.clone()).await;
            let codes: Vec<String> = std::iter::once(v["code"].as_str().unwrap_or("").to_string())
                .chain(crate::common::caller::field_codes(&v).into_iter().map(|(_, c)| c))
                .collect();
            assert!(
                st == status && codes.iter().any(|c| c == code),
                "{path} {body}: {st} {v}"
            );
        }
        let mut with_case = base("proxy", Some(stranger.as_str()));
        with_case["reason"] = json!("death");
        let (st, v) = call(&s, &bank, &at("cancellation"), with_case.clone()).await;
        assert_eq!(
            (st, crate::common::caller::field_codes(&v)),
            (422, vec![("case_document".to_string(), "required".to_string())])
        );
        let stored = s.ctx.store.card_transitions("MR0000001").await.unwrap().len();
        assert_eq!(stored, issued, "nothing stored");
        with_case["case_document"] = json!("死亡证明 京2026-0001");
        let (st, v) = call(&s, &bank, &at("cancellation"), with_case).await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("cancelled")), "{v}");
        let audit = s.ctx.store.recent_audit(None, 10).await.unwrap();
        assert!(
            audit.iter().any(|e| e
                .record
                .as_deref()
                .is_some_and(|r| r.contains(";agent:proxy:") && r.contains("case:死亡证明"))),
            "{audit:?}"
        );
    }
);
