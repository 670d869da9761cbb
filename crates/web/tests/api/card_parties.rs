//! The card's life with other parties, over the API on both databases: the 96066 hotline (find by ID number
//! with a purpose, the caller's password, a loss), a proxy within the written authorisation, non-key
//! information, and the issuing bank (its events, its financial reports, bank-sim).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use sscard_app::cards::demo::{issue, DemoCard};
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::clock::Clock;
use sscard_domain::values::Mobile;
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

use crate::cards::{again, card_of, codes, post_keyed};
use crate::common::caller::{field_codes, Caller};
use crate::common::world;
use crate::common::Server;

both_engines!(
    the_hotline_finds_by_id_number_checks_the_password_and_reports_a_loss,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let number = card_of(&s, "BJH0000001", &w.me.0, "resident-0", S::Active).await;
        let api = world::api(&s.base);
        let agent = api
            .token(crate::common::world::As::Role(
                sscard_domain::access::Role::HotlineAgent,
            ))
            .await
            .unwrap();
        let call = |path: String, body: Value| {
            let api = world::api(&s.base);
            let agent = agent.clone();
            async move {
                let (st, text) = api.call(Method::POST, &path, Some(&agent), Some(body)).await;
                (st, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
            }
        };
        // Without a purpose: refused; with one: the cards, and the holder sees who read them.
        let (st, p) = call("/api/v1/hotline/searches".into(), json!({"id_number": w.me.0.as_str()})).await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("purpose".into(), "purpose_required".into())])
        );
        let (st, v) = call(
            "/api/v1/hotline/searches".into(),
            json!({"id_number": w.me.0.as_str(), "purpose": "hotline_enquiry"}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v[0]["number"], "BJH0000001");
        assert!(v[0].get("social_security").is_none(), "no state before the password");
        let log = s.ctx.store.person_access_log(w.me.0.as_str(), 10).await.unwrap();
        assert!(
            log.iter().any(|e| e.purpose.as_deref() == Some("hotline_enquiry")),
            "{log:?}"
        );

        let service = |name: &str| format!("/api/v1/hotline/cards/{number}/services/{name}");
        // The initial password verifies, but must be changed first.
        let initial = sscard_domain::card::password::initial(&w.me.0);
        let (st, p) = call(service("status_query"), json!({"password": initial.as_str()})).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("service_password_initial")), "{p}");
        let hash = sscard_app::secrets::hash_password("590372").await.unwrap();
        let card = s.ctx.store.card(&number).await.unwrap().unwrap();
        let w2 = sscard_app::ports::CardWrite {
            replacement: None,
            retire: None,
            fields: None,
            transition: sscard_domain::card::transition::CardTransition::of(
                &number,
                &sscard_domain::card::lifecycle::Change {
                    service: sscard_domain::card::channels::Service::PasswordChange,
                    social_security: (card.social_security, card.social_security),
                    financial: (card.financial, card.financial),
                    loss_until: None,
                },
                s.clock.now(),
                sscard_domain::card::lifecycle::Reason::Requested,
                None,
                Some(sscard_domain::access::Channel::Web),
                sscard_domain::card::transition::Actor::system(),
                None,
                None,
            ),
            loss_until: None,
            password_hash: Some(hash),
            bank_event: None,
            notify: None,
            ends_legacy_medical: false,
            info: None,
            audit: None,
        };
        s.ctx.store.write_card_change(&w2).await.unwrap();
        // A wrong password counts; a formal loss is refused naming the counters.
        let (st, p) = call(service("status_query"), json!({"password": "111111"})).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("service_password_wrong")), "{p}");
        assert_eq!(s.ctx.store.card_secret(&number).await.unwrap().unwrap().failures, 1);
        let (st, p) = call(service("formal_loss"), json!({"password": "590372"})).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        assert_eq!(p["channels"], json!(["district_outlet", "bank_outlet"]));
        // The right password: the state, then the loss, recorded as the agent's on the holder's behalf.
        let (st, v) = call(service("status_query"), json!({"password": "590372"})).await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("active")), "{v}");
        assert_eq!(
            s.ctx.store.card_secret(&number).await.unwrap().unwrap().failures,
            0,
            "a right one forgets"
        );
        let texts = s.ctx.store.pending_sms().await.unwrap();
        let (st, v) = call(
            service("temporary_loss"),
            json!({"password": "590372", "reason": "lost"}),
        )
        .await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("temp_loss")), "{v}");
        let last = v["transitions"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["channel"].as_str(), last["role"].as_str(), last["acting"].as_str()),
            (Some("hotline"), Some("hotline_agent"), Some("self"))
        );
        assert_eq!(s.ctx.store.pending_sms().await.unwrap(), texts + 1);
        let sent = s
            .ctx
            .store
            .claim_sms(100, s.clock.now(), Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            sent.iter()
                .any(|m| m.body.contains("热线座席") && m.body.contains("96066服务热线")),
            "says who and where"
        );
    }
);

