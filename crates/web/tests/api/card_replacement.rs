//! The card's life, part 2, over the API on both databases: replacement (补领 after a formal loss, made by
//! bank-sim and activated; 换领 online where the bank takes it), release refused once a replacement is issued,
//! bank change twice within six months, cancellation's order, the printed-field flag, due dates over National
//! Day and past the loaded calendar, the campaign and the instant card.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone};
use serde_json::{json, Value};
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::clock::Clock;
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

use crate::cards::{again, card_of};
use crate::common::caller::{field_codes, Caller};
use crate::common::world::{self, As};
use crate::common::Server;

async fn as_role<'a>(s: &'a Server, role: Role) -> Caller<'a> {
    Caller {
        api: world::api(&s.base),
        token: world::api(&s.base).token(As::Role(role)).await.unwrap(),
        _s: s,
    }
}

fn at(number: &str, service: &str) -> String {
    format!("/api/v1/counter/cards/{number}/services/{service}")
}

fn replace_at(number: &str) -> String {
    format!("/api/v1/counter/cards/{number}/replacement")
}

fn sim(s: &Server) -> sscard_gateways::bank_sim::BankSim {
    sscard_gateways::bank_sim::BankSim::new(sscard_gateways::bank_sim::BankSimConfig {
        base_url: s.base.clone(),
        client_id: "banksystem1".into(),
        secret: world::MACHINE_SECRET.into(),
        ..Default::default()
    })
    .unwrap()
}

