//! Every role against every API route (SPEC §2, §9): the allowed succeed, the others get 401/403/404 as
//! designed, and no response carries another person's data. A route in the OpenAPI document that is missing
//! from the table below fails this test until someone decides who may call it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, As};
use crate::common::Server;
use reqwest::Method;
use serde_json::json;
use sscard_domain::access::Role::{self, *};
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

/// Who may call each route: the specification of access, written independently of `access::API_RULES`.
enum Expect {
    /// Anyone; the answer does not depend on who asks.
    Public,
    /// Only these roles; anonymous callers get 401, other roles 403.
    Roles(&'static [Role]),
    /// These roles pass; of them, only the ones listed second reach the record (the rest get 404).
    Records(&'static [Role], &'static [Role]),
}

const EVERYONE: &[Role] = &Role::ALL;

fn table() -> Vec<(Method, &'static str, Expect)> {
    vec![
        (Method::GET, "/healthz", Expect::Public),
        (Method::GET, "/readyz", Expect::Public),
        (Method::GET, "/api/v1/openapi.json", Expect::Public),
        (Method::GET, "/api/v1/reference/districts", Expect::Public),
        (Method::GET, "/api/v1/reference/ethnic-groups", Expect::Public),
        (Method::GET, "/api/v1/reference/nationalities", Expect::Public),
        (Method::GET, "/api/v1/reference/occupations", Expect::Public),
        (Method::GET, "/api/v1/reference/guardian-relationships", Expect::Public),
        (Method::GET, "/api/v1/reference/banks", Expect::Public),
        (Method::GET, "/api/v1/reference/branches", Expect::Public),
        (Method::GET, "/api/v1/reference/outlets", Expect::Public),
        (Method::GET, "/api/v1/reference/services", Expect::Public),
        (Method::POST, "/api/v1/auth/captchas", Expect::Public),
        (Method::POST, "/api/v1/auth/login", Expect::Public),
        (Method::POST, "/api/v1/auth/sms-codes", Expect::Public),
        (Method::POST, "/api/v1/auth/sms-login", Expect::Public),
        (Method::POST, "/api/v1/auth/register", Expect::Public),
        (Method::POST, "/api/v1/auth/token", Expect::Public),
        (Method::POST, "/api/v1/auth/logout", Expect::Roles(EVERYONE)),
        (Method::GET, "/api/v1/me", Expect::Roles(EVERYONE)),
        (Method::GET, "/api/v1/me/sessions", Expect::Roles(EVERYONE)),
        (Method::DELETE, "/api/v1/me/sessions", Expect::Roles(EVERYONE)),
        (Method::GET, "/api/v1/me/access-log", Expect::Roles(&[Resident])),
        (Method::POST, "/api/v1/me/real-name", Expect::Roles(&[Resident])),
        (
            Method::GET,
            "/api/v1/persons/{id_number}",
            Expect::Records(
                &[Resident, EntityHandler, BankClerk, OutletClerk, HotlineAgent, Admin],
                &[OutletClerk, HotlineAgent, Admin],
            ),
        ),
        (Method::POST, "/api/v1/admin/accounts", Expect::Roles(&[Admin])),
        (Method::POST, "/api/v1/admin/clients", Expect::Roles(&[Admin])),
        (Method::GET, "/api/v1/admin/audit", Expect::Roles(&[Admin])),
        (Method::POST, "/api/v1/admin/cases/lookup", Expect::Roles(&[Admin])),
        (
            Method::GET,
            "/api/v1/admin/channel-suspensions",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::PUT,
            "/api/v1/admin/channel-suspensions/{service}/{channel}",
            Expect::Roles(&[Admin]),
        ),
        (Method::GET, "/api/v1/admin/accounts", Expect::Roles(&[Admin])),
        // `{report}` here names no report: the admin passes and finds nothing.
        (
            Method::GET,
            "/api/v1/admin/reports/{report}",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::GET,
            "/api/v1/admin/reports/{report}/csv",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::PUT,
            "/api/v1/admin/accounts/{id}/password",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::PUT,
            "/api/v1/admin/accounts/{id}/binding",
            Expect::Roles(&[Admin]),
        ),
        // `{kind}` here is no kind of reference data: the admin passes and finds nothing.
        (
            Method::GET,
            "/api/v1/admin/reference/{kind}",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::GET,
            "/api/v1/admin/reference/{kind}/{code}",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::PUT,
            "/api/v1/admin/reference/{kind}/{code}",
            Expect::Records(&[Admin], &[]),
        ),
        (Method::GET, "/api/v1/admin/reports/sla", Expect::Roles(&[Admin])),
        (Method::GET, "/api/v1/admin/imports", Expect::Roles(&[Admin])),
        (Method::GET, "/api/v1/admin/openings", Expect::Roles(&[Admin])),
        (
            Method::PUT,
            "/api/v1/admin/accounts/{id}/disabled",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::GET,
            "/api/v1/admin/reports/applications",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::GET,
            "/api/v1/admin/reports/applications.csv",
            Expect::Roles(&[Admin]),
        ),
        // `{kind}` here is no import's kind and `{id}` no job's: the admin passes and finds nothing.
        (
            Method::POST,
            "/api/v1/admin/imports/{kind}",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::GET,
            "/api/v1/admin/imports/{kind}/{id}",
            Expect::Records(&[Admin], &[]),
        ),
        (
            Method::GET,
            "/api/v1/admin/imports/{kind}/{id}/rejections.csv",
            Expect::Records(&[Admin], &[]),
        ),
        (Method::GET, "/api/v1/admin/calendar", Expect::Roles(&[Admin])),
        (Method::PUT, "/api/v1/admin/calendar", Expect::Roles(&[Admin])),
        (Method::GET, "/api/v1/admin/campaign", Expect::Roles(&[Admin])),
        (Method::PUT, "/api/v1/admin/campaign", Expect::Roles(&[Admin])),
        (
            Method::PUT,
            "/api/v1/admin/banks/{code}/online-replacement",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/replacement",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/counter/cards/{number}/replacement",
            Expect::Roles(&[BankClerk, OutletClerk]),
        ),
        (Method::GET, "/api/v1/admin/reports/sla.csv", Expect::Roles(&[Admin])),
        (
            Method::PUT,
            "/api/v1/admin/openings/{category}",
            Expect::Roles(&[Admin]),
        ),
        (
            Method::POST,
            "/api/v1/applications/eligibility",
            Expect::Roles(&[Resident]),
        ),
        (Method::POST, "/api/v1/applications", Expect::Roles(&[Resident])),
        (Method::GET, "/api/v1/applications", Expect::Roles(&[Resident])),
        // Someone else's application (here: one that does not exist) is "not found" for everyone.
        (
            Method::GET,
            "/api/v1/applications/{id}",
            Expect::Records(&[Resident, BankClerk, OutletClerk], &[]),
        ),
        (
            Method::PATCH,
            "/api/v1/applications/{id}",
            Expect::Roles(&[Resident, BankClerk, OutletClerk]),
        ),
        (
            Method::PUT,
            "/api/v1/applications/{id}/documents/{kind}",
            Expect::Roles(&[Resident, BankClerk, OutletClerk]),
        ),
        (
            Method::GET,
            "/api/v1/applications/{id}/documents/{kind}",
            Expect::Records(&[Resident, BankClerk, OutletClerk], &[]),
        ),
        (
            Method::POST,
            "/api/v1/applications/{id}/submit",
            Expect::Roles(&[Resident, BankClerk, OutletClerk]),
        ),
        (
            Method::POST,
            "/api/v1/counter/applications",
            Expect::Roles(&[BankClerk, OutletClerk]),
        ),
        (
            Method::POST,
            "/api/v1/applications/{id}/withdraw",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::GET,
            "/api/v1/applications/{id}/events",
            Expect::Records(&[Resident], &[]),
        ),
        (
            Method::PATCH,
            "/api/v1/applications/{id}/minor",
            Expect::Roles(&[Resident]),
        ),
        (Method::POST, "/api/v1/children/lookup", Expect::Roles(&[Resident])),
        (
            Method::POST,
            "/api/v1/children/applications",
            Expect::Roles(&[Resident]),
        ),
        (Method::GET, "/api/v1/children", Expect::Roles(&[Resident])),
        (Method::GET, "/api/v1/me/cards", Expect::Roles(&[Resident])),
        // A card that is not the caller's is "not found", like one that does not exist.
        (
            Method::GET,
            "/api/v1/me/cards/{number}",
            Expect::Records(&[Resident], &[]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/activation",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/temporary-loss",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::PUT,
            "/api/v1/me/cards/{number}/password",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/password/reset-code",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/password/reset",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/me/proxy-authorisations",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::PATCH,
            "/api/v1/me/cards/{number}/info",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/me/cards/{number}/services/{service}",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::GET,
            "/api/v1/me/proxy-authorisations",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::POST,
            "/api/v1/counter/card-searches",
            Expect::Roles(&[BankClerk, OutletClerk]),
        ),
        (
            Method::POST,
            "/api/v1/counter/cards/{number}/services/{service}",
            Expect::Roles(&[BankClerk, OutletClerk]),
        ),
        (Method::POST, "/api/v1/hotline/searches", Expect::Roles(&[HotlineAgent])),
        (
            Method::POST,
            "/api/v1/hotline/cards/{number}/services/{service}",
            Expect::Roles(&[HotlineAgent]),
        ),
        (
            Method::POST,
            "/api/v1/applications/{id}/confirm",
            Expect::Roles(&[Resident]),
        ),
        (
            Method::GET,
            "/api/v1/entity/collective",
            Expect::Roles(&[EntityHandler]),
        ),
        (
            Method::PUT,
            "/api/v1/entity/collective",
            Expect::Roles(&[EntityHandler]),
        ),
        (
            Method::GET,
            "/api/v1/entity/collective/history",
            Expect::Roles(&[EntityHandler]),
        ),
        (Method::GET, "/api/v1/entity/employees", Expect::Roles(&[EntityHandler])),
        (
            Method::GET,
            "/api/v1/entity/employees/counts",
            Expect::Roles(&[EntityHandler]),
        ),
        (
            Method::GET,
            "/api/v1/entity/employees.csv",
            Expect::Roles(&[EntityHandler]),
        ),
        // Another entity's application (here: one that does not exist) is "not found".
        (
            Method::GET,
            "/api/v1/entity/applications/{id}",
            Expect::Records(&[EntityHandler], &[]),
        ),
        (
            Method::POST,
            "/api/v1/entity/submissions",
            Expect::Roles(&[EntityHandler]),
        ),
        (Method::GET, "/api/v1/entity/cards", Expect::Roles(&[EntityHandler])),
        // The clerk gives an ID number (here: the victim's, who holds no card of the bank): an empty list.
        (Method::GET, "/api/v1/counter/cards", Expect::Roles(&[BankClerk])),
        (
            Method::POST,
            "/api/v1/counter/cards/{number}/collect",
            Expect::Roles(&[BankClerk]),
        ),
        (
            Method::POST,
            "/api/v1/entity/cards/{id}/handover",
            Expect::Roles(&[EntityHandler]),
        ),
        (
            Method::POST,
            "/api/v1/entity/cards/{id}/return",
            Expect::Roles(&[EntityHandler]),
        ),
        (Method::POST, "/api/v1/bank/orders/pull", Expect::Roles(&[BankSystem])),
        (Method::POST, "/api/v1/bank/orders/ack", Expect::Roles(&[BankSystem])),
        (
            Method::POST,
            "/api/v1/bank/orders/pull.csv",
            Expect::Roles(&[BankSystem]),
        ),
        // Another bank's order (here: one that does not exist) is "not found".
        (
            Method::GET,
            "/api/v1/bank/orders/{id}",
            Expect::Records(&[BankSystem], &[]),
        ),
        (
            Method::POST,
            "/api/v1/bank/orders/{id}/reports",
            Expect::Roles(&[BankSystem]),
        ),
        (
            Method::POST,
            "/api/v1/bank/card-events/pull",
            Expect::Roles(&[BankSystem]),
        ),
        (
            Method::POST,
            "/api/v1/bank/card-events/ack",
            Expect::Roles(&[BankSystem]),
        ),
        (
            Method::POST,
            "/api/v1/bank/cards/{number}/financial",
            Expect::Roles(&[BankSystem]),
        ),
    ]
}

/// Routes that end the caller's session: each call gets a fresh token.
fn ends_session(method: &Method, path: &str) -> bool {
    (method == Method::POST && path == "/api/v1/auth/logout")
        || (method == Method::DELETE && path == "/api/v1/me/sessions")
}

both_engines!(every_role_against_every_route, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let api = world::api(&s.base);

    // Every documented operation is in the table, and the table names no operation that does not exist.
    let doc = sscard_web::api::openapi();
    let mut documented = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ] {
            if op.is_some() {
                documented.push((method, path.clone()));
            }
        }
    }
    let table = table();
    for (m, p) in &documented {
        assert!(
            table.iter().any(|(tm, tp, _)| tm == m && tp == p),
            "{m} {p} is a route but not in the role×route table: decide who may call it"
        );
    }
    assert_eq!(
        documented.len(),
        table.len(),
        "the table lists a route that does not exist"
    );

