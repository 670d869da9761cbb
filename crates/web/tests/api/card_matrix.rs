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
        resident_as(&s, "matrixguardian", &guardian.0, &guardian.1).await;
        resident_as(&s, "matrixproxy", &proxy.0, &proxy.1).await;
        // The victim authorises the proxy for everything a proxy may do.
        let proxy_token = token(&s, world::CLIENT_ID, "matrixproxy").await;
        let scan = base64::engine::general_purpose::STANDARD.encode(images::jpeg(1200, 1600));
        let (st, v) = call(
            &s,
            &proxy_token,
            "/api/v1/me/proxy-authorisations",
            json!({"holder_id_number": w.victim.0.as_str(), "holder_name": w.victim.1,
                   "services": ["activation", "temporary_loss", "password_change", "status_query"],
                   "valid_until": "2027-06-30", "document": scan}),
        )
        .await;
        assert_eq!(st, 201, "{v}");

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

both_engines!(
    every_counter_cell_for_the_holder_performs_or_refuses_as_the_table_says,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
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
        let performed = [
            Service::Activation,
            Service::FinancialActivation,
            Service::TemporaryLoss,
            Service::FormalLoss,
            Service::Release,
            Service::Cancellation,
            Service::PasswordReset,
        ];
        let mut n = 0u32;
        for (channel, tok) in &clerks {
            for service in Service::ALL {
                n += 1;
                let number = format!("MC{n:06}");
                let (ss, financial_active) = counter_state_for(service);
                issue(
                    &s.ctx,
                    &DemoCard {
                        number: number.clone(),
                        holder: w.me.0.clone(),
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
                let reason = match service {
                    Service::Cancellation => Some("moved_out"),
                    _ => None,
                };
                let body = json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(), "reason": reason, "new": "482913"});
                let path = format!("/api/v1/counter/cards/{number}/services/{}", service.as_str());
                let before = s.ctx.store.card_transitions(&number).await.unwrap().len();
                let (st, v) = call(&s, tok, &path, body).await;
                let ctx = format!("{} at {}: {st} {v}", service.as_str(), channel.as_str());
                let expected = cell(service, *channel, Acting::Holder);
                let after = s.ctx.store.card_transitions(&number).await.unwrap().len();
                if expected.allowed {
                    assert_ne!(v["code"], "wrong_channel", "{ctx}");
                    if performed.contains(&service) {
                        assert_eq!(st, 200, "{ctx}");
                        assert_eq!(after, before + 1, "recorded once: {ctx}");
                    }
                } else {
                    assert_eq!((st, v["code"].as_str()), (403, Some("wrong_channel")), "{ctx}");
                    let want: Vec<&str> = Channel::ALL
                        .into_iter()
                        .filter(|c| cell(service, *c, Acting::Holder).allowed)
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
);
