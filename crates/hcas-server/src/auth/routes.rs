//! The authentication routes: login, refresh and patient self-registration
//! (own issuer), the published keys and discovery document, and `whoami`
//! (any mode).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use hcas_core::Timestamp;
use hcas_store::{Account, AuditEvent, Patient, RefreshOutcome, StoreError};
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
        .routes(routes!(self_register))
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

/// A patient's self-registration: the login and the patient record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    /// The organization id.
    org: String,
    /// The login name: 1 to 100 bytes, no spaces (unique in the
    /// organization, ignoring case).
    username: String,
    /// The password: at least 12 characters, not the username, at most
    /// 1024 bytes.
    password: String,
    /// The patient's name as the clinic should show it.
    name: String,
    /// Date of birth, `YYYY-MM-DD` (not in the future).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    birth_date: Option<NaiveDate>,
    /// E-mail address, for notifications.
    #[serde(default)]
    email: Option<String>,
    /// Phone number, for notifications.
    #[serde(default)]
    phone: Option<String>,
    /// IANA time zone (`Europe/Lisbon`) the pages show times in.
    #[serde(default)]
    timezone: Option<String>,
    /// Preferred language, a BCP 47 tag (`en`, `es`, `pt-BR`).
    #[serde(default)]
    language: Option<String>,
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
    let tokens = start_login(issuer, &store, &org, &account).await?;
    tracing::info!(%org, subject = %account.subject, "logged in");
    Ok(axum::Json(tokens))
}

/// A new login of `account`: a refresh-token family started in the store,
/// and its first tokens.
async fn start_login(
    issuer: &Issuer,
    store: &Arc<dyn hcas_store::Store>,
    org: &OrgId,
    account: &Account,
) -> Result<TokenResponse, ApiError> {
    let now = now()?;
    let (family, jti) = (random_id(), random_id());
    let expires = Timestamp::from_unix(now.unix() + refresh_secs(issuer))
        .map_err(|_| ApiError::internal())?;
    store
        .refresh_start(&family, &account.username, &jti, expires)
        .await?;
    let tokens = issuer.tokens(org, account, &family, &jti, now)?;
    Ok(TokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer".to_string(),
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
    })
}

/// Shortest password a patient may register with, in characters.
const MIN_REGISTER_PASSWORD_CHARS: usize = 12;

/// Longest name accepted at registration, in characters.
const MAX_NAME_CHARS: usize = 200;

/// The audit operation of a self-registration.
const SELF_REGISTER: &str = "patient.self-register";

fn unprocessable(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
}

/// Check a registration's fields (nothing read or written yet); the patient
/// record it makes, with id `id`.
fn registration(req: &RegisterRequest, id: String, today: NaiveDate) -> Result<Patient, ApiError> {
    let u = &req.username;
    if u.is_empty()
        || u.len() > hcas_store::MAX_USERNAME_LEN
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(unprocessable(
            "invalid_username",
            format!(
                "username: give 1 to {} bytes without spaces or control characters",
                hcas_store::MAX_USERNAME_LEN
            ),
        ));
    }
    if req.password.len() > MAX_PASSWORD_LEN {
        return Err(unprocessable(
            "password_too_long",
            format!("password: at most {MAX_PASSWORD_LEN} bytes"),
        ));
    }
    if req.password.chars().count() < MIN_REGISTER_PASSWORD_CHARS {
        return Err(unprocessable(
            "weak_password",
            format!("password: use at least {MIN_REGISTER_PASSWORD_CHARS} characters"),
        ));
    }
    if req.password.to_lowercase() == u.to_lowercase() {
        return Err(unprocessable(
            "weak_password",
            "password: must not be the username",
        ));
    }
    let name = req.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || hcas_core::id::check_text("name", name).is_err()
    {
        return Err(unprocessable(
            "invalid_name",
            format!(
                "name: give your name, 1 to {MAX_NAME_CHARS} characters, no control characters"
            ),
        ));
    }
    if let Some(tz) = &req.timezone {
        hcas_core::Zone::parse(tz).map_err(|e| ApiError::from(e.at("timezone")))?;
    }
    if let Some(l) = &req.language
        && !hcas_store::records::is_language_tag(l)
    {
        return Err(unprocessable(
            "invalid_language",
            "language: give a BCP 47 language tag such as `en`, `es` or `pt-BR`",
        ));
    }
    if let Some(b) = req.birth_date
        && b > today
    {
        return Err(unprocessable(
            "invalid_birth_date",
            "birth_date: must not be in the future (YYYY-MM-DD)",
        ));
    }
    let mut p = Patient::new(id, name);
    p.birth_date = req.birth_date;
    p.email = req.email.clone();
    p.phone = req.phone.clone();
    p.language = req.language.clone();
    p.timezone = req.timezone.clone();
    // The rest (e-mail, phone): the record's own rules, naming the field.
    p.validate()?;
    Ok(p)
}

