//! The authentication routes: login and refresh (own issuer), the published
//! keys and discovery document, and `whoami` (any mode).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hcas_core::Timestamp;
use hcas_store::RefreshOutcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Principal;
use super::issuer::{Issuer, random_id, refresh_parts};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::tenants::OrgId;

/// The authentication routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(whoami))
        .routes(routes!(jwks))
        .routes(routes!(openid_configuration))
}

/// Longest password accepted, in bytes (Argon2 hashes any length; this
/// bounds the work one request can ask for).
const MAX_PASSWORD_LEN: usize = 1024;

const BAD_LOGIN: &str = "wrong organization, username or password";
const BAD_REFRESH: &str =
    "the refresh token is not valid (expired, used already, or revoked); log in again";

/// A login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    /// The organization id.
    org: String,
    /// The username (case does not matter).
    username: String,
    /// The password.
    password: String,
}

/// A refresh.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    /// The refresh token of the last login or refresh (each works once).
    refresh_token: String,
}

/// Tokens (RFC 6749 section 5.1 names).
#[derive(Debug, Serialize, ToSchema)]
struct TokenResponse {
    /// A JWT (EdDSA) for `Authorization: Bearer`.
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// Exchange it at `/v1/auth/refresh` for new tokens; it works once.
    refresh_token: String,
}

/// The caller, as their token says.
#[derive(Debug, Serialize, ToSchema)]
struct WhoAmI {
    /// The token's `sub`.
    subject: String,
    /// The organization.
    org: String,
    /// The roles.
    roles: Vec<String>,
    /// The purpose of use, if the token carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
}

fn own_issuer(state: &AppState) -> Result<&Arc<Issuer>, ApiError> {
    state.issuer.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "this server does not issue tokens: it trusts an external OpenID Connect provider (`oidc_issuer`); get a token there",
        )
    })
}

fn now() -> Result<Timestamp, ApiError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(i64::MAX)).map_err(|_| ApiError::internal())
}

/// 503 passes through (retry later); anything else about the store is the
/// same answer as a wrong password.
fn store_or_refuse(e: ApiError, refusal: &'static str) -> ApiError {
    if e.status() == StatusCode::SERVICE_UNAVAILABLE {
        e
    } else {
        ApiError::unauthorized(refusal)
    }
}

/// Log in with a username and password (hcas as its own issuer).
///
/// A wrong password, an unknown user or organization and a disabled account
/// all answer the same 401, after the same password-hashing work.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong organization, username or password", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This server trusts an external provider instead", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed organization id", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let issuer = own_issuer(&state)?;
    let org = OrgId::parse(&req.org)?;
    let found = match state.tenants.store(&org).await {
        Ok(store) => match store.account(&req.username).await {
            Ok(account) => Some((store, account)),
            Err(hcas_store::StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(store_or_refuse(e, BAD_LOGIN)),
    };
    let password = if req.password.len() > MAX_PASSWORD_LEN {
        String::new()
    } else {
        req.password
    };
    let too_long = password.is_empty();
    let hash = found.as_ref().map(|(_, a)| a.password_hash.clone());
    let matches = issuer.password_matches(password, hash).await? && !too_long;
    let Some((store, account)) = found.filter(|(_, a)| matches && !a.disabled) else {
        tracing::info!(%org, "login refused");
        return Err(ApiError::unauthorized(BAD_LOGIN));
    };
    let now = now()?;
    let (family, jti) = (random_id(), random_id());
    let expires = Timestamp::from_unix(now.unix() + refresh_secs(issuer))
        .map_err(|_| ApiError::internal())?;
    store
        .refresh_start(&family, &account.username, &jti, expires)
        .await?;
    let tokens = issuer.tokens(&org, &account, &family, &jti, now)?;
    tracing::info!(%org, subject = %account.subject, "logged in");
    Ok(axum::Json(TokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer".to_string(),
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
    }))
}

fn refresh_secs(issuer: &Issuer) -> i64 {
    i64::try_from(issuer.refresh_seconds()).unwrap_or(i64::MAX / 4)
}

/// Exchange a refresh token for new tokens (one-time use: presenting a used
/// one revokes every token of that login).
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the refresh token given is used up", body = TokenResponse),
        (status = 401, description = "Not a valid refresh token (expired, used, revoked)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This server trusts an external provider instead", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let issuer = own_issuer(&state)?;
    let parts =
        refresh_parts(&req.refresh_token).ok_or_else(|| ApiError::unauthorized(BAD_REFRESH))?;
    let store = state
        .tenants
        .store(&parts.org)
        .await
        .map_err(|e| store_or_refuse(e, BAD_REFRESH))?;
    let now = now()?;
    let next = random_id();
    let expires = Timestamp::from_unix(now.unix() + refresh_secs(issuer))
        .map_err(|_| ApiError::internal())?;
    let username = match store
        .refresh_rotate(&parts.family, &parts.jti, &next, expires, now)
        .await?
    {
        RefreshOutcome::Rotated { username } => username,
        RefreshOutcome::Reused => {
            tracing::warn!(org = %parts.org, family = %parts.family, "refresh token reused: every token of that login is revoked");
            return Err(ApiError::unauthorized(BAD_REFRESH));
        }
        _ => return Err(ApiError::unauthorized(BAD_REFRESH)),
    };
    let account = match store.account(&username).await {
        Ok(a) if !a.disabled => a,
        Ok(_) | Err(hcas_store::StoreError::NotFound { .. }) => {
            return Err(ApiError::unauthorized(BAD_REFRESH));
        }
        Err(e) => return Err(e.into()),
    };
    let tokens = issuer.tokens(&parts.org, &account, &parts.family, &next, now)?;
    Ok(axum::Json(TokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer".to_string(),
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
    }))
}

/// Who the access token says the caller is.
#[utoipa::path(
    get,
    path = "/v1/auth/whoami",
    tag = "auth",
    responses(
        (status = 200, description = "The token's principal", body = WhoAmI),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn whoami(principal: Principal) -> axum::Json<WhoAmI> {
    axum::Json(WhoAmI {
        subject: principal.subject,
        org: principal.org.to_string(),
        roles: principal
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        purpose: principal.purpose.map(|p| p.as_str().to_string()),
    })
}

/// The own issuer's public keys (JWKS, RFC 7517).
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    responses(
        (status = 200, description = "A JWK set: one Ed25519 key (`kid`: its RFC 7638 thumbprint)", body = Object),
        (status = 404, description = "This server trusts an external provider instead", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn jwks(State(state): State<AppState>) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let issuer = own_issuer(&state)?;
    serde_json::to_value(issuer.jwks())
        .map(axum::Json)
        .map_err(|_| ApiError::internal())
}

/// The own issuer's discovery document (OpenID Connect Discovery 1.0, the
/// parts that apply: hcas issues access tokens, not ID tokens).
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "auth",
    responses(
        (status = 200, description = "`issuer`, `jwks_uri` and the signing algorithm", body = Object),
        (status = 404, description = "This server trusts an external provider instead", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn openid_configuration(
    State(state): State<AppState>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let issuer = own_issuer(&state)?;
    let name = issuer.name().ok_or_else(ApiError::internal)?;
    Ok(axum::Json(serde_json::json!({
        "issuer": name,
        "jwks_uri": format!("{name}/.well-known/jwks.json"),
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "hcas_login_endpoint": format!("{name}/v1/auth/login"),
        "hcas_refresh_endpoint": format!("{name}/v1/auth/refresh"),
    })))
}