/// The texts waiting in the outbox (claimed, so each is read once).
async fn texts(s: &Server) -> Vec<String> {
    s.ctx
        .store
        .claim_sms(100, s.clock.now(), Duration::minutes(1))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

fn day(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::FixedOffset> {
    sscard_domain::clock::shanghai()
        .with_ymd_and_hms(y, m, d, 10, 0, 0)
        .unwrap()
}

both_engines!(
    a_lost_card_is_formally_reported_replaced_by_the_bank_and_the_new_one_activated,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let old = card_of(&s, "BJR0000001", &w.me.0, "resident-0", S::Active).await;
        let bank = as_role(&s, Role::BankClerk).await;
        let me = w.me.0.as_str().to_string();
        let id = |extra: Value| {
            let mut b = json!({"identity_document": "id_card", "identity_number": me});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        // Lost: a temporary loss, then the formal one at the issuing bank; 补领 before the formal loss is refused.
        let (st, _) = bank
            .post(&at(&old, "temporary_loss"), id(json!({"reason": "lost"})))
            .await;
        assert_eq!(st, 200);
        let (st, p) = bank.post(&replace_at(&old), id(json!({"cause": "lost"}))).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("formal_loss_first")), "{p}");
        let (st, v) = bank.post(&at(&old, "formal_loss"), id(json!({"reason": "lost"}))).await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("formal_loss")), "{v}");
        // Bad input changes nothing: no cause, and a document that is not the holder's.
        let (st, p) = bank.post(&replace_at(&old), id(json!({"cause": "stolen"}))).await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("cause".into(), "invalid_choice".into())])
        );
        let (st, p) = bank
            .post(
                &replace_at(&old),
                json!({"identity_document": "id_card", "identity_number": w.victim.0.as_str(), "cause": "lost"}),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("identity_number".into(), "identity_mismatch".into())])
        );
        assert!(s.ctx.store.replacements_of_card(&old).await.unwrap().is_empty());

        // 补领: the lost card ends at once; the order is due in 4 working days (Sat 21 Nov → Thu 26 Nov).
        let (st, v) = bank.post(&replace_at(&old), id(json!({"cause": "lost"}))).await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(
            (v["social_security"].as_str(), v["financial"].as_str()),
            (Some("cancelled"), Some("cancelled"))
        );
        let r = &v["replacement"];
        assert_eq!(
            (
                r["state"].as_str(),
                r["due_on"].as_str(),
                r["due_provisional"].as_bool()
            ),
            (Some("ordered"), Some("2026-11-26"), Some(false)),
            "{r}"
        );
        // Q21: once a replacement is issued the old card is never released, and one replacement at a time.
        let (st, p) = bank.post(&at(&old, "release"), id(json!({"reason": "found"}))).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("card_replaced")), "{p}");
        let (st, p) = bank.post(&replace_at(&old), id(json!({"cause": "lost"}))).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("replacement_in_progress")), "{p}");
        // The bank hears of the ended card.
        let events = s.ctx.store.card_transitions(&old).await.unwrap();
        assert_eq!(events.last().unwrap().service.as_str(), "replacement");

        // Not made by its due date: the SLA report counts it as a late replacement.
        s.clock.set(day(2026, 11, 27));
        let admin = as_role(&s, Role::Admin).await;
        let (st, sla) = admin.get("/api/v1/admin/reports/sla").await;
        assert_eq!(st, 200);
        let late: Vec<&Value> = sla
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["kind"] == "replacement")
            .collect();
        assert_eq!(late.len(), 1, "{sla}");
        assert_eq!(
            (late[0]["overdue"].as_u64(), late[0]["oldest_due"].as_str()),
            (Some(1), Some("2026-11-26"))
        );
        // The console's production report counts it overdue on the day it was ordered.
        let standing = |v: &Value| -> Vec<(String, u64)> {
            v["groups"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["total"].as_u64() > Some(0))
                .map(|g| (g["code"].as_str().unwrap().to_string(), g["total"].as_u64().unwrap()))
                .collect()
        };
        let report = "/api/v1/admin/reports/replacements?from=2026-11-21&to=2026-11-27";
        let (st, v) = admin.get(report).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(standing(&v), vec![("overdue".to_string(), 1)], "{v}");
        assert_eq!(v["days"][0]["counts"][2], 1, "on the 21st, the day it was ordered: {v}");

        // bank-sim pulls it (a replacement, with its due date) and makes it; the holder is texted.
        let stats = sim(&s).drain().await.unwrap();
        assert_eq!((stats.produced, stats.ready_for_pickup), (1, 1), "{stats:?}");
        let order = s.ctx.store.replacements_of_card(&old).await.unwrap().pop().unwrap();
        assert_eq!(order.state.as_str(), "ready_for_pickup");
        let new = order.new_card.clone().unwrap();
        let new_card = s.ctx.store.card(&new).await.unwrap().unwrap();
        assert_eq!(
            (
                new_card.generation,
                new_card.links.replaces.as_deref(),
                new_card.social_security
            ),
            (3, Some(old.as_str()), S::PendingActivation),
            "new for new, linked to the old one"
        );
        let old_card = s.ctx.store.card(&old).await.unwrap().unwrap();
        assert_eq!(old_card.links.replaced_by.as_deref(), Some(new.as_str()));
        let sent = texts(&s).await;
        assert!(sent.iter().any(|m| m.contains("已制成")), "{sent:?}");
        // The holder activates it online.
        let h = again(&s, "resident1").await;
        let (st, v) = h.post(&format!("/api/v1/me/cards/{new}/activation"), json!({})).await;
        assert_eq!((st, v["social_security"].as_str()), (200, Some("active")), "{v}");
        let (_, mine) = h.get(&format!("/api/v1/me/cards/{old}")).await;
        assert_eq!(
            (mine["replaced_by"].as_str(), mine["replacement"]["new_card"].as_str()),
            (Some(new.as_str()), Some(new.as_str())),
            "{mine}"
        );
        // The SLA report no longer counts it.
        let (_, sla) = admin.get("/api/v1/admin/reports/sla").await;
        assert!(
            !sla.as_array().unwrap().iter().any(|l| l["kind"] == "replacement"),
            "{sla}"
        );
        // Made a day after its due date: late. The services report counts the counter's work and the
        // holder's own online.
        let (_, v) = admin.get(report).await;
        assert_eq!(standing(&v), vec![("late".to_string(), 1)], "{v}");
        let (_, v) = admin
            .get("/api/v1/admin/reports/services?from=2026-11-21&to=2026-11-27")
            .await;
        let channels = standing(&v);
        assert!(channels.iter().any(|(c, n)| c == "bank_outlet" && *n >= 3), "{v}");
        assert!(channels.iter().any(|(c, _)| c == "web" || c == "jingtong"), "{v}");
        let (st, csv) = {
            let r = admin
                .api
                .http
                .get(
                    admin
                        .api
                        .url("/api/v1/admin/reports/services/csv?from=2026-11-21&to=2026-11-27"),
                )
                .bearer_auth(&admin.token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        };
        assert_eq!(st, 200);
        assert!(
            csv.starts_with("day,group,name,count\n") && csv.contains(",bank_outlet,"),
            "{csv}"
        );
        assert_eq!(admin.get("/api/v1/admin/reports/weather").await.0, 404);
    }
);