    // Tokens are fetched up front: the routes that end sessions run last (logout with a spare token, then
    // "log out everywhere" with the main one), so no login happens between the refusals below.
    let mut tokens = std::collections::HashMap::new();
    let mut spare = std::collections::HashMap::new();
    for who in As::ALL {
        tokens.insert(format!("{who:?}"), api.token(who).await);
        spare.insert(format!("{who:?}"), api.token(who).await);
    }
    let victim_id = w.victim.0.as_str().to_string();
    let mut checked = 0;
    let mut ordered: Vec<_> = table.iter().collect();
    ordered.sort_by_key(|(m, p, _)| (ends_session(m, p), *m == Method::DELETE));
    for (method, path, expect) in ordered {
        for who in As::ALL {
            let concrete = path
                .replace("{id_number}", &victim_id)
                .replace("{id}", "no-such-application")
                .replace("{kind}", "card_photo")
                .replace("{category}", "individual");
            let concrete = if path.contains("{id_number}") {
                format!("{concrete}?purpose=counter_service")
            } else if *path == "/api/v1/counter/cards" {
                format!("{concrete}?id_number={victim_id}&purpose=counter_service")
            } else {
                concrete.replace("{number}", "no-such-card")
            };
            let token = if *method == Method::POST && ends_session(method, path) {
                spare[&format!("{who:?}")].clone()
            } else {
                tokens[&format!("{who:?}")].clone()
            };
            let body = (*method != Method::GET).then(|| json!({}));
            let (status, text) = api.call(method.clone(), &concrete, token.as_deref(), body).await;
            let ctx = format!("{method} {path} as {who:?}: {status} {text}");
            let reaches_victim = match expect {
                Expect::Public => {
                    assert!(status != 403 && !text.contains("\"unauthenticated\""), "{ctx}");
                    false
                }
                Expect::Roles(roles) | Expect::Records(roles, _) => match who.role() {
                    None => {
                        assert_eq!(status, 401, "{ctx}");
                        assert!(text.contains("\"unauthenticated\""), "{ctx}");
                        false
                    }
                    Some(r) if !roles.contains(&r) => {
                        assert_eq!(status, 403, "{ctx}");
                        assert!(text.contains("\"forbidden\""), "{ctx}");
                        false
                    }
                    Some(r) => {
                        // Past the access layer: a use case may still refuse (e.g. real-name required), but
                        // never as "unauthenticated" or "forbidden".
                        assert!(status != 401 && !text.contains("\"forbidden\""), "{ctx}");
                        if *method == Method::GET {
                            match expect {
                                Expect::Records(_, reach) if !reach.contains(&r) => {
                                    assert_eq!(status, 404, "{ctx}");
                                    assert!(text.contains("\"not_found\""), "{ctx}");
                                    false
                                }
                                Expect::Records(..) => {
                                    assert_eq!(status, 200, "{ctx}");
                                    true
                                }
                                _ => {
                                    assert_eq!(status, 200, "{ctx}");
                                    false
                                }
                            }
                        } else {
                            false
                        }
                    }
                },
            };
            if !reaches_victim {
                assert!(!text.contains(&victim_id), "another person's ID number leaked: {ctx}");
                assert!(!text.contains(&w.victim.1), "another person's name leaked: {ctx}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * As::ALL.len());

    // The same answer for a record out of reach as for a record that does not exist.
    let resident = api.token(As::Resident).await;
    let missing = sscard_testkit::fixtures::id(1961, 1, 1, 99);
    let (s1, out_of_reach) = api
        .call(
            Method::GET,
            &format!("/api/v1/persons/{victim_id}?purpose=counter_service"),
            resident.as_deref(),
            None,
        )
        .await;
    let (s2, absent) = api
        .call(
            Method::GET,
            &format!("/api/v1/persons/{missing}?purpose=counter_service"),
            resident.as_deref(),
            None,
        )
        .await;
    assert_eq!((s1, s2), (404, 404));
    let strip = |t: &str| {
        let mut v: serde_json::Value = serde_json::from_str(t).unwrap();
        v.as_object_mut().unwrap().remove("instance");
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    assert_eq!(strip(&out_of_reach), strip(&absent));
});

both_engines!(reach_follows_the_bindings, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let get = |who: As, person: String, purpose: Option<&'static str>| {
        let api = &api;
        async move {
            let token = api.token(who).await;
            let q = purpose.map(|p| format!("?purpose={p}")).unwrap_or_default();
            api.call(
                Method::GET,
                &format!("/api/v1/persons/{person}{q}"),
                token.as_deref(),
                None,
            )
            .await
        }
    };
    let me = w.me.0.as_str().to_string();
    // A resident reads their own record without giving a purpose.
    let (st, body) = get(As::Resident, me.clone(), None).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(&w.me.1));
    // A handler reads their entity's employee; a bank clerk the retiree their bank pays.
    assert_eq!(
        get(
            As::Role(EntityHandler),
            w.employee.0.to_string(),
            Some("employer_application")
        )
        .await
        .0,
        200
    );
    assert_eq!(
        get(
            As::Role(EntityHandler),
            w.retiree.0.to_string(),
            Some("employer_application")
        )
        .await
        .0,
        404
    );
    assert_eq!(
        get(As::Role(BankClerk), w.retiree.0.to_string(), Some("counter_service"))
            .await
            .0,
        200
    );
    assert_eq!(
        get(As::Role(BankClerk), w.employee.0.to_string(), Some("counter_service"))
            .await
            .0,
        404
    );
    // Staff must say why; a reason off the list is no reason.
    let (st, body) = get(As::Role(OutletClerk), me.clone(), None).await;
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("purpose_required"));
    assert_eq!(get(As::Role(OutletClerk), me.clone(), Some("curiosity")).await.0, 400);
    assert_eq!(
        get(As::Role(OutletClerk), me.clone(), Some("counter_service")).await.0,
        200
    );
    assert_eq!(
        get(As::Role(HotlineAgent), me.clone(), Some("hotline_enquiry")).await.0,
        200
    );
});
