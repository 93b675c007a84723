//! The webhooks API (`/v1/webhooks`, administrators of the organization
//! only): subscriptions, their deliveries and attempts, replay of dead
//! deliveries, and a test ping. A subscription's secret is answered once,
//! when it is created.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hcas_core::consent::Role;
use hcas_store::{Attempt, Delivery, DeliveryStatus, NewDelivery, Store, Subscription};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{now_ms, types};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::services::http::{invalid, now, query_rejection};
use crate::tenants::OrgId;

/// Shortest secret a caller may choose, in bytes.
pub const MIN_SECRET_LEN: usize = 24;

/// The webhooks' routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, delete))
        .routes(routes!(deliveries))
        .routes(routes!(delivery))
        .routes(routes!(replay))
        .routes(routes!(ping))
}

/// A new subscription.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// Where to POST: an absolute `http://` or `https://` URL.
    pub url: String,
    /// The event types to deliver (`appointment.created`,
    /// `appointment.updated`, `appointment.cancelled`,
    /// `appointment.rescheduled`, `waitlist.offered`, `ping`), or `["*"]`.
    pub events: Vec<String>,
    /// The signing secret (24 to 256 printable ASCII characters); one is
    /// generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
    /// Deliver to it (default `true`).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A subscription (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Its id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types delivered.
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// When it was created, RFC 3339 UTC.
    pub created: String,
}

/// A subscription just created, with its secret (shown this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedView {
    /// Its id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types delivered.
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// When it was created, RFC 3339 UTC.
    pub created: String,
    /// The signing secret: keep it; it is never shown again.
    pub secret: String,
}

/// The organization's subscriptions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionList {
    /// By creation time.
    pub subscriptions: Vec<SubscriptionView>,
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event's id (the `Hcas-Webhook-Id` header).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The appointment it is about (`ping` for pings).
    pub appointment_id: String,
    /// The event's sequence.
    pub sequence: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Attempts since it was (re)queued.
    pub attempts: u32,
    /// When the next attempt is due (pending only), RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The last attempt's HTTP status, if an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// Why the last attempt got no answer: `timeout`, `connect`, `request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was enqueued, RFC 3339 UTC.
    pub created: String,
}

/// A subscription's deliveries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// One logged attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    /// Its number since the delivery was (re)queued.
    pub attempt: u32,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The HTTP status, if an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The delivery's status after it.
    pub status: String,
}

/// A delivery with the event it carries and its attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    pub delivery: DeliveryView,
    /// The event (the body POSTed).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
}

/// How many deliveries were put back in the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Replayed {
    /// Dead deliveries now pending again.
    pub requeued: u64,
}

/// A ping enqueued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pinged {
    /// The ping's event id.
    pub event_id: String,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryParams {
    /// Only `pending`, `delivered` or `dead` ones.
    pub status: Option<String>,
    /// Most to answer (1 to 1000, default 100).
    pub limit: Option<usize>,
}

fn ms_to_rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    })
}

fn view(s: Subscription) -> SubscriptionView {
    SubscriptionView {
        id: s.id,
        url: s.url,
        events: s.events,
        active: s.active,
        created: s.created.to_string(),
    }
}

fn delivery_view(d: Delivery) -> DeliveryView {
    DeliveryView {
        next_attempt_at: (d.status == DeliveryStatus::Pending)
            .then(|| ms_to_rfc(d.next_attempt_ms)),
        event_id: d.event_id,
        event_type: d.event_type,
        appointment_id: d.aggregate,
        sequence: d.seq,
        status: d.status.as_str().to_string(),
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        created: ms_to_rfc(d.created_ms),
    }
}

fn attempt_view(a: Attempt) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        at: ms_to_rfc(a.at_ms),
        http_status: a.http_status,
        error: a.error,
        status: a.status.as_str().to_string(),
    }
}

