//! The console's staff accounts and policy (SPEC §2, §7.4, §10): accounts listed, reset and rebound within their
//! role; the campaign period and the suspension of a service on a channel, in force on every instance.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState;
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

use crate::common::caller::{caller, Caller};
use crate::common::cards::card_in;
use crate::common::world::{self, As};
use crate::common::Server;

const ADMIN: As = As::Role(Role::Admin);

async fn put(c: &Caller<'_>, path: &str, body: Value) -> (u16, Value) {
    c.call(reqwest::Method::PUT, path, Some(body)).await
}

both_engines!(
    a_staff_account_is_listed_reset_and_rebound_within_its_role,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let admin = caller(&s, ADMIN).await;
        let api = world::api(&s.base);
        let (st, v) = admin
            .post(
                "/api/v1/admin/accounts",
                json!({"role": "bank_clerk", "username": "clerk-zhao", "display_name": "赵柜员",
                       "password": world::PASSWORD, "bank": "102", "branch": "102-0101"}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        // Listed under its role, found by part of its name.
        let (st, list) = admin.get("/api/v1/admin/accounts?role=bank_clerk&q=zhao").await;
        assert_eq!(st, 200);
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(
            (list[0]["branch"].as_str(), list[0]["disabled"].as_bool()),
            (Some("102-0101"), Some(false))
        );
        assert_eq!(admin.get("/api/v1/admin/accounts?role=resident").await.0, 422);
        let (_, all) = admin.get("/api/v1/admin/accounts").await;
        assert!(all.as_array().unwrap().len() >= 6, "every staff role: {all}");

        // A reset ends the clerk's sessions; the new password works, the old does not.
        let (st, v) = api.login("clerk-zhao", world::PASSWORD).await;
        assert_eq!(st, 200, "{v}");
        let token = v["access_token"].as_str().unwrap().to_string();
        let me = |t: String| {
            let api = world::api(&s.base);
            async move { api.call(reqwest::Method::GET, "/api/v1/me", Some(&t), None).await.0 }
        };
        assert_eq!(me(token.clone()).await, 200);
        let path = format!("/api/v1/admin/accounts/{id}/password");
        let (st, v) = put(&admin, &path, json!({"password": "short"})).await;
        assert_eq!((st, v["errors"][0]["field"].as_str()), (422, Some("password")), "{v}");
        assert_eq!(me(token.clone()).await, 200, "a refused reset changes nothing");
        let (st, _) = put(&admin, &path, json!({"password": "new-pass-2027"})).await;
        assert_eq!(st, 204);
        assert_eq!(me(token).await, 401);
        assert_eq!(api.login("clerk-zhao", world::PASSWORD).await.0, 401);
        assert_eq!(api.login("clerk-zhao", "new-pass-2027").await.0, 200);
        assert_eq!(
            put(
                &admin,
                "/api/v1/admin/accounts/nobody/password",
                json!({"password": "new-pass-2027"})
            )
            .await
            .0,
            404
        );

        // Rebinding: to another branch of the same bank; never to another bank's branch, never another role.
        let bind = format!("/api/v1/admin/accounts/{id}/binding");
        let (st, v) = put(
            &admin,
            &bind,
            json!({"role": "bank_clerk", "bank": "102", "branch": "102-0105"}),
        )
        .await;
        assert_eq!(st, 204, "{v}");
        let (st, v) = put(
            &admin,
            &bind,
            json!({"role": "bank_clerk", "bank": "102", "branch": "105-0105"}),
        )
        .await;
        assert_eq!((st, v["code"].as_str()), (422, Some("unknown_branch")), "{v}");
        let (st, v) = put(&admin, &bind, json!({"role": "outlet_clerk", "outlet": world::OUTLET})).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("role_mismatch")), "{v}");
        let (_, list) = admin.get("/api/v1/admin/accounts?role=bank_clerk&q=zhao").await;
        assert_eq!(list[0]["branch"], "102-0105", "only the good rebinding stuck");
        let (_, entries) = admin.get("/api/v1/admin/audit?limit=1").await;
        assert_eq!(
            (entries[0]["action"].as_str(), entries[0]["record"].as_str()),
            (Some("account_changed"), Some(format!("account:{id}:binding").as_str()))
        );
        // Only administrators.
        let clerk = caller(&s, As::Role(Role::BankClerk)).await;
        assert_eq!(put(&clerk, &path, json!({"password": "new-pass-2028"})).await.0, 403);
        assert_eq!(clerk.get("/api/v1/admin/accounts").await.0, 403);
    }
);