fn username_taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "username_taken",
        "username: this username is taken in this organization; choose another (or sign in)",
    )
}

/// A patient registers themself (hcas as its own issuer, with
/// `self_registration` on): a new patient record (with a new random id) and
/// a `patient` login bound to it are created together (both or neither),
/// then the answer is the same tokens as a login's.
///
/// The audit log records `patient.self-register` on the new patient (actor:
/// the patient) before anything is written. A username already taken is
/// 409 `username_taken`, after the same password-hashing work as a success
/// (and rate limited per client like every route), which is all a sign-up
/// form has to reveal. The password and the patient's details are never
/// logged.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and logged in", body = TokenResponse),
        (status = 403, description = "Self-registration is off (`registration_disabled`), or no such organization (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This server trusts an external provider instead", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username is taken (`username_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid: `invalid_username`, `weak_password`, `password_too_long`, `invalid_name`, `invalid_timezone`, `invalid_language`, `invalid_birth_date`, `invalid_request` (e-mail, phone, an unknown field, a malformed organization id)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn self_register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> Result<(StatusCode, axum::Json<TokenResponse>), ApiError> {
    let issuer = own_issuer(&state)?;
    if !state.config.self_registration_on() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "registration_disabled",
            "this server does not let patients register themselves (setting `self_registration`); \
             ask the clinic to create your account",
        ));
    }
    let org = OrgId::parse(&req.org)?;
    let now = now()?;
    let today = chrono::DateTime::from_timestamp(now.unix(), 0)
        .ok_or_else(ApiError::internal)?
        .date_naive();
    let id = uuid::Uuid::new_v4().to_string();
    let patient = registration(&req, id.clone(), today)?;
    let store = state.tenants.store(&org).await?;
    // Hash first: a taken username costs the asker the same work as a
    // registration.
    let password = req.password;
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|_| ApiError::internal())?;
    match store.account(&req.username).await {
        Ok(_) => return Err(username_taken()),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let account = Account {
        username: req.username,
        subject: id.clone(),
        roles: vec![hcas_core::consent::Role::Patient.as_str().to_string()],
        password_hash: hash,
        created: now,
        disabled: false,
    };
    let mut event = AuditEvent {
        at: now,
        actor: id.clone(),
        action: SELF_REGISTER.to_string(),
        target: format!("patient:{id}"),
        patient: Some(id.clone()),
        purpose: None,
        outcome: "permit".to_string(),
        detail: serde_json::json!({
            "org": org.as_str(),
            "roles": ["patient"],
            "category": hcas_core::consent::Category::Appointments.as_str(),
            "access": hcas_core::consent::Action::Write.as_str(),
            "basis": "self-registration",
            "request_id": crate::error::REQUEST_ID.try_with(Clone::clone).ok(),
        }),
    };
    crate::audit::append(&store, event.clone()).await?;
    if let Err(e) = store.register_patient(patient, account.clone()).await {
        // Nothing was written: say so in the log of the attempt.
        event.outcome = "error".to_string();
        event.detail["error"] = serde_json::json!(e.code());
        if let Err(a) = crate::audit::append(&store, event).await {
            tracing::error!(
                code = a.code(),
                "the failed registration's audit record was not written"
            );
        }
        return Err(match e {
            StoreError::AlreadyExists {
                what: "account", ..
            } => username_taken(),
            other => other.into(),
        });
    }
    let tokens = start_login(issuer, &store, &org, &account).await?;
    tracing::info!(%org, "patient registered themself");
    Ok((StatusCode::CREATED, axum::Json(tokens)))
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
