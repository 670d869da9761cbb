//! The bank interface (SPEC §8), for `bank_system` accounts: pull new production orders, report on each.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::bank::{self, BankError, BankOrder};
use sscard_app::ports::{ProductionOrder, ReplacementOrder};
use sscard_domain::application::Application;
use sscard_domain::orders::BankReport;
use utoipa::ToSchema;

use super::applications::MailView;
use crate::access::{Authed, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

impl From<BankError> for ApiError {
    fn from(e: BankError) -> ApiError {
        match e {
            BankError::NotFound => ApiError::NotFound,
            BankError::Superseded => ApiError::rule(StatusCode::CONFLICT, "order_superseded"),
            BankError::OutOfOrder { state, expected } => ApiError::rule(StatusCode::CONFLICT, "report_out_of_order")
                .with_arg("state", state.as_str().into())
                .with_arg(
                    "expected",
                    expected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                ),
            BankError::Invalid(fields) => {
                let mut err = ApiError::rule(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields");
                for f in fields {
                    err = err.with_field(&f.field, f.code);
                }
                err
            }
            BankError::CardNumberTaken => ApiError::field(
                StatusCode::CONFLICT,
                "card_number_taken",
                "card_number",
                "card_number_taken",
            ),
            BankError::ReplacementOutOfOrder { state, expected } => {
                ApiError::rule(StatusCode::CONFLICT, "report_out_of_order")
                    .with_arg("state", state.as_str().into())
                    .with_arg(
                        "expected",
                        expected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    )
            }
            BankError::Store(s) => s.into(),
        }
    }
}

/// A production order as the bank receives it: what it needs to make and deliver the card.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    /// `application` (a new card, due 30 days after submission) or `replacement` (补领/换领, due in 4 working
    /// days; the holder's data and photo are those of the replaced card's application).
    #[schema(example = "application")]
    pub kind: &'static str,
    /// The day the card is due (for an application: 30 days after submission).
    pub due_on: Option<String>,
    /// A replacement's due date counted past the loaded working-day calendar (weekends only): it will be
    /// recomputed when the year is loaded.
    pub due_provisional: bool,
    /// A replacement: the card it replaces, and why (`lost`, `damaged`, `printed_field_changed`).
    pub replaces_card: Option<String>,
    /// An application by someone who changed bank (Q25): the card they gave up at their previous bank.
    pub previous_card: Option<String>,
    pub replacement_cause: Option<&'static str>,
    #[schema(example = "BJ20261121K7PX2Q9A")]
    pub reference: String,
    /// The application's state (for a replacement: the replacement order's own).
    #[schema(example = "sent_to_bank")]
    pub state: String,
    pub bank: String,
    pub branch: Option<String>,
    #[schema(example = "branch_pickup")]
    pub collection: Option<String>,
    pub mail: Option<MailView>,
    /// The holder's ID number (= social security number), in full: the bank prints it on the card.
    pub id_number: String,
    pub mobile: Option<String>,
    /// Content hashes of the documents, by kind (`card_photo`, …).
    pub documents: std::collections::BTreeMap<String, String>,
    pub created_at: String,
    pub pulled_at: Option<String>,
    /// Until when the last pull holds it; unacknowledged by then, it comes back in a later pull.
    pub lease_until: Option<String>,
    /// When the bank acknowledged it (its accepted or rejected report, or an ack).
    pub acknowledged_at: Option<String>,
    pub card_number: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
}

fn view(o: ProductionOrder, a: Application) -> OrderView {
    OrderView {
        id: o.id,
        kind: "application",
        due_on: a.due_on.map(|d| d.to_string()),
        due_provisional: false,
        replaces_card: None,
        previous_card: None,
        replacement_cause: None,
        reference: a.reference,
        state: a.state.as_str().into(),
        bank: o.bank,
        branch: a.form.branch,
        collection: a.form.collection.map(|c| c.as_str().into()),
        mail: a.form.mail.map(|m| MailView {
            recipient: m.recipient.as_str().into(),
            mobile: m.mobile.as_str().into(),
            district: m.district,
            postal_code: m.postal_code.as_str().into(),
            address: m.address,
        }),
        id_number: a.person.as_str().into(),
        mobile: a.form.mobile.map(|m| m.as_str().into()),
        documents: a
            .documents
            .into_iter()
            .map(|(k, d)| (k.as_str().to_string(), d.hash))
            .collect(),
        created_at: o.created_at.to_rfc3339(),
        pulled_at: o.pulled_at.map(|t| t.to_rfc3339()),
        lease_until: o.lease_until.map(|t| t.to_rfc3339()),
        acknowledged_at: o.acknowledged_at.map(|t| t.to_rfc3339()),
        card_number: o.card_number,
        masked_account: o.masked_account,
        tracking_number: o.tracking_number,
        reject_reason: o.reject_reason,
    }
}

/// A replacement order as the bank receives it: the replaced card's application's data, the order's own state,
/// the branch that hands the new card over.
fn replacement_view(r: ReplacementOrder, a: Application) -> OrderView {
    let mut v = view(
        ProductionOrder {
            id: r.id,
            application: r.application,
            bank: r.bank,
            created_at: r.created_at,
            pulled_at: r.pulled_at,
            lease_until: r.lease_until,
            acknowledged_at: r.acknowledged_at,
            card_number: r.new_card,
            masked_account: r.masked_account,
            tracking_number: r.tracking_number,
            reject_reason: r.reject_reason,
            current: true,
        },
        a,
    );
    v.kind = "replacement";
    v.state = r.state.as_str().into();
    v.branch = Some(r.branch);
    v.collection = Some("branch_pickup".into());
    v.mail = None;
    v.due_on = Some(r.due.date.to_string());
    v.due_provisional = r.due.provisional;
    v.replaces_card = Some(r.card);
    v.replacement_cause = Some(r.cause.as_str());
    v
}

fn any_view(o: BankOrder) -> OrderView {
    match o {
        BankOrder::Application(o, a, before) => {
            let mut v = view(o, a);
            v.previous_card = before;
            v
        }
        BankOrder::Replacement(r, a) => replacement_view(r, a),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullIn {
    /// 1–500; default 100.
    pub limit: Option<u32>,
}

/// Pulls the caller's bank's orders, oldest first, leased for 10 minutes: first those whose lease ran out
/// without an acknowledgement, then new ones (each marked pulled, its application moved to `sent_to_bank`).
/// An order is acknowledged by its `accepted` or `rejected` report, or by `POST /api/v1/bank/orders/ack`;
/// one left unacknowledged comes back in a later pull, so an answer lost on the way loses no order. Send an
/// `Idempotency-Key`: the same pull asked again with it answers the same orders. Two pulls at once never get
/// the same order.
#[utoipa::path(post, path = "/api/v1/bank/orders/pull", operation_id = "pull_orders", tag = "bank",
    security(("bearer" = [])), request_body = PullIn, params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = [OrderView]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn pull(
    State(state): State<AppState>,
    Authed(p): Authed,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<PullIn>,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let orders = bank::pull(&state.ctx, &p, body.limit.unwrap_or(100), key.as_deref()).await?;
    Ok(Json(orders.into_iter().map(any_view).collect()))
}

/// The columns of the CSV batch file, in order.
const CSV_COLUMNS: &str = "id,reference,state,bank,branch,collection,id_number,mobile,mail_recipient,mail_mobile,\
mail_district,mail_postal_code,mail_address,documents,created_at,kind,due_on,due_provisional,replaces_card,\
previous_card";

fn csv_line(v: &OrderView) -> String {
    use super::collective::csv_cell;
    let mail = v.mail.as_ref();
    let docs: Vec<String> = v.documents.iter().map(|(k, h)| format!("{k}={h}")).collect();
    let cells = [
        v.id.clone(),
        v.reference.clone(),
        v.state.clone(),
        v.bank.clone(),
        v.branch.clone().unwrap_or_default(),
        v.collection.clone().unwrap_or_default(),
        v.id_number.clone(),
        v.mobile.clone().unwrap_or_default(),
        mail.map(|m| m.recipient.clone()).unwrap_or_default(),
        mail.map(|m| m.mobile.clone()).unwrap_or_default(),
        mail.map(|m| m.district.clone()).unwrap_or_default(),
        mail.map(|m| m.postal_code.clone()).unwrap_or_default(),
        mail.map(|m| m.address.clone()).unwrap_or_default(),
        docs.join(";"),
        v.created_at.clone(),
        v.kind.to_string(),
        v.due_on.clone().unwrap_or_default(),
        v.due_provisional.to_string(),
        v.replaces_card.clone().unwrap_or_default(),
        v.previous_card.clone().unwrap_or_default(),
    ];
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    line.join(",")
}

/// The same pull as a CSV batch file (UTF-8, one order per line, the header first; documents as
/// `kind=hash` joined by `;`).
#[utoipa::path(post, path = "/api/v1/bank/orders/pull.csv", operation_id = "pull_orders_csv", tag = "bank",
    security(("bearer" = [])), request_body = PullIn, params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn pull_csv(
    State(state): State<AppState>,
    Authed(p): Authed,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<PullIn>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let orders = bank::pull(&state.ctx, &p, body.limit.unwrap_or(100), key.as_deref()).await?;
    let mut out = String::from(CSV_COLUMNS);
    out.push('\n');
    for o in orders {
        out.push_str(&csv_line(&any_view(o)));
        out.push('\n');
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckIn {
    /// The ids of pulled orders the bank has safely received (1–500).
    pub orders: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AckOut {
    /// How many were newly acknowledged (one acknowledged before, or not this bank's, counts none).
    pub acknowledged: u64,
}

/// Acknowledges pulled orders: they are safe at the bank and will not come back in a later pull. (An
/// `accepted` or `rejected` report acknowledges its order too.) Acknowledging twice changes nothing.
#[utoipa::path(post, path = "/api/v1/bank/orders/ack", operation_id = "ack_orders", tag = "bank",
    security(("bearer" = [])), request_body = AckIn,
    responses((status = 200, body = AckOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn ack(
    State(state): State<AppState>,
    Authed(p): Authed,
    JsonBody(body): JsonBody<AckIn>,
) -> Result<Json<AckOut>, ApiError> {
    let acknowledged = bank::acknowledge(&state.ctx, &p, &body.orders).await?;
    Ok(Json(AckOut { acknowledged }))
}

/// One of the caller's bank's orders. Another bank's answers 404.
#[utoipa::path(get, path = "/api/v1/bank/orders/{id}", operation_id = "get_order", tag = "bank",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
pub async fn get_order(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(any_view(bank::any_order(&state.ctx, &p, &id).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    /// `false` when the same report had already been applied: nothing changed.
    pub changed: bool,
    pub order: OrderView,
}

/// Reports on an order: `accepted`, `rejected` (`reason`), `produced` (`card_number`, `masked_account`),
/// `mailed` (`tracking_number`), `ready_for_pickup`, `delivered_to_entity`, `collected`. A replacement order
/// takes the same reports (never `delivered_to_entity`); its `produced` creates the new card, linked to the one
/// it replaces. The same report
/// twice changes nothing (`changed: false`); a report out of order is `report_out_of_order` with the states
/// it needed.
#[utoipa::path(post, path = "/api/v1/bank/orders/{id}/reports", operation_id = "report_on_order", tag = "bank",
    security(("bearer" = [])), params(("id" = String, Path)), request_body(content = Object,
        example = json!({"status": "produced", "card_number": "J12345678", "masked_account": "6222********1234"})),
    responses((status = 200, body = ReportOut), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<BankReport>,
) -> Result<Json<ReportOut>, ApiError> {
    let (o, changed) = bank::report_any(&state.ctx, &p, &id, &body).await?;
    Ok(Json(ReportOut {
        changed,
        order: any_view(o),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CardView {
    pub number: String,
    /// Masked.
    pub holder_id_number: String,
    pub generation: u8,
    pub bank: String,
    pub branch: Option<String>,
    /// Masked; never stored in clear.
    pub masked_account: String,
    pub issued_on: String,
    pub application: String,
    #[schema(example = "pending_activation")]
    pub social_security: String,
    #[schema(example = "inactive")]
    pub financial: String,
    /// During a temporary loss: when it ends by itself (RFC 3339, Asia/Shanghai).
    pub loss_until: Option<String>,
}

/// The caller's own cards (SPEC §7.1), with the state of each function.
#[utoipa::path(get, path = "/api/v1/me/cards", operation_id = "my_cards", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = [CardView]), (status = 401, body = Problem)))]
pub async fn my_cards(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<CardView>>, ApiError> {
    let cards = bank::my_cards(&state.ctx, &p).await?;
    Ok(Json(
        cards
            .into_iter()
            .map(|c| CardView {
                number: c.number,
                holder_id_number: c.holder.masked(),
                generation: c.generation,
                bank: c.bank,
                branch: c.branch,
                masked_account: c.masked_account,
                issued_on: c.issued_on.to_string(),
                application: c.application,
                social_security: c.social_security.as_str().into(),
                financial: c.financial.as_str().into(),
                loss_until: c.loss_until.map(|t| t.to_rfc3339()),
            })
            .collect(),
    ))
}