both_engines!(
    a_damaged_card_is_replaced_online_only_where_the_bank_takes_it_and_works_until_the_new_one,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let old = card_of(&s, "BJR0000002", &w.me.0, "resident-0", S::Active).await;
        let h = again(&s, "resident1").await;
        let path = format!("/api/v1/me/cards/{old}/replacement");
        // Bank 102 does not take it online: refused, naming the bank counter; nothing stored.
        let (st, p) = h.post(&path, json!({"cause": "damaged"})).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("no_online_replacement")), "{p}");
        assert_eq!(p["channels"], json!(["bank_outlet"]));
        let (_, v) = h.get(&format!("/api/v1/me/cards/{old}")).await;
        assert!(
            v["elsewhere"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["service"] == "replacement"),
            "{v}"
        );
        // A lost card is never reissued online.
        let (st, p) = h.post(&path, json!({"cause": "lost"})).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        assert!(s.ctx.store.replacements_of_card(&old).await.unwrap().is_empty());
        // The admin lets bank 102 take them online: offered, then asked.
        let admin = as_role(&s, Role::Admin).await;
        let (st, _) = admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/banks/102/online-replacement",
                Some(json!({"supported": true})),
            )
            .await;
        assert_eq!(st, 204);
        let (_, v) = h.get(&format!("/api/v1/me/cards/{old}")).await;
        assert!(
            v["available_here"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "replacement"),
            "{v}"
        );
        let (st, p) = h.post(&path, json!({"cause": "damaged", "branch": "105-0105"})).await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("branch".into(), "branch_not_found".into())])
        );
        let (st, v) = h.post(&path, json!({"cause": "damaged"})).await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(
            (v["social_security"].as_str(), v["replacement"]["branch"].as_str()),
            (Some("active"), Some("102-0101")),
            "the damaged card still works"
        );
        // Made by the bank, activated at the counter: then the damaged card ends, and the bank hears of it.
        sim(&s).drain().await.unwrap();
        let new = s.ctx.store.replacements_of_card(&old).await.unwrap()[0]
            .new_card
            .clone()
            .unwrap();
        let bank = as_role(&s, Role::BankClerk).await;
        let me = w.me.0.as_str();
        let (st, v) = bank
            .post(
                &at(&new, "financial_activation"),
                json!({"identity_document": "id_card", "identity_number": me}),
            )
            .await;
        assert_eq!((st, v["financial"].as_str()), (200, Some("active")), "{v}");
        let old_now = s.ctx.store.card(&old).await.unwrap().unwrap();
        assert_eq!(
            (old_now.social_security, old_now.financial.as_str()),
            (S::Cancelled, "cancelled")
        );
        let last = s.ctx.store.card_transitions(&old).await.unwrap().pop().unwrap();
        assert_eq!(last.reason.as_str(), "replaced");
    }
);