both_engines!(
    a_proxy_acts_within_the_written_authorisation_only,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        // The victim (in the registry) authorises the world's resident as proxy.
        let number = card_of(&s, "BJX0000001", &w.victim.0, "resident-0", S::PendingActivation).await;
        let proxy = crate::common::caller::caller(&s, crate::common::world::As::Resident).await;
        let scan = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, images::jpeg(1200, 1600));
        let auth = |services: Value, name: &str, doc: &str| {
            json!({"holder_id_number": w.victim.0.as_str(), "holder_name": name, "services": services,
                   "valid_until": "2027-01-31", "document": doc})
        };
        // Refusals: a service no proxy may do, a name not the registry's, bytes that are no image.
        let (st, p) = proxy
            .post(
                "/api/v1/me/proxy-authorisations",
                auth(json!(["password_reset"]), &w.victim.1, &scan),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("services".into(), "proxy_service_not_delegable".into())])
        );
        let (st, p) = proxy
            .post(
                "/api/v1/me/proxy-authorisations",
                auth(json!(["activation"]), "别人", &scan),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("holder_name".into(), "holder_not_matched".into())])
        );
        let junk = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"not an image at all");
        let (st, p) = proxy
            .post(
                "/api/v1/me/proxy-authorisations",
                auth(json!(["activation"]), &w.victim.1, &junk),
            )
            .await;
        assert_eq!(st, 422, "{p}");
        assert_eq!(field_codes(&p)[0].0, "document");
        let (_, list) = proxy.get("/api/v1/me/proxy-authorisations").await;
        assert_eq!(list, json!([]), "nothing recorded");
        // Until authorised, the card is not found.
        let (st, _) = proxy.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!(st, 404);
        let (st, v) = proxy
            .post(
                "/api/v1/me/proxy-authorisations",
                auth(json!(["activation", "status_query"]), &w.victim.1, &scan),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["services"], json!(["activation", "status_query"]));
        let (st, v) = proxy.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!((st, v["acting"].as_str()), (200, Some("proxy")), "{v}");
        assert_eq!(
            codes(&v, "available_here"),
            vec!["activation".to_string(), "status_query".to_string()]
        );
        // Activation: done, recorded as the proxy's on the holder's behalf.
        let (st, v) = proxy
            .post(&format!("/api/v1/me/cards/{number}/activation"), json!({}))
            .await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("active")), "{v}");
        let t = s.ctx.store.card_transitions(&number).await.unwrap();
        let last = t.last().unwrap();
        assert_eq!(last.actor.acting, sscard_domain::card::channels::Acting::Proxy);
        assert_eq!(last.actor.agent.as_ref(), Some(&w.me.0));
        // A loss is a proxy's service, but not in this authorisation; a reset is never a proxy's.
        let (st, p) = proxy
            .post(&format!("/api/v1/me/cards/{number}/temporary-loss"), json!({}))
            .await;
        assert_eq!((st, p["code"].as_str()), (403, Some("proxy_not_authorised")), "{p}");
        let (st, p) = proxy
            .post(&format!("/api/v1/me/cards/{number}/password/reset-code"), json!({}))
            .await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        assert_eq!(
            s.ctx.store.card(&number).await.unwrap().unwrap().social_security,
            S::Active
        );
    }
);

