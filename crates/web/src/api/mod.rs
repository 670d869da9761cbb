//! The JSON API under `/api/v1`, plus the operational endpoints. Every route is registered through
//! `utoipa_axum::routes!`, so it cannot be served without being in the OpenAPI document.

pub mod admin;
pub mod admin_cases;
pub mod admin_channels;
pub mod admin_imports;
pub mod admin_reference;
pub mod admin_reports;
pub mod admin_settings;
pub mod applications;
pub mod auth;
pub mod bank;
pub mod bank_cards;
pub mod cards;
pub mod collective;
pub mod counter;
pub mod counter_cards;
pub mod hotline;
pub mod me;
pub mod minors;
pub mod ops;
pub mod people;
pub mod reference;
pub mod replacements;
pub mod wire;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sscard API",
        description = "The third-generation social security card platform of Beijing: applications, production \
                       and the card's lifecycle. Errors are RFC 9457 problem documents with a stable `code`; \
                       their text follows `Accept-Language` (zh-CN by default, en).",
        version = "1.0.0",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "ops", description = "Health, readiness, metrics and this document"),
        (name = "reference", description = "Code tables and the cooperative banks' branches (SPEC §4.3–4.4)"),
        (name = "auth", description = "Logging in and out (SPEC §3). Channel clients authenticate with HTTP Basic \
                                       client credentials; bank systems use the client-credentials grant"),
        (name = "account", description = "The caller's own account, sessions, access log and real-name authentication"),
        (name = "people", description = "Registry records, within the caller's reach (SPEC §9)"),
        (name = "applications", description = "Applying for one's own card (SPEC §5): eligibility, the draft, \
                                               documents, consents, submission, 我的办事"),
        (name = "children", description = "Applying for a child under 18 (SPEC §5.3): the guardian finds the \
                                           child, confirms the relationship, answers the ID questions; my children"),
        (name = "employer", description = "Employer collective application (SPEC §6), for entity handlers: \
                                           settings, the employee list, batch submission"),
        (name = "counter", description = "Counter services for bank clerks: find a holder's cards, record their \
                                          collection at the branch"),
        (name = "bank", description = "The bank interface (SPEC §8), for bank systems: pull production orders, \
                                       report on each"),
        (name = "admin", description = "The bureau's console (admin only): imports, accounts, API clients, \
                                        category openings, the calendar, the campaign, reports and the audit log")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::problem::Problem, crate::problem::FieldProblem))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("client", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::openapi_json))
        .routes(routes!(reference::districts))
        .routes(routes!(reference::ethnic_groups))
        .routes(routes!(reference::nationalities))
        .routes(routes!(reference::occupations))
        .routes(routes!(reference::guardian_relationships))
        .routes(routes!(reference::banks))
        .routes(routes!(reference::branches))
        .routes(routes!(reference::outlets))
        .routes(routes!(auth::captcha))
        .routes(routes!(auth::login))
        .routes(routes!(auth::sms_code))
        .routes(routes!(auth::sms_login))
        .routes(routes!(auth::register))
        .routes(routes!(auth::token))
        .routes(routes!(auth::logout))
        .routes(routes!(me::me))
        .routes(routes!(me::sessions, me::revoke_all))
        .routes(routes!(me::access_log))
        .routes(routes!(me::real_name))
        .routes(routes!(people::person))
        .routes(routes!(admin_imports::list_imports))
        .routes(routes!(admin_imports::get_import))
        .routes(routes!(admin_imports::import_rejections))
        .routes(routes!(admin_cases::look_up))
        .routes(routes!(admin_channels::list))
        .routes(routes!(admin_channels::set))
        .routes(routes!(admin::create_account, admin::list_accounts))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::rebind))
        .routes(routes!(admin::set_disabled))
        .routes(routes!(admin::create_client))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::sla))
        .routes(routes!(admin::sla_csv))
        .routes(routes!(admin_reports::applications))
        .routes(routes!(admin_reports::applications_csv))
        .routes(routes!(admin_reports::daily))
        .routes(routes!(admin_reports::daily_csv))
        .routes(routes!(admin_settings::get_calendar, admin_settings::load_calendar))
        .routes(routes!(admin_settings::get_campaign, admin_settings::set_campaign))
        .routes(routes!(admin_reference::set_online_replacement))
        .routes(routes!(admin_reference::search))
        .routes(routes!(admin_reference::record, admin_reference::change))
        .routes(routes!(applications::eligibility))
        .routes(routes!(applications::start, applications::list))
        .routes(routes!(applications::get_one, applications::update))
        .routes(routes!(applications::upload, applications::download))
        .routes(routes!(applications::submit))
        .routes(routes!(applications::withdraw))
        .routes(routes!(applications::events))
        .routes(routes!(applications::set_opening))
        .routes(routes!(applications::openings))
        .routes(routes!(minors::lookup))
        .routes(routes!(minors::start))
        .routes(routes!(minors::answer))
        .routes(routes!(minors::list))
        .routes(routes!(collective::confirm))
        .routes(routes!(collective::get_settings, collective::put_settings))
        .routes(routes!(collective::history))
        .routes(routes!(collective::employees))
        .routes(routes!(collective::counts))
        .routes(routes!(collective::export))
        .routes(routes!(collective::application))
        .routes(routes!(collective::submit))
        .routes(routes!(collective::held_cards))
        .routes(routes!(collective::hand_over))
        .routes(routes!(collective::return_card))
        .routes(routes!(counter::find))
        .routes(routes!(counter::collect))
        .routes(routes!(bank::pull))
        .routes(routes!(bank::pull_csv))
        .routes(routes!(bank::ack))
        .routes(routes!(bank::get_order))
        .routes(routes!(bank::report))
        .routes(routes!(bank::my_cards))
        .routes(routes!(cards::services))
        .routes(routes!(cards::card))
        .routes(routes!(cards::activate))
        .routes(routes!(cards::temporary_loss))
        .routes(routes!(cards::change_password))
        .routes(routes!(cards::reset_code))
        .routes(routes!(cards::reset_password))
        .routes(routes!(cards::authorise_proxy, cards::my_proxy_authorisations))
        .routes(routes!(cards::change_info))
        .routes(routes!(cards::any_service))
        .routes(routes!(hotline::search))
        .routes(routes!(counter_cards::search))
        .routes(routes!(counter_cards::service))
        .routes(routes!(counter_cards::apply))
        .routes(routes!(replacements::request_online))
        .routes(routes!(replacements::request_at_counter))
        .routes(routes!(bank_cards::pull))
        .routes(routes!(bank_cards::ack))
        .routes(routes!(bank_cards::financial))
        .routes(routes!(hotline::service))
}