both_engines!(
    the_bank_is_changed_again_only_six_months_later_and_a_new_application_may_follow,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let first = card_of(&s, "BJR0000003", &w.me.0, "resident-0", S::Active).await;
        let h = again(&s, "resident1").await;
        let (st, p) = h
            .post(
                "/api/v1/applications/eligibility",
                json!({"access_authorisation": true}),
            )
            .await;
        assert_eq!((st, p["code"].as_str()), (422, Some("live_card")), "{p}");
        let bank = as_role(&s, Role::BankClerk).await;
        let outlet = as_role(&s, Role::OutletClerk).await;
        let id = json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(), "card_presented": true});
        // Only at the issuing bank's counter, with the card itself (it is recovered).
        let (st, p) = as_role(&s, Role::BankClerk)
            .await
            .post(
                &at(&first, "bank_change"),
                json!({"identity_document": "id_card", "identity_number": w.me.0.as_str()}),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("card_presented".into(), "card_required".into())])
        );
        assert_eq!(
            s.ctx.store.card(&first).await.unwrap().unwrap().social_security,
            S::Active
        );
        let (st, p) = outlet.post(&at(&first, "bank_change"), id.clone()).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        assert_eq!(p["channels"], json!(["bank_outlet"]));
        let (st, v) = bank.post(&at(&first, "bank_change"), id.clone()).await;
        assert_eq!(
            (st, v["social_security"].as_str(), v["financial"].as_str()),
            (200, Some("cancelled"), Some("cancelled")),
            "{v}"
        );
        // The holder may apply again (with the new bank).
        let h = again(&s, "resident1").await;
        let (st, v) = h
            .post(
                "/api/v1/applications/eligibility",
                json!({"access_authorisation": true}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        // A card of the new bank, then a change within six months: refused with the first day allowed.
        let second = card_of(&s, "BJR0000004", &w.me.0, "resident-0", S::Active).await;
        s.clock.advance(Duration::days(30));
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, p) = bank.post(&at(&second, "bank_change"), id.clone()).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("bank_change_too_soon")), "{p}");
        assert_eq!(p["allowed_from"].as_str(), Some("2027-05-21"), "{p}");
        assert_eq!(
            s.ctx.store.card(&second).await.unwrap().unwrap().social_security,
            S::Active
        );
        s.clock.set(day(2027, 5, 21));
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, _) = bank.post(&at(&second, "bank_change"), id.clone()).await;
        assert_eq!(st, 200);
        // The new application, on the normal route, reaches the bank naming the card given up.
        let h = again(&s, "resident1").await;
        let app = crate::bank::submitted(&h).await;
        let system = as_role(&s, Role::BankSystem).await;
        let (st, pulled) = system.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(st, 200, "{pulled}");
        let order = pulled
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "application" && o["reference"].as_str().is_some())
            .expect("the new application's order");
        assert_eq!(order["previous_card"].as_str(), Some(second.as_str()), "{order}");
        let _ = app;
    }
);