/// The organization's store, with its relay and delivery worker running;
/// 403 unless the principal is an administrator.
async fn admin_store(state: &AppState, principal: &Principal) -> Result<Arc<dyn Store>, ApiError> {
    if !principal.has(Role::Admin) {
        return Err(ApiError::forbidden(
            "only an administrator of the organization manages its webhooks",
        ));
    }
    let store = state.tenants.store(&principal.org).await?;
    state.bus.ensure(&principal.org, Arc::clone(&store));
    Ok(store)
}

fn check_subscription_id(id: &str) -> Result<(), ApiError> {
    hcas_core::id::check_id("id", id).map_err(ApiError::from)
}

/// The URL, checked: `http`/`https` with a host, at most 2048 bytes.
fn check_url(url: &str) -> Result<(), ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_webhook_url",
            format!(
                "`url`: {why}; give an absolute http:// or https:// URL, e.g. https://hooks.example.com/hcas"
            ),
        )
    };
    if url.len() > hcas_store::MAX_URL_LEN {
        return Err(bad("longer than 2048 bytes"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(&format!(
            "the scheme `{}` is not delivered to",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(())
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() || events.len() > hcas_store::MAX_EVENT_TYPES {
        return Err(invalid(format!(
            "`events`: give 1 to {} event types, or [\"*\"]",
            hcas_store::MAX_EVENT_TYPES
        )));
    }
    for e in events {
        if e != "*" && !types::ALL.contains(&e.as_str()) {
            return Err(invalid(format!(
                "`events`: `{}` is not an event type; use {} or `*`",
                e.chars().take(64).collect::<String>(),
                types::ALL.join(", ")
            )));
        }
    }
    Ok(())
}

fn secret_of(given: Option<String>) -> Result<String, ApiError> {
    if let Some(s) = given {
        let ok = (MIN_SECRET_LEN..=hcas_store::MAX_SECRET_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_graphic());
        return if ok {
            Ok(s)
        } else {
            Err(invalid(format!(
                "`secret`: give {MIN_SECRET_LEN} to {} printable ASCII characters without spaces, or leave it out to have one generated",
                hcas_store::MAX_SECRET_LEN
            )))
        };
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|_| {
        tracing::error!("no randomness for a webhook secret");
        ApiError::internal()
    })?;
    let mut s = String::from("whsec_");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

/// Subscribe a URL to event types. The answer carries the signing secret,
/// shown this once.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    request_body = SubscriptionInput,
    responses(
        (status = 201, description = "Subscribed; keep the secret", body = CreatedView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A URL that is not http(s) (`invalid_webhook_url`), an unknown event type or a bad secret (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<SubscriptionInput>,
) -> Result<impl IntoResponse, ApiError> {
    check_url(&input.url)?;
    let mut events = input.events;
    check_events(&events)?;
    events.dedup();
    let secret = secret_of(input.secret)?;
    let store = admin_store(&state, &principal).await?;
    let sub = Subscription {
        id: uuid::Uuid::new_v4().to_string(),
        url: input.url,
        events,
        secret,
        active: input.active.unwrap_or(true),
        created: now()?,
    };
    let s = store.webhook_create(sub).await?;
    tracing::info!(subscription = %s.id, "webhook subscription created");
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedView {
            id: s.id,
            url: s.url,
            events: s.events,
            active: s.active,
            created: s.created.to_string(),
            secret: s.secret,
        }),
    ))
}

/// The organization's subscriptions (without secrets).
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    responses(
        (status = 200, description = "The subscriptions", body = SubscriptionList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<SubscriptionList>, ApiError> {
    let store = admin_store(&state, &principal).await?;
    let subscriptions = store.webhook_list().await?.into_iter().map(view).collect();
    Ok(axum::Json(SubscriptionList { subscriptions }))
}

/// One subscription (without its secret).
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not an id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<SubscriptionView>, ApiError> {
    check_subscription_id(&id)?;
    let store = admin_store(&state, &principal).await?;
    Ok(axum::Json(view(store.webhook_get(&id).await?)))
}

/// Delete a subscription, its queued deliveries and their log.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not an id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_subscription_id(&id)?;
    let store = admin_store(&state, &principal).await?;
    store.webhook_delete(&id).await?;
    tracing::info!(subscription = %id, "webhook subscription deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's deliveries, newest first.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription id"), DeliveryParams),
    responses(
        (status = 200, description = "The deliveries", body = DeliveryList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `status` or `limit` (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    params: Result<Query<DeliveryParams>, QueryRejection>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    check_subscription_id(&id)?;
    let status = match p.status.as_deref() {
        None => None,
        Some(s) => Some(
            DeliveryStatus::parse(s)
                .ok_or_else(|| invalid("`status`: use pending, delivered or dead"))?,
        ),
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=hcas_store::MAX_WEBHOOK_PAGE).contains(&limit) {
        return Err(invalid(format!(
            "`limit`: give 1 to {}",
            hcas_store::MAX_WEBHOOK_PAGE
        )));
    }
    let store = admin_store(&state, &principal).await?;
    let list = store.webhook_deliveries(&id, status, limit).await?;
    Ok(axum::Json(DeliveryList {
        deliveries: list.into_iter().map(delivery_view).collect(),
    }))
}

/// One delivery: the event it carries and every attempt.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries/{event_id}",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The subscription id"),
        ("event_id" = String, Path, description = "The event id"),
    ),
    responses(
        (status = 200, description = "The delivery", body = DeliveryDetail),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription or delivery", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not an id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delivery(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<axum::Json<DeliveryDetail>, ApiError> {
    check_subscription_id(&id)?;
    let store = admin_store(&state, &principal).await?;
    let (found, attempts) = store.webhook_delivery(&id, &event_id).await?;
    let event = serde_json::from_str(&found.body).unwrap_or(serde_json::Value::Null);
    Ok(axum::Json(DeliveryDetail {
        delivery: delivery_view(found),
        event,
        attempts: attempts.into_iter().map(attempt_view).collect(),
    }))
}

/// Put every dead delivery of the subscription back in the queue (due now,
/// attempts from 0); they are delivered again, in order per appointment.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/replay",
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 200, description = "How many were re-queued", body = Replayed),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not an id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn replay(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<Replayed>, ApiError> {
    check_subscription_id(&id)?;
    let store = admin_store(&state, &principal).await?;
    let requeued = store.webhook_replay(&id, now_ms()).await?;
    state.bus.webhooks().wake(&principal.org);
    tracing::info!(subscription = %id, requeued, "webhook deliveries replayed");
    Ok(axum::Json(Replayed { requeued }))
}

fn ping_event(org: &OrgId, subscription: &str) -> Result<(String, String), ApiError> {
    let event_id = format!("evt_{org}_ping_{}", uuid::Uuid::new_v4().simple());
    let body = serde_json::json!({
        "id": event_id,
        "type": types::PING,
        "occurred_at": now()?.to_string(),
        "org": org.as_str(),
        "appointment_id": "ping",
        "sequence": now_ms(),
        "data": { "subscription": subscription },
    });
    Ok((event_id, body.to_string()))
}

/// Send the subscription a `ping` event now (through the queue, signed like
/// every delivery), whatever event types it names.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/ping",
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 202, description = "Enqueued", body = Pinged),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An id that is not an id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn ping(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    check_subscription_id(&id)?;
    let store = admin_store(&state, &principal).await?;
    store.webhook_get(&id).await?;
    let (event_id, body) = ping_event(&principal.org, &id)?;
    let now = now_ms();
    store
        .webhook_enqueue(&[NewDelivery {
            subscription: id,
            event_id: event_id.clone(),
            event_type: types::PING.to_string(),
            aggregate: "ping".to_string(),
            seq: now,
            body,
            due_ms: now,
        }])
        .await?;
    state.bus.webhooks().wake(&principal.org);
    Ok((StatusCode::ACCEPTED, axum::Json(Pinged { event_id })))
}
