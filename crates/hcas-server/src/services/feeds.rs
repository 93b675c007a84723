//! Calendar feeds: a practitioner's or a patient's appointments as one
//! iCalendar (RFC 5545) document at a URL that needs no bearer token, for
//! calendar applications that subscribe to a URL.
//!
//! - `POST /v1/feeds` creates a feed for `Practitioner/<id>` (staff: admin,
//!   doctor, nurse, as for the practitioner's bookings) or `Patient/<id>`
//!   (the consent gate for reading the patient's appointments, audited as
//!   `feed.create`; a patient may create their own). The answer carries the
//!   feed's URL, `/feeds/<token>.ics`, once: the token is 256 bits from the
//!   operating system's CSPRNG, base64url, after the organization's id and a
//!   dot (so the fetch finds the organization's store). The store keeps only
//!   its SHA-256 ([`hcas_store::FeedTokenStore`]).
//! - `GET /v1/feeds` lists feeds (never a token): an administrator's are all
//!   of the organization, anyone else's are the ones they created.
//! - `DELETE /v1/feeds/{id}` revokes one for good (its creator or an
//!   administrator).
//! - `GET /feeds/{token}.ics` is the feed. Each fetch acts as the feed's
//!   creator *now*: a patient feed passes the consent gate again (audited as
//!   `feed.read`), so a revoked consent stops it; a practitioner feed needs a
//!   staff creator and is audited as `feed.read` too. A creator with a local
//!   account that is disabled now stops all their feeds (a deny audited as
//!   `feed.read`) and may not create one (403, audited as `feed.create`);
//!   an external OpenID Connect subject has no account here, so its feeds
//!   end by revocation. Unknown, revoked and refused all answer the same 404. The calendar holds the subject's
//!   bookings overlapping [`WINDOW_PAST_DAYS`] back to [`WINDOW_AHEAD_DAYS`]
//!   ahead (holds left out): single bookings as events, each series as one
//!   recurring event exactly as `/v1/series/{id}/ics` writes it
//!   ([`super::appointments::ics`]), each in its provider's zone with a
//!   `VTIMEZONE` per zone. Events name the provider (and location), never
//!   the patient.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hcas_core::booking::{Booking, Status};
use hcas_core::consent::{Action, Category, Role};
use hcas_core::ical::Calendar;
use hcas_core::{Interval, Timestamp, Zone};
use hcas_store::{AuditEvent, FeedToken, Provider, Store, StoreError, Stored};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::appointments::ics::{booking_event, calendar_response, series_calendar_events};
use super::appointments::{open, resource_id};
use super::http::{invalid, now, query_rejection};
use crate::AppState;
use crate::access::{Access, authorize, default_purpose};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::tenants::OrgId;

/// How far back a feed reaches, in days.
pub const WINDOW_PAST_DAYS: i64 = 90;
/// How far ahead a feed reaches, in days.
pub const WINDOW_AHEAD_DAYS: i64 = 400;
/// Most bookings one feed holds (the earliest in the window).
pub const MAX_FEED_BOOKINGS: usize = 2000;
/// Random bytes in a feed token (256 bits).
const TOKEN_BYTES: usize = 32;

/// The feeds' routes (the API's and the public fetch).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
        .routes(routes!(fetch))
}

/// A feed to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedInput {
    /// Whose appointments: `Practitioner/<id>` or `Patient/<id>`.
    pub subject: String,
}

/// A feed (never its token).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedView {
    /// Its id.
    pub id: String,
    /// Whose appointments.
    pub subject: String,
    /// Who created it.
    pub creator: String,
    /// When it was created, RFC 3339 UTC.
    pub created: String,
    /// When it was revoked, RFC 3339 UTC (then it answers 404 for good).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// A feed just created, with its URL (shown this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedFeed {
    /// Its id (to list and revoke it).
    pub id: String,
    /// Whose appointments.
    pub subject: String,
    /// When it was created, RFC 3339 UTC.
    pub created: String,
    /// The feed's URL, relative to this server: `/feeds/<token>.ics`. It is
    /// the credential: keep it; it is never shown again.
    pub url: String,
}