both_engines!(
    cancellation_takes_social_security_first_and_six_months_later_suspends_non_counter_business,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let card = card_of(&s, "BJR0000005", &w.me.0, "resident-0", S::Active).await;
        // The bank may not cancel the account while the social-security function lives.
        let system = as_role(&s, Role::BankSystem).await;
        let (st, p) = system
            .post(
                &format!("/api/v1/bank/cards/{card}/financial"),
                json!({"state": "cancelled"}),
            )
            .await;
        assert_eq!((st, p["code"].as_str()), (409, Some("social_security_first")), "{p}");
        let outlet = as_role(&s, Role::OutletClerk).await;
        let body = json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(), "reason": "moved_out"});
        let (st, v) = outlet.post(&at(&card, "cancellation"), body).await;
        assert_eq!(
            (st, v["social_security"].as_str(), v["financial"].as_str()),
            (200, Some("cancelled"), Some("active")),
            "{v}"
        );
        // Not yet six months: nothing; then once, whatever the job's repetitions.
        s.clock.advance(Duration::days(180));
        assert_eq!(sscard_app::cards::suspension::suspend_due(&s.ctx, 5).await.unwrap(), 0);
        s.clock.advance(Duration::days(3));
        assert_eq!(sscard_app::cards::suspension::suspend_due(&s.ctx, 5).await.unwrap(), 1);
        assert_eq!(sscard_app::cards::suspension::suspend_due(&s.ctx, 5).await.unwrap(), 0);
        let last = s.ctx.store.card_transitions(&card).await.unwrap().pop().unwrap();
        assert_eq!(last.reason.as_str(), "non_counter_suspended");
        let sent = texts(&s).await;
        assert!(sent.iter().any(|m| m.contains("非柜面业务")), "{sent:?}");
        // Then the bank cancels the account.
        let system = as_role(&s, Role::BankSystem).await;
        let (st, _) = system
            .post(
                &format!("/api/v1/bank/cards/{card}/financial"),
                json!({"state": "cancelled"}),
            )
            .await;
        assert_eq!(st, 200);
    }
);

both_engines!(
    a_registry_change_of_a_printed_field_flags_the_card_and_texts_the_holder,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let card = card_of(&s, "BJR0000006", &w.me.0, "resident-0", S::Active).await;
        // The same record again: nothing flagged.
        let row = |name: &str| sscard_testkit::fixtures::individual_row(&w.me.0, name);
        let header = sscard_testkit::fixtures::REGISTRY_HEADER;
        let same = format!("{header}\n{}\n", row(&w.me.1));
        sscard_app::import::import_csv(&s.ctx, sscard_app::import::ImportKind::Registry, same.as_bytes())
            .await
            .unwrap();
        assert!(s
            .ctx
            .store
            .card(&card)
            .await
            .unwrap()
            .unwrap()
            .links
            .replacement_required
            .is_empty());
        let renamed = format!("{header}\n{}\n", row("王新名"));
        let report =
            sscard_app::import::import_csv(&s.ctx, sscard_app::import::ImportKind::Registry, renamed.as_bytes())
                .await
                .unwrap();
        assert_eq!(report.rejected, 0, "{report:?}");
        let flagged = s.ctx.store.card(&card).await.unwrap().unwrap();
        assert_eq!(
            flagged
                .links
                .replacement_required
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>(),
            vec!["name"]
        );
        let sent = texts(&s).await;
        let text = sent.iter().find(|m| m.contains("需要换领")).expect("texted");
        assert!(!text.contains("http"), "never a link: {text}");
        // It shows on the card, and at the counter it is replaced for that reason.
        let h = again(&s, "resident1").await;
        let (_, v) = h.get(&format!("/api/v1/me/cards/{card}")).await;
        assert_eq!(v["replacement_required"], json!(["name"]), "{v}");
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, v) = bank
            .post(
                "/api/v1/counter/card-searches",
                json!({"id_number": w.me.0.as_str(), "purpose": "counter_service"}),
            )
            .await;
        assert_eq!((st, &v[0]["replacement_required"]), (200, &json!(["name"])), "{v}");
        let (st, v) = bank
            .post(
                &replace_at(&card),
                json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(),
                       "cause": "printed_field_changed", "card_presented": true}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
    }
);