both_engines!(
    non_key_information_changes_online_but_not_the_banks_mobile,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let number = card_of(&s, "BJI0000001", &w.me.0, "resident-0", S::Active).await;
        let h = crate::common::caller::caller(&s, crate::common::world::As::Resident).await;
        let path = format!("/api/v1/me/cards/{number}/info");
        let (st, p) = h
            .call(Method::PATCH, &path, Some(json!({"financial_mobile": "13700000000"})))
            .await;
        assert_eq!((st, p["code"].as_str()), (403, Some("financial_mobile_at_bank")), "{p}");
        assert_eq!(p["channels"], json!(["bank_outlet"]));
        let (st, p) = h
            .call(
                Method::PATCH,
                &path,
                Some(json!({"mobile": "12345", "occupation": "zz"})),
            )
            .await;
        assert_eq!(st, 422, "{p}");
        assert_eq!(
            field_codes(&p),
            vec![
                ("occupation".into(), "invalid_choice".into()),
                ("mobile".into(), "mobile_invalid".into())
            ]
        );
        assert_eq!(
            s.ctx.store.card_transitions(&number).await.unwrap().len(),
            2,
            "nothing stored"
        );
        let (st, v) = h
            .call(
                Method::PATCH,
                &path,
                Some(json!({"address": "朝阳区新址8号", "mobile": "13700000001"})),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            (v["address"].as_str(), v["mobile"].as_str()),
            (Some("朝阳区新址8号"), Some("137****0001"))
        );
        let info = s.ctx.store.holder_info(&number).await.unwrap();
        assert_eq!(info.mobile.unwrap().as_str(), "13700000001");
        // The next change's text goes to the new number.
        let (st, _) = post_keyed(
            &h,
            &format!("/api/v1/me/cards/{number}/temporary-loss"),
            None,
            json!({}),
        )
        .await;
        assert_eq!(st, 200);
        let sent = s
            .ctx
            .store
            .claim_sms(100, s.clock.now(), Duration::minutes(1))
            .await
            .unwrap();
        assert!(sent
            .iter()
            .any(|m| m.mobile.as_str() == "13700000001" && m.body.contains("临时挂失")));
    }
);

both_engines!(
    the_issuing_bank_hears_of_every_financial_change_and_reports_back,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let number = card_of(&s, "BJB0000001", &w.me.0, "resident-0", S::Active).await;
        let h = crate::common::caller::caller(&s, crate::common::world::As::Resident).await;
        let bank = Caller {
            api: world::api(&s.base),
            token: world::api(&s.base)
                .token(crate::common::world::As::Role(sscard_domain::access::Role::BankSystem))
                .await
                .unwrap(),
            _s: &s,
        };
        // The loss online moves the financial function: the bank gets an event.
        let (st, _) = post_keyed(
            &h,
            &format!("/api/v1/me/cards/{number}/temporary-loss"),
            None,
            json!({}),
        )
        .await;
        assert_eq!(st, 200);
        let (st, events) = bank.post("/api/v1/bank/card-events/pull", json!({"limit": 10})).await;
        assert_eq!(st, 200, "{events}");
        let events = events.as_array().unwrap().clone();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            (
                events[0]["card"].as_str(),
                events[0]["service"].as_str(),
                events[0]["financial_to"].as_str()
            ),
            (Some("BJB0000001"), Some("temporary_loss"), Some("loss"))
        );
        // The answer was lost (no ack): nothing while leased, the same event after the lease.
        let (_, leased) = bank.post("/api/v1/bank/card-events/pull", json!({})).await;
        assert_eq!(leased, json!([]));
        s.clock.advance(Duration::minutes(11));
        let bank = Caller {
            token: world::api(&s.base)
                .token(crate::common::world::As::Role(sscard_domain::access::Role::BankSystem))
                .await
                .unwrap(),
            ..bank
        };
        let (_, back) = bank.post("/api/v1/bank/card-events/pull", json!({})).await;
        assert_eq!(back[0]["id"], events[0]["id"]);
        let (_, acked) = bank
            .post("/api/v1/bank/card-events/ack", json!({"events": [events[0]["id"]]}))
            .await;
        assert_eq!(acked["acknowledged"], 1);
        // The bank lifts the account's loss at its counter and says so; the same report again changes nothing.
        let texts = s.ctx.store.pending_sms().await.unwrap();
        let fin = format!("/api/v1/bank/cards/{number}/financial");
        let (st, v) = bank.post(&fin, json!({"state": "active"})).await;
        assert_eq!(
            (st, v["financial"].as_str(), v["social_security"].as_str()),
            (200, Some("active"), Some("temp_loss")),
            "{v}"
        );
        let (st, _) = bank.post(&fin, json!({"state": "active"})).await;
        assert_eq!(st, 200);
        assert_eq!(
            s.ctx.store.pending_sms().await.unwrap(),
            texts + 1,
            "one text for one change"
        );
        let records = s.ctx.store.card_transitions(&number).await.unwrap();
        assert_eq!(
            records.last().unwrap().reason,
            sscard_domain::card::lifecycle::Reason::BankReport
        );
        let (_, none) = bank.post("/api/v1/bank/card-events/pull", json!({})).await;
        assert_eq!(none, json!([]), "its own report is no event for it");
        // Out of turn, out of reach, out of vocabulary.
        let (st, p) = bank.post(&fin, json!({"state": "cancelled"})).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("social_security_first")), "{p}");
        let (st, p) = bank.post(&fin, json!({"state": "lost"})).await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("state".into(), "invalid_choice".into())])
        );
        let theirs = {
            issue(
                &s.ctx,
                &DemoCard {
                    number: "BJB0000002".into(),
                    holder: w.victim.0.clone(),
                    applicant: "resident-0".into(),
                    mobile: Mobile::parse("13900000003").unwrap(),
                    bank: "104".into(),
                    branch: "104-0101".into(),
                    social_security: S::Active,
                    financial_active: true,
                    loss_until: None,
                },
            )
            .await
            .unwrap();
            "BJB0000002"
        };
        let (st, _) = bank
            .post(
                &format!("/api/v1/bank/cards/{theirs}/financial"),
                json!({"state": "loss"}),
            )
            .await;
        assert_eq!(st, 404, "another bank's card");

        // bank-sim applies the events as a real bank would, and acknowledges them: after the 15 days the
        // social-security side is active again, a new loss suspends the (lifted) account again.
        let sim = sscard_gateways::bank_sim::BankSim::new(sscard_gateways::bank_sim::BankSimConfig {
            base_url: s.base.clone(),
            client_id: "banksystem1".into(),
            secret: world::MACHINE_SECRET.into(),
            ..Default::default()
        })
        .unwrap();
        s.clock.advance(Duration::days(15));
        assert_eq!(sscard_app::cards::release::release_due(&s.ctx, 10).await.unwrap(), 1);
        let h = again(&s, "resident1").await;
        let (st, _) = post_keyed(
            &h,
            &format!("/api/v1/me/cards/{number}/temporary-loss"),
            None,
            json!({}),
        )
        .await;
        assert_eq!(st, 200);
        let stats = sim.drain().await.unwrap();
        assert_eq!(stats.card_events, 1);
        let bank_now = world::api(&s.base)
            .token(crate::common::world::As::Role(sscard_domain::access::Role::BankSystem))
            .await
            .unwrap();
        let (_, left) = world::api(&s.base)
            .call(
                Method::POST,
                "/api/v1/bank/card-events/pull",
                Some(&bank_now),
                Some(json!({})),
            )
            .await;
        assert_eq!(left, "[]", "applied and acknowledged");
        assert_eq!(
            stats.card_events,
            sim.drain().await.unwrap().card_events + 1,
            "none the second time"
        );
        let _ = theirs;
    }
);