both_engines!(
    the_accounts_pages_create_reset_and_refuse_beside_the_field,
    |db: TestDb| async move {
        use crate::common::portal::{hidden, login_at};
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = crate::common::client();
        let cookie = login_at(&c, &s, "/staff/login", ADMIN.username()).await;
        let list = crate::common::page(&c, s.url("/admin/accounts?role=bank_clerk"), Some(&cookie)).await;
        assert!(list.contains("id=\"account-bankclerk1\""), "{list}");
        let csrf = hidden(&list, "csrf");
        let post = |path: String, fields: Vec<(&'static str, &'static str)>| {
            let mut fields: Vec<(&str, String)> = fields.into_iter().map(|(k, v)| (k, v.to_string())).collect();
            fields.push(("csrf", csrf.clone()));
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url(&path));
            async move { c.post(url).header("cookie", cookie).form(&fields).send().await.unwrap() }
        };
        let new = |branch: &'static str| {
            vec![
                ("role", "bank_clerk"),
                ("username", "clerk-qian"),
                ("display_name", "钱柜员"),
                ("password", "right1pass"),
                ("bank", "102"),
                ("branch", branch),
            ]
        };
        // Another bank's branch: refused beside the branch, the typing kept, nothing created.
        let r = post("/admin/accounts".into(), new("105-0105")).await;
        assert_eq!(r.status().as_u16(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"branch-error\""), "{page}");
        assert!(page.contains("value=\"clerk-qian\"") && !page.contains("right1pass"));
        assert!(!page.contains("id=\"account-clerk-qian\""));
        // Created: to its page.
        let r = post("/admin/accounts".into(), new("102-0101")).await;
        assert_eq!(r.status().as_u16(), 303);
        let at = r.headers()["location"].to_str().unwrap().to_string();
        let page = crate::common::page(&c, s.url(&at), Some(&cookie)).await;
        assert!(page.contains("102 · 102-0101"), "{page}");
        // A too-short password is refused beside the field; a good one says so.
        let r = post(format!("{at}/password"), vec![("password", "short")]).await;
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.text().await.unwrap().contains("id=\"password-error\""));
        let r = post(format!("{at}/password"), vec![("password", "new-pass-2027")]).await;
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.text().await.unwrap().contains("id=\"notice\""));
        // Rebound, then disabled.
        let r = post(
            format!("{at}/binding"),
            vec![("role", "bank_clerk"), ("bank", "102"), ("branch", "102-0105")],
        )
        .await;
        assert_eq!(r.status().as_u16(), 303);
        let r = post(format!("{at}/disabled"), vec![("disabled", "yes")]).await;
        assert_eq!(r.status().as_u16(), 303);
        let page = crate::common::page(&c, s.url(&at), Some(&cookie)).await;
        assert!(
            page.contains("102 · 102-0105") && page.contains("id=\"enable\""),
            "{page}"
        );
        assert_eq!(world::api(&s.base).login("clerk-qian", "new-pass-2027").await.0, 403);
    }
);

both_engines!(
    the_policy_page_changes_the_campaign_and_shows_the_rules,
    |db: TestDb| async move {
        use crate::common::portal::{hidden, login_at};
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = crate::common::client();
        let cookie = login_at(&c, &s, "/staff/login", ADMIN.username()).await;
        let page = crate::common::page(&c, s.url("/admin/policy"), Some(&cookie)).await;
        assert!(
            page.contains("id=\"channel-matrix\"") && page.contains("id=\"collection-policy\""),
            "{page}"
        );
        let csrf = hidden(&page, "csrf");
        let post = |period: &'static str| {
            let fields = vec![("csrf", csrf.clone()), ("period", period.to_string())];
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url("/admin/policy/campaign"));
            async move { c.post(url).header("cookie", cookie).form(&fields).send().await.unwrap() }
        };
        let r = post("2026-13-01..2027-01-01").await;
        assert_eq!(r.status().as_u16(), 400);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("id=\"period-error\"") && page.contains("value=\"2026-13-01..2027-01-01\""),
            "{page}"
        );
        let r = post("2026-11-01..2026-12-31").await;
        assert_eq!(r.status().as_u16(), 303);
        let page = crate::common::page(&c, s.url("/admin/policy"), Some(&cookie)).await;
        assert!(
            page.contains("id=\"campaign-history\"") && page.contains("2026-11-01..2026-12-31"),
            "{page}"
        );
        assert!(page.contains(">admin1</td>"), "the author by username: {page}");
        // In force through the API at once.
        let admin = caller(&s, ADMIN).await;
        let (_, v) = admin.get("/api/v1/admin/campaign").await;
        assert_eq!(
            (v["from"].as_str(), v["running"].as_bool()),
            (Some("2026-11-01"), Some(true)),
            "{v}"
        );
    }
);