both_engines!(
    due_dates_count_working_days_over_national_day_and_past_the_loaded_year_provisionally,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let me = w.me.0.as_str().to_string();
        let id =
            json!({"identity_document": "id_card", "identity_number": me, "cause": "damaged", "card_presented": true});
        // Wed 30 Sep 2026: 1–7 Oct are off, Sat 10 Oct is worked: due Mon 12 Oct.
        s.clock.set(day(2026, 9, 30));
        let a = card_of(&s, "BJR0000007", &w.me.0, "resident-0", S::Active).await;
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, v) = bank.post(&replace_at(&a), id.clone()).await;
        assert_eq!(
            (
                st,
                v["replacement"]["due_on"].as_str(),
                v["replacement"]["due_provisional"].as_bool()
            ),
            (201, Some("2026-10-12"), Some(false)),
            "{v}"
        );
        // Wed 30 Dec 2026, 2027 not loaded: counted on weekends only, provisional; the counter is not stopped.
        s.clock.set(day(2026, 12, 30));
        let b = card_of(&s, "BJR0000008", &w.me.0, "resident-0", S::Active).await;
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, v) = bank.post(&replace_at(&b), id.clone()).await;
        assert_eq!(
            (
                st,
                v["replacement"]["due_on"].as_str(),
                v["replacement"]["due_provisional"].as_bool()
            ),
            (201, Some("2027-01-05"), Some(true)),
            "{v}"
        );
        // The admin is warned (within 60 days of the last loaded day), in /readyz too.
        let admin = as_role(&s, Role::Admin).await;
        let (_, cal) = admin.get("/api/v1/admin/calendar").await;
        assert_eq!(
            (cal["warning"].as_bool(), cal["last_day"].as_str()),
            (Some(true), Some("2026-12-31")),
            "{cal}"
        );
        let ready: Value = reqwest::get(format!("{}/readyz", s.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["calendar"]["warning"], json!(true), "{ready}");
        // A bad file is refused with its row and loads nothing.
        let (st, p) = admin
            .put_text("/api/v1/admin/calendar", "date,kind,name\n2027-01-02,holiday,元旦\n")
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("file".into(), "calendar_invalid".into())]),
            "{p}"
        );
        // 2027 loaded (New Year's Day a holiday): the provisional date is recomputed, exact now.
        let (st, cal) = admin
            .put_text("/api/v1/admin/calendar", "date,kind,name\n2027-01-01,holiday,元旦\n")
            .await;
        assert_eq!((st, cal["last_day"].as_str()), (200, Some("2027-12-31")), "{cal}");
        let order = s.ctx.store.replacements_of_card(&b).await.unwrap().pop().unwrap();
        assert_eq!(
            (order.due.date.to_string(), order.due.provisional),
            ("2027-01-06".to_string(), false)
        );
    }
);

both_engines!(
    an_instant_card_only_at_an_equipped_branch_and_never_during_the_campaign,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let card = card_of(&s, "BJR0000009", &w.me.0, "resident-0", S::Active).await;
        let admin = as_role(&s, Role::Admin).await;
        let body = json!({"identity_document": "id_card", "identity_number": w.me.0.as_str(), "cause": "damaged",
                          "card_presented": true, "instant_card_number": "BJI0000001",
                          "instant_masked_account": "6222********0001"});
        // During the campaign: refused, nothing stored.
        let (st, _) = admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/campaign",
                Some(json!({"period": "2026-11-01..2026-12-31"})),
            )
            .await;
        assert_eq!(st, 200);
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, p) = bank.post(&replace_at(&card), body.clone()).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("during_campaign")), "{p}");
        assert!(s.ctx.store.replacements_of_card(&card).await.unwrap().is_empty());
        let (st, p) = admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/campaign",
                Some(json!({"period": "soon"})),
            )
            .await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("period".into(), "campaign_period_invalid".into())])
        );
        admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/campaign",
                Some(json!({"period": "none"})),
            )
            .await;
        // Both changes are kept, newest first, with who made them; the refused one is not.
        let (_, v) = admin.get("/api/v1/admin/campaign").await;
        let (_, me) = admin.get("/api/v1/me").await;
        let kept: Vec<(&str, &str)> = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["value"].as_str().unwrap(), c["by"].as_str().unwrap()))
            .collect();
        let by = me["id"].as_str().unwrap();
        assert_eq!(kept, vec![("none", by), ("2026-11-01..2026-12-31", by)], "{v}");
        // Outside it, at the equipped branch 102-0101: made and handed over at once.
        let (st, v) = bank.post(&replace_at(&card), body.clone()).await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(
            (
                v["replacement"]["state"].as_str(),
                v["replacement"]["instant"].as_bool(),
                v["replacement"]["new_card"].as_str()
            ),
            (Some("collected"), Some(true), Some("BJI0000001")),
            "{v}"
        );
        let new = s.ctx.store.card("BJI0000001").await.unwrap().unwrap();
        assert_eq!(new.links.replaces.as_deref(), Some(card.as_str()));
        // Never pulled by the bank.
        let system = as_role(&s, Role::BankSystem).await;
        let (_, pulled) = system.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(pulled, json!([]));
        // An outlet makes no replacement at all: refused naming the bank counter.
        let outlet = as_role(&s, Role::OutletClerk).await;
        let (st, p) = outlet.post(&replace_at("BJI0000001"), body).await;
        assert_eq!(
            (st, p["code"].as_str(), &p["channels"]),
            (403, Some("wrong_channel"), &json!(["bank_outlet"]))
        );
    }
);