both_engines!(
    counters_do_what_their_channel_may_under_its_conditions,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let a = card_of(&s, "BJK0000001", &w.me.0, "resident-0", S::Active).await;
        issue(
            &s.ctx,
            &DemoCard {
                number: "BJK0000002".into(),
                holder: w.victim.0.clone(),
                applicant: "resident-0".into(),
                mobile: Mobile::parse("13900000005").unwrap(),
                bank: "104".into(),
                branch: "104-0101".into(),
                social_security: S::PendingActivation,
                financial_active: false,
                loss_until: None,
            },
        )
        .await
        .unwrap();
        let base = s.base.clone();
        let token = |who| {
            let base = base.clone();
            async move { world::api(&base).token(who).await.unwrap() }
        };
        let outlet = Caller {
            api: world::api(&s.base),
            token: token(crate::common::world::As::Role(sscard_domain::access::Role::OutletClerk)).await,
            _s: &s,
        };
        let bank = Caller {
            api: world::api(&s.base),
            token: token(crate::common::world::As::Role(sscard_domain::access::Role::BankClerk)).await,
            _s: &s,
        };
        let me = w.me.0.as_str().to_string();
        let body =
            |reason: Option<&str>| json!({"identity_document": "id_card", "identity_number": me, "reason": reason});
        let at = |number: &str, service: &str| format!("/api/v1/counter/cards/{number}/services/{service}");

        // Found by ID number with a purpose, audited for the holder.
        let (st, v) = outlet
            .post(
                "/api/v1/counter/card-searches",
                json!({"id_number": me, "purpose": "counter_service"}),
            )
            .await;
        assert_eq!((st, v[0]["number"].as_str()), (200, Some("BJK0000001")), "{v}");
        // The document must be the holder's; nothing is stored otherwise.
        let (st, p) = outlet
            .post(
                &at(&a, "formal_loss"),
                json!({"identity_document": "id_card", "identity_number": w.victim.0.as_str()}),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("identity_number".into(), "identity_mismatch".into())])
        );
        // An outlet's formal loss: the social-security function only; the bank account stays as it was.
        let (st, v) = outlet.post(&at(&a, "formal_loss"), body(Some("lost"))).await;
        assert_eq!(
            (st, v["social_security"].as_str(), v["financial"].as_str()),
            (200, Some("formal_loss"), Some("active")),
            "{v}"
        );
        let last = s.ctx.store.card_transitions(&a).await.unwrap().pop().unwrap();
        assert_eq!(last.place.as_deref(), Some(world::OUTLET));
        assert_eq!(last.actor.role, Some(sscard_domain::access::Role::OutletClerk));
        let audited = s.ctx.store.recent_audit(None, 20).await.unwrap();
        assert!(
            audited.iter().any(|e| e
                .record
                .as_deref()
                .is_some_and(|r| r.starts_with("card:BJK0000001:formal_loss;identity:id_card:"))),
            "the identity check is recorded with the change: {audited:?}"
        );
        // It releases a formal loss; a temporary one is the bank's.
        let (st, v) = outlet.post(&at(&a, "release"), body(Some("found"))).await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("active")), "{v}");
        let (st, v) = outlet.post(&at(&a, "temporary_loss"), body(None)).await;
        assert_eq!((st, v["financial"].as_str()), (200, Some("loss")), "{v}");
        let (st, p) = outlet.post(&at(&a, "release"), body(None)).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("formal_loss_only")), "{p}");
        let (st, v) = bank.post(&at(&a, "release"), body(None)).await;
        assert_eq!(
            (st, v["social_security"].as_str(), v["financial"].as_str()),
            (200, Some("active"), Some("active")),
            "{v}"
        );
        // The issuing bank's service: refused at another bank's counter, and at an outlet as the wrong channel.
        let victim = json!({"identity_document": "id_card", "identity_number": w.victim.0.as_str()});
        let (st, p) = bank
            .post(&at("BJK0000002", "financial_activation"), victim.clone())
            .await;
        assert_eq!((st, p["code"].as_str()), (403, Some("issuing_bank_only")), "{p}");
        assert_eq!(p["channels"], json!(["bank_outlet"]));
        let (st, p) = outlet.post(&at("BJK0000002", "financial_activation"), victim).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        assert_eq!(p["channels"], json!(["bank_outlet"]));
        assert_eq!(
            s.ctx.store.card("BJK0000002").await.unwrap().unwrap().financial,
            sscard_domain::card::FinancialState::Inactive
        );
        // A cancellation says why; at an outlet it cancels the social-security function only.
        let (st, p) = outlet.post(&at(&a, "cancellation"), body(None)).await;
        assert_eq!((st, field_codes(&p)), (422, vec![("reason".into(), "required".into())]));
        let (st, v) = outlet.post(&at(&a, "cancellation"), body(Some("emigration"))).await;
        assert_eq!(
            (st, v["social_security"].as_str(), v["financial"].as_str()),
            (200, Some("cancelled"), Some("active")),
            "{v}"
        );
        let (st, p) = outlet.post(&at(&a, "cancellation"), body(Some("emigration"))).await;
        assert_eq!(
            (st, p["code"].as_str()),
            (409, Some("social_security_only")),
            "the account is the bank's: {p}"
        );
        let (st, v) = bank.post(&at(&a, "cancellation"), body(Some("emigration"))).await;
        assert_eq!((st, v["financial"].as_str()), (200, Some("cancelled")), "{v}");
    }
);

// A proxy authorised to activate only gets the activated card as the answer (the answer is not a status query).
both_engines!(
    a_proxy_authorised_only_to_activate_gets_the_answer,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let number = card_of(&s, "BJX0000002", &w.victim.0, "resident-0", S::PendingActivation).await;
        let proxy = crate::common::caller::caller(&s, crate::common::world::As::Resident).await;
        let scan = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, images::jpeg(1200, 1600));
        let (st, v) = proxy
            .post(
                "/api/v1/me/proxy-authorisations",
                json!({"holder_id_number": w.victim.0.as_str(), "holder_name": w.victim.1,
                       "services": ["activation"], "valid_until": "2027-01-31", "document": scan}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let (st, v) = proxy
            .post(&format!("/api/v1/me/cards/{number}/activation"), json!({}))
            .await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("active")), "{v}");
        assert_eq!(
            codes(&v, "available_here"),
            Vec::<String>::new(),
            "nothing else is theirs to do"
        );
        let (st, p) = proxy.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!(
            (st, p["code"].as_str()),
            (403, Some("proxy_not_authorised")),
            "a status query is not theirs: {p}"
        );
    }
);