both_engines!(
    a_suspended_service_is_refused_on_its_channel_on_every_instance_until_restored,
    |db: TestDb| async move {
        let url = db.url.clone();
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        card_in(&s, "110000000077", &w.me.0, "resident-0", SocialSecurityState::Active).await;
        let admin = caller(&s, ADMIN).await;
        // The holder's channel here is the test client's (Jingtong).
        let path = "/api/v1/admin/channel-suspensions/temporary_loss/jingtong";
        let (st, v) = put(&admin, path, json!({"suspended": true})).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v["suspended"],
            json!([{"service": "temporary_loss", "channel": "jingtong"}])
        );

        // Refused on another instance at once, naming the channels still open (not this one).
        let ctx = sscard_testkit::context(sscard_storage::connect(&url).await.unwrap(), s.clock.clone());
        let other = Server::serve(ctx, s.clock.clone(), sscard_web::WebConfig::default()).await;
        let holder = caller(&other, As::Resident).await;
        let loss = "/api/v1/me/cards/110000000077/temporary-loss";
        let (st, p) = crate::cards::post_keyed(&holder, loss, Some("l-1"), json!({"reason": "lost"})).await;
        assert_eq!((st, p["code"].as_str()), (403, Some("wrong_channel")), "{p}");
        let channels: Vec<&str> = p["channels"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!channels.contains(&"jingtong") && channels.contains(&"hotline"), "{p}");
        assert_eq!(
            s.ctx.store.card("110000000077").await.unwrap().unwrap().social_security,
            SocialSecurityState::Active
        );
        // The published table and the public page say so.
        let (_, cells) = holder.get("/api/v1/reference/services").await;
        let marked: Vec<&Value> = cells
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["suspended"] == true)
            .collect();
        assert!(!marked.is_empty(), "{cells}");
        assert!(marked
            .iter()
            .all(|c| c["service"] == "temporary_loss" && c["channel"] == "jingtong"));
        let page = crate::common::page(&crate::common::client(), other.url("/services"), None).await;
        assert!(page.contains("暂停办理"), "{page}");

        // What the guides close cannot be suspended (or opened); unknown names are not found.
        let (st, v) = put(
            &admin,
            "/api/v1/admin/channel-suspensions/formal_loss/jingtong",
            json!({"suspended": true}),
        )
        .await;
        assert_eq!((st, v["code"].as_str()), (422, Some("channel_not_offered")), "{v}");
        assert_eq!(
            put(
                &admin,
                "/api/v1/admin/channel-suspensions/teleport/jingtong",
                json!({"suspended": true})
            )
            .await
            .0,
            404
        );
        let clerk = caller(&s, As::Role(Role::HotlineAgent)).await;
        assert_eq!(put(&clerk, path, json!({"suspended": false})).await.0, 403);

        // Restored: done again; both changes kept with who made them.
        let (st, v) = put(&admin, path, json!({"suspended": false})).await;
        assert_eq!((st, v["suspended"].clone()), (200, json!([])), "{v}");
        let (st, p) = crate::cards::post_keyed(&holder, loss, Some("l-2"), json!({"reason": "lost"})).await;
        assert_eq!(st, 200, "{p}");
        let (_, v) = admin.get("/api/v1/admin/channel-suspensions").await;
        let values: Vec<&str> = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["value"].as_str())
            .collect();
        assert_eq!(values, vec!["", "temporary_loss:jingtong"], "{v}");
    }
);