/// The routes that take large files (imports), served outside the ordinary body limit and timeout.
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_imports::start_import))
}

/// The OpenAPI document of every API route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = router().merge(upload_router()).split_for_parts().1;
    document_problems(&mut doc);
    consents_must_be_true(&mut doc);
    formats_of_what_is_sent(&mut doc);
    doc
}

/// The formats the service parses a sent value with (`sscard_domain::values`), as patterns on the request
/// schemas' fields of that name. Surrounding whitespace is allowed because the parsers trim it; the check
/// digits are not a pattern (a well-formed number with a wrong check digit is refused with its own code).
/// Answers carry masked numbers and are left alone.
const FORMATS: [(&str, &str); 6] = [
    ("id_number", r"^\s*[0-9]{17}[0-9Xx]\s*$"),
    ("guardian_id_number", r"^\s*[0-9]{17}[0-9Xx]\s*$"),
    ("holder_id_number", r"^\s*[0-9]{17}[0-9Xx]\s*$"),
    ("mobile", r"^\s*1[3-9][0-9]{9}\s*$"),
    ("uscc", r"^\s*[0-9A-Za-z]{18}\s*$"),
    ("postal_code", r"^\s*10[0-2][0-9]{3}\s*$"),
];

fn formats_of_what_is_sent(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{schema::Schema, RefOr};
    let mut sent: Vec<String> = Vec::new();
    for item in doc.paths.paths.values() {
        let ops = [&item.put, &item.post, &item.patch];
        for op in ops.into_iter().flatten() {
            let Some(body) = &op.request_body else {
                continue;
            };
            for content in body.content.values() {
                if let Some(RefOr::Ref(r)) = &content.schema {
                    if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                        sent.push(name.to_string());
                    }
                }
            }
        }
    }
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in sent {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) else {
            continue;
        };
        for (field, property) in object.properties.iter_mut() {
            let Some((_, pattern)) = FORMATS.iter().find(|(f, _)| f == field) else {
                continue;
            };
            if let RefOr::T(Schema::Object(p)) = property {
                p.pattern = Some((*pattern).to_string());
            }
        }
    }
}

/// The answers a person gives by ticking a box (the disclaimer, the access authorisation, the commitment, the
/// confirmation) are accepted only as `true`: the schema says so (`enum: [true]`), as the service does.
fn consents_must_be_true(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{schema::Schema, RefOr};
    const MUST_BE_TRUE: [&str; 4] = ["disclaimer", "access_authorisation", "commitment", "confirm"];
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for (name, property) in object.properties.iter_mut() {
            if !MUST_BE_TRUE.contains(&name.as_str()) {
                continue;
            }
            if let RefOr::T(Schema::Object(p)) = property {
                let boolean = matches!(
                    p.schema_type,
                    utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::Boolean)
                );
                if boolean {
                    p.enum_values = Some(vec![serde_json::Value::Bool(true)]);
                }
            }
        }
    }
}

/// What every operation can answer besides its own outcomes, written once for all of them: every refusal is a
/// problem document (RFC 9457) under `application/problem+json`; an operation behind a token answers 401
/// without one and 403 to a role the access table does not admit; one that takes a JSON body answers 413 (too large), 415 (not JSON) and 422 (a field at
/// fault); any operation answers 503 while the database is away.
fn document_problems(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let body = op.request_body.as_ref();
            let json_body = body.is_some_and(|b| b.content.contains_key("application/json"));
            let params = op.parameters.as_deref().unwrap_or_default();
            let in_path = params
                .iter()
                .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path);
            let in_query = params
                .iter()
                .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query);
            let responses = &mut op.responses.responses;
            for (status, response) in responses.iter_mut() {
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if let RefOr::T(r) = response {
                    if let Some(content) = r.content.shift_remove("application/json") {
                        r.content.insert("application/problem+json".to_string(), content);
                    }
                }
            }
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            };
            if secured {
                add("401", "No valid token (`unauthenticated`)");
                add("403", "This role may not do this (`forbidden`), or not on this channel");
            }
            if in_path {
                add("404", "Nothing of that name, or not the caller's (`not_found`)");
            }
            if in_query {
                add("400", "A query parameter that does not parse (`invalid_query`)");
                add(
                    "422",
                    "A query parameter at fault (`invalid_fields`, `unknown_bank`, …)",
                );
            }
            if body.is_some() {
                add("413", "The body is over the size limit (`payload_too_large`)");
                add(
                    "415",
                    "The body is not of the documented type (`unsupported_media_type`)",
                );
            }
            if json_body {
                add("400", "The body is not JSON at all (`invalid_json`)");
                add(
                    "422",
                    "A field at fault (`invalid_fields`: each field with its own code)",
                );
            }
            add("503", "The database is away (`database_unavailable`, with Retry-After)");
        }
    }
}