both_engines!(
    a_counter_takes_an_application_outside_the_campaign_and_none_during_it,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let outlet = as_role(&s, Role::OutletClerk).await;
        let body = json!({"id_number": w.victim.0.as_str(), "identity_document": "id_card",
                          "disclaimer": true, "access_authorisation": true});
        // During the campaign: refused, nothing stored.
        let admin = as_role(&s, Role::Admin).await;
        admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/campaign",
                Some(json!({"period": "2026-11-01..2026-12-31"})),
            )
            .await;
        let (st, p) = outlet.post("/api/v1/counter/applications", body.clone()).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("during_campaign")), "{p}");
        assert!(s.ctx.store.open_application_of(&w.victim.0).await.unwrap().is_none());
        // Bad input: no consent, a malformed number.
        admin
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/campaign",
                Some(json!({"period": "none"})),
            )
            .await;
        let mut bad = body.clone();
        bad["id_number"] = json!("110105");
        let (st, p) = outlet.post("/api/v1/counter/applications", bad).await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("id_number".into(), "id_number_invalid".into())])
        );
        let mut no_consent = body.clone();
        no_consent["disclaimer"] = json!(false);
        let (st, _) = outlet.post("/api/v1/counter/applications", no_consent).await;
        assert_eq!(st, 422);
        // Outside it: the draft on the normal route, completed and submitted by the clerk.
        let (st, v) = outlet.post("/api/v1/counter/applications", body.clone()).await;
        assert_eq!(
            (st, v["channel"].as_str(), v["state"].as_str()),
            (201, Some("district_outlet"), Some("draft")),
            "{v}"
        );
        let app = v["id"].as_str().unwrap().to_string();
        let (st, v) = outlet
            .patch(
                &app,
                json!({"bank": "102", "branch": "102-0101", "collection": "branch_pickup", "occupation": "2"}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        for (kind, bytes) in [
            ("card_photo", sscard_testkit::images::card_photo()),
            ("id_front", sscard_testkit::images::jpeg(800, 500)),
            ("id_back", sscard_testkit::images::jpeg(800, 500)),
        ] {
            let (st, v) = outlet.upload(&app, kind, bytes, "image/jpeg").await;
            assert_eq!(st, 200, "{kind}: {v}");
        }
        let (st, v) = outlet.submit(&app, Some(&app), true, true).await;
        assert_eq!((st, v["state"].as_str()), (200, Some("submitted")), "{v}");
        // The same person again: one open application at a time.
        let (st, p) = outlet.post("/api/v1/counter/applications", body).await;
        assert_eq!((st, p["code"].as_str()), (422, Some("application_in_progress")), "{p}");
        // Another clerk cannot read it (nor can anyone but its applicant).
        let bank = as_role(&s, Role::BankClerk).await;
        let (st, _) = bank.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(st, 404);
    }
);