/// Feeds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedList {
    /// By creation time.
    pub feeds: Vec<FeedView>,
}

/// Which feeds to list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedListParams {
    /// Only this subject's (`Practitioner/<id>` or `Patient/<id>`).
    pub subject: Option<String>,
}

fn view(f: FeedToken) -> FeedView {
    FeedView {
        id: f.id,
        subject: f.subject,
        creator: f.creator,
        created: f.created.to_string(),
        revoked: f.revoked.map(|t| t.to_string()),
    }
}

fn subject_of(s: &str) -> Result<(&str, &str), ApiError> {
    hcas_store::parse_subject(s).ok_or_else(|| {
        invalid(format!(
            "`subject`: give `Practitioner/<id>` or `Patient/<id>`, got `{}`",
            s.chars().take(80).collect::<String>()
        ))
    })
}

/// The SHA-256 of a token, as the store keeps it (lower-case hex).
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new token for `org`: `<org>.<256 random bits, base64url>`.
fn new_token(org: &OrgId) -> Result<String, ApiError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|_| {
        tracing::error!("no randomness for a feed token");
        ApiError::internal()
    })?;
    Ok(format!("{org}.{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// May `principal` read `subject`'s appointments (the rule of the REST API:
/// the consent gate for a patient, audited as `operation`; staff for a
/// practitioner the doctors service knows)?
#[allow(clippy::too_many_arguments)]
async fn may_read(
    state: &AppState,
    store: &Arc<dyn Store>,
    principal: &Principal,
    kind: &str,
    id: &str,
    operation: &'static str,
    target: String,
    now: Timestamp,
) -> Result<(), ApiError> {
    if kind == "Patient" {
        let access = Access::new(id, Category::Appointments, Action::Read, operation, target);
        authorize(store, principal, &access, now).await?;
        return Ok(());
    }
    if !principal.is_staff() {
        return Err(ApiError::forbidden(
            "only staff (admin, doctor, nurse) may read a practitioner's appointments",
        ));
    }
    state.doctors.provider(&principal.org, id).await?;
    Ok(())
}

/// Is `principal` a local account that is disabled now? Such a creator's
/// feeds stop (fail closed); the refusal is audited as a deny of
/// `operation` on `target` here. A subject without a local account (an
/// external OpenID Connect subject) is not known to be disabled: its feeds
/// end by revocation.
async fn creator_disabled(
    store: &Arc<dyn Store>,
    principal: &Principal,
    operation: &'static str,
    target: &str,
    subject: &str,
    now: Timestamp,
) -> Result<bool, ApiError> {
    match store.account_by_subject(&principal.subject).await {
        Ok(a) if a.disabled => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    crate::audit::append(
        store,
        AuditEvent {
            at: now,
            actor: principal.subject.clone(),
            action: operation.to_string(),
            target: target.to_string(),
            patient: None,
            purpose: Some(default_purpose(principal).as_str().to_string()),
            outcome: "deny".to_string(),
            detail: serde_json::json!({
                "org": principal.org.as_str(),
                "subject": subject,
                "basis": "account_disabled",
                "request_id": crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
            }),
        },
    )
    .await?;
    Ok(true)
}

/// Create a calendar feed of a practitioner's or a patient's appointments.
/// The answer carries its URL, shown this once.
#[utoipa::path(
    post,
    path = "/v1/feeds",
    tag = "feeds",
    operation_id = "create_feed",
    request_body = FeedInput,
    responses(
        (status = 201, description = "Created; keep the URL (it is the credential)", body = CreatedFeed),
        (status = 403, description = "Not permitted to read this subject's appointments (consent gate, audited; or not staff for a practitioner; or the caller's account is disabled, audited)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such practitioner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A subject that is not `Practitioner/<id>` or `Patient/<id>` (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<FeedInput>,
) -> Result<impl IntoResponse, ApiError> {
    let (kind, id) = subject_of(&input.subject)?;
    let store = open(&state, &principal.org).await?;
    let now = now()?;
    let target = format!("{}:{id}", kind.to_ascii_lowercase());
    if creator_disabled(
        &store,
        &principal,
        "feed.create",
        &target,
        &input.subject,
        now,
    )
    .await?
    {
        return Err(ApiError::forbidden(
            "this account is disabled: it may not create calendar feeds",
        ));
    }
    may_read(
        &state,
        &store,
        &principal,
        kind,
        id,
        "feed.create",
        target,
        now,
    )
    .await?;
    let token = new_token(&principal.org)?;
    let feed = FeedToken {
        id: uuid::Uuid::new_v4().to_string(),
        token_hash: token_hash(&token),
        subject: input.subject.clone(),
        creator: principal.subject.clone(),
        creator_roles: principal
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        created: now,
        revoked: None,
    };
    let f = store.feed_create(feed).await?;
    tracing::info!(feed = %f.id, "calendar feed created");
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedFeed {
            id: f.id,
            subject: f.subject,
            created: f.created.to_string(),
            url: format!("/feeds/{token}.ics"),
        }),
    ))
}

/// Calendar feeds (never their tokens): an administrator sees every feed of
/// the organization, anyone else the feeds they created.
#[utoipa::path(
    get,
    path = "/v1/feeds",
    tag = "feeds",
    operation_id = "list_feeds",
    params(FeedListParams),
    responses(
        (status = 200, description = "The feeds, revoked ones too", body = FeedList),
        (status = 422, description = "A bad `subject` (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<FeedListParams>, QueryRejection>,
) -> Result<axum::Json<FeedList>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    if let Some(s) = &p.subject {
        subject_of(s)?;
    }
    let store = open(&state, &principal.org).await?;
    let all = store.feed_list(p.subject.as_deref()).await?;
    let admin = principal.has(Role::Admin);
    let feeds = all
        .into_iter()
        .filter(|f| admin || f.creator == principal.subject)
        .map(view)
        .collect();
    Ok(axum::Json(FeedList { feeds }))
}

/// Revoke a calendar feed for good (its creator or an administrator).
#[utoipa::path(
    delete,
    path = "/v1/feeds/{id}",
    tag = "feeds",
    operation_id = "revoke_feed",
    params(("id" = String, Path, description = "The feed's id")),
    responses(
        (status = 200, description = "Revoked (again: unchanged)", body = FeedView),
        (status = 404, description = "No such feed of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<FeedView>, ApiError> {
    let store = open(&state, &principal.org).await?;
    let mine = |f: &FeedToken| principal.has(Role::Admin) || f.creator == principal.subject;
    let not_found = || ApiError::not_found(format!("no feed {id} of yours"));
    match store.feed_get(&id).await {
        Ok(f) if mine(&f) => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    let f = store.feed_revoke(&id, now()?).await?;
    tracing::info!(feed = %f.id, "calendar feed revoked");
    Ok(axum::Json(view(f)))
}

/// The one answer for a token that does not open a feed.
fn no_feed() -> ApiError {
    ApiError::not_found("no such feed")
}

/// A calendar feed: the subject's appointments as one iCalendar document.
/// No bearer token: the URL is the credential.
#[utoipa::path(
    get,
    path = "/feeds/{file}",
    tag = "feeds",
    operation_id = "fetch_feed",
    params(("file" = String, Path, description = "`<token>.ics`, as `POST /v1/feeds` answered")),
    responses(
        (status = 200, description = "A VCALENDAR: single bookings as VEVENTs, each series as one recurring VEVENT (RRULE, EXDATE, RECURRENCE-ID), a VTIMEZONE per zone; `Cache-Control: no-store`", body = String, content_type = "text/calendar"),
        (status = 404, description = "No such feed: unknown, revoked, or no longer permitted (the same answer)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn fetch(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let token = file.strip_suffix(".ics").ok_or_else(no_feed)?;
    let (org, secret) = token.split_once('.').ok_or_else(no_feed)?;
    if secret.len() != URL_SAFE_NO_PAD.encode([0u8; TOKEN_BYTES]).len() {
        return Err(no_feed());
    }
    let org = OrgId::parse(org).map_err(|_| no_feed())?;
    let store = match open(&state, &org).await {
        Ok(s) => s,
        Err(e) if e.status() == StatusCode::FORBIDDEN => return Err(no_feed()),
        Err(e) => return Err(e),
    };
    let feed = match store.feed_find(&token_hash(token)).await {
        Ok(f) => f,
        Err(StoreError::NotFound { .. }) => return Err(no_feed()),
        Err(e) => return Err(e.into()),
    };
    let (kind, id) = feed.subject_parts().ok_or_else(no_feed)?;
    let roles = feed
        .creator_roles
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    let creator = Principal::new(feed.creator.clone(), org.clone(), roles);
    let now = now()?;
    let target = format!("feed:{}", feed.id);
    if creator_disabled(&store, &creator, "feed.read", &target, &feed.subject, now).await? {
        return Err(no_feed());
    }
    match may_read(
        &state,
        &store,
        &creator,
        kind,
        id,
        "feed.read",
        target.clone(),
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(e) if matches!(e.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            return Err(no_feed());
        }
        Err(e) => return Err(e),
    }
    if kind == "Practitioner" {
        // The gate audited a patient feed; a practitioner's is audited here.
        crate::audit::append(
            &store,
            AuditEvent {
                at: now,
                actor: creator.subject.clone(),
                action: "feed.read".to_string(),
                target,
                patient: None,
                purpose: Some(default_purpose(&creator).as_str().to_string()),
                outcome: "permit".to_string(),
                detail: serde_json::json!({
                    "org": org.as_str(),
                    "subject": feed.subject.as_str(),
                    "request_id": crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
                }),
            },
        )
        .await?;
    }
    let resource = format!(
        "{}:{id}",
        if kind == "Patient" {
            "patient"
        } else {
            "provider"
        }
    );
    let text = feed_calendar(&state, &org, &store, &resource, now).await?;
    Ok(calendar_response(text, "feed.ics"))
}

/// The providers of a feed's bookings, each asked for once.
struct Providers<'a> {
    state: &'a AppState,
    org: &'a OrgId,
    known: HashMap<String, Option<Provider>>,
}

impl Providers<'_> {
    async fn of(&mut self, booking: &Booking) -> Result<Option<&Provider>, ApiError> {
        let key = resource_id(booking, "provider")
            .unwrap_or_default()
            .to_string();
        if !self.known.contains_key(&key) {
            let p = super::appointments::ics::provider_of(self.state, self.org, booking).await?;
            self.known.insert(key.clone(), p);
        }
        Ok(self.known.get(&key).and_then(Option::as_ref))
    }
}

/// The calendar of `resource`'s bookings (`patient:X`, `provider:P`) in the
/// window around `now`.
async fn feed_calendar(
    state: &AppState,
    org: &OrgId,
    store: &Arc<dyn Store>,
    resource: &str,
    now: Timestamp,
) -> Result<String, ApiError> {
    let window = Interval::new(
        now.plus_seconds(-WINDOW_PAST_DAYS * 86_400)?,
        now.plus_seconds(WINDOW_AHEAD_DAYS * 86_400)?,
    )?;
    let found = store
        .bookings_on(resource, window, MAX_FEED_BOOKINGS)
        .await?;
    let uses = |b: &Stored<Booking>| b.value.resources.iter().any(|r| r == resource);
    let mut providers = Providers {
        state,
        org,
        known: HashMap::new(),
    };
    let mut cal = Calendar::new(Zone::UTC).name("hcas appointments");
    let mut series_done = BTreeSet::new();
    for b in &found {
        if !uses(b) || b.value.status == Status::Held {
            continue;
        }
        match &b.value.series {
            Some(series) => {
                if !series_done.insert(series.id.clone()) {
                    continue;
                }
                let all: Vec<Stored<Booking>> = store
                    .series_bookings(&series.id)
                    .await?
                    .into_iter()
                    .filter(|o| uses(o) && o.value.status != Status::Held)
                    .collect();
                let provider = providers.of(&b.value).await?;
                let (events, _) = series_calendar_events(&series.id, &all, provider, now)?;
                for e in events {
                    cal = cal.event(e);
                }
            }
            None => {
                let provider = providers.of(&b.value).await?;
                cal = cal.event(booking_event(b, provider, now)?);
            }
        }
    }
    Ok(cal.to_ics())
}
