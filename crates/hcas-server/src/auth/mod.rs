//! Who is calling: the [`Principal`] a verified bearer token names, and the
//! [`Verifier`] that checks tokens. Every route that touches patient data
//! takes a `Principal`; a request without a valid token is 401 before any
//! handler runs. The verifier is chosen at start (hcas's own issuer, or an
//! external OpenID Connect provider); until one is configured, [`DenyAll`]
//! refuses every token (fail closed).
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`Principal`], [`Verifier`], [`DenyAll`], the extractor |
//! | `jwt.rs` | [`JwtVerifier`]: one algorithm; `exp`, `iss`, `aud`, `sub` required; claims to a principal |
//! | `issuer.rs` | [`Issuer`]: hcas as its own issuer (Ed25519 key in `data_dir/keys`, access and refresh tokens, Argon2id) |
//! | `oidc.rs` | [`OidcKeys`]: an external OpenID Connect provider's keys (discovery, JWKS cache, rotation) |
//! | `scopes.rs` | [`Scopes`]: SMART resource scopes in a token, which only narrow what the roles allow |
//! | `smart.rs` | `/.well-known/smart-configuration`: SMART App Launch discovery, only what is supported |
//! | `routes.rs` | `/v1/auth/login`, `/v1/auth/register` (patient self-registration), `/v1/auth/refresh`, `/v1/auth/whoami`, `/.well-known/jwks.json`, `/.well-known/openid-configuration` |

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use hcas_core::consent::{Purpose, Role};

use crate::AppState;

mod issuer;
mod jwt;
mod oidc;
pub(crate) mod routes;
mod scopes;
pub(crate) mod smart;

use crate::error::ApiError;
use crate::tenants::OrgId;
pub use issuer::{AUDIENCE, AuthSetupError, Issuer, hash_password};
pub use jwt::{JwtVerifier, KeySource, LEEWAY_SECONDS};
pub use oidc::{MIN_REFETCH, OidcKeys};
pub use scopes::{Interaction, Scopes};

/// The caller, as a verified token describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The token's `sub`: a staff member's id, or the patient's own id for
    /// a patient.
    pub subject: String,
    /// The organization the token is for; the request can reach no other.
    pub org: OrgId,
    /// The roles (the consent vocabulary: patient, doctor, nurse, admin, researcher).
    pub roles: Vec<Role>,
    /// The purpose of use the token carries, if any (the gateway defaults
    /// it by role and lets a header narrow it; see `access.rs`).
    pub purpose: Option<Purpose>,
    /// The token's SMART resource scopes, if it carries any: then the FHIR
    /// API serves only what they grant (within what the roles allow).
    pub scopes: Option<Scopes>,
}

impl Principal {
    /// A principal (tests and verifiers).
    #[must_use]
    pub fn new(subject: impl Into<String>, org: OrgId, roles: Vec<Role>) -> Self {
        Self {
            subject: subject.into(),
            org,
            roles,
            purpose: None,
            scopes: None,
        }
    }

    /// With the token's SMART resource scopes (`None`: roles alone decide).
    #[must_use]
    pub fn with_scopes(mut self, scopes: Option<Scopes>) -> Self {
        self.scopes = scopes;
        self
    }

    /// Whether the token's SMART scopes (if any) grant `interaction` on `ty`.
    #[must_use]
    pub fn scope_allows(&self, ty: &str, interaction: Interaction) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|s| s.allows(ty, interaction))
    }

    /// With the token's purpose of use.
    #[must_use]
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// Whether the principal has `role`.
    #[must_use]
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether it is staff (admin, doctor or nurse): who may see bookings
    /// without a patient and a practitioner's bookings.
    #[must_use]
    pub fn is_staff(&self) -> bool {
        [Role::Admin, Role::Doctor, Role::Nurse]
            .iter()
            .any(|r| self.has(*r))
    }
}

/// Checks a bearer token and says whose it is.
#[async_trait]
pub trait Verifier: Send + Sync {
    /// The principal of `token` (the text after `Bearer `).
    ///
    /// # Errors
    /// 401 `unauthorized` for any token that is not valid now; the detail
    /// does not say which check failed.
    async fn verify(&self, token: &str) -> Result<Principal, ApiError>;
}

/// Refuses every token: the verifier when none is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyAll;

#[async_trait]
impl Verifier for DenyAll {
    async fn verify(&self, _token: &str) -> Result<Principal, ApiError> {
        Err(ApiError::unauthorized("no token issuer is configured"))
    }
}

/// The shared verifier handle.
pub type SharedVerifier = Arc<dyn Verifier>;

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer <access token>`"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer <access token>`"))?;
        let principal = state.verifier.verify(token).await?;
        // SMART scopes name FHIR resource types and interactions only; the
        // REST API has no scope check, so a scoped token would reach all of
        // it: refuse it there instead (fail closed).
        if principal.scopes.is_some() && !parts.uri.path().starts_with(crate::fhir::BASE) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "insufficient_scope",
                "a token with SMART resource scopes is for the FHIR API under /fhir/r4 only; \
                 use a token without `scope` resource grants for the REST API",
            ));
        }
        Ok(principal)
    }
}

/// The asymmetric JWS algorithm named `name` (`RS256`, `ES256`, `EdDSA`, ...);
/// `None` for an unknown name and for the symmetric `HS*` (a verifier never
/// accepts a shared secret).
#[must_use]
pub fn algorithm(name: &str) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm as A;
    let alg: A = name.parse().ok()?;
    match alg {
        A::HS256 | A::HS384 | A::HS512 => None,
        other => Some(other),
    }
}
