//! [`JwtVerifier`]: checks a JWT access token and maps its claims to a
//! [`Principal`]. One verifier serves both modes; only where its keys come
//! from ([`KeySource`]) and the expected `iss`/`aud` differ.
//!
//! Checks, in order, each failure the same 401 (the log says which, never
//! the token): the header parses; its `alg` is the one algorithm configured
//! (so `none`, and `HS256` signed with the public key, never reach a key);
//! it names a `kid` the key source knows; the signature verifies; `exp`,
//! `iss`, `aud` and `sub` are present; `exp` and `nbf` hold (leeway
//! [`LEEWAY_SECONDS`]); `iss` and `aud` are the expected ones; the org claim
//! is an [`OrgId`]; every role is a consent role and there is at least one;
//! a `purpose` claim, if any, is an HL7 ActReason code hcas knows.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use hcas_core::consent::{Purpose, Role};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{Principal, Scopes, Verifier};
use crate::error::ApiError;
use crate::tenants::OrgId;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// The one detail of every refused access token: it says what to do, not
/// which check failed.
pub(crate) const INVALID_TOKEN: &str = "the access token is not valid here (expired, for another issuer or audience, or altered); get a new one";

/// Where a verifier finds the public key a token's `kid` names.
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The key with id `kid`, if known (a source may fetch, see [`super::OidcKeys`]).
    async fn key(&self, kid: &str) -> Option<DecodingKey>;
}

/// Verifies JWT access tokens (see the module docs for every check).
pub struct JwtVerifier {
    keys: Arc<dyn KeySource>,
    algorithm: Algorithm,
    issuer: Arc<OnceLock<String>>,
    audience: String,
    org_claim: String,
    roles_claim: String,
}

/// The SMART resource scopes of the `scope` claim (RFC 9068: space-separated)
/// or `scp` (an array), if any.
fn scopes(claims: &Map<String, Value>) -> Result<Option<Scopes>, &'static str> {
    let text = match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(_), _) => return Err("scope claim malformed"),
        (None, Some(Value::Array(a))) => a
            .iter()
            .map(|v| v.as_str().ok_or("scp claim malformed"))
            .collect::<Result<Vec<_>, _>>()?
            .join(" "),
        (None, Some(_)) => return Err("scp claim malformed"),
        (None, None) => return Ok(None),
    };
    Ok(Scopes::parse(&text))
}

impl JwtVerifier {
    /// A verifier accepting only `algorithm`, keys from `keys`, tokens of
    /// `issuer` for `audience`, with the claims `org` and `roles`.
    #[must_use]
    pub fn new(
        keys: Arc<dyn KeySource>,
        algorithm: Algorithm,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(issuer.into());
        Self::with_issuer_cell(keys, algorithm, Arc::new(cell), audience)
    }

    /// As [`JwtVerifier::new`] with an issuer known later (the own issuer's
    /// default `http://<listen>` is known once the port is bound); until it
    /// is set every token is refused.
    pub(crate) fn with_issuer_cell(
        keys: Arc<dyn KeySource>,
        algorithm: Algorithm,
        issuer: Arc<OnceLock<String>>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            keys,
            algorithm,
            issuer,
            audience: audience.into(),
            org_claim: "org".to_string(),
            roles_claim: "roles".to_string(),
        }
    }

    /// With other claim names for the organization and the roles.
    #[must_use]
    pub fn with_claims(mut self, org: impl Into<String>, roles: impl Into<String>) -> Self {
        self.org_claim = org.into();
        self.roles_claim = roles.into();
        self
    }

    fn validation(&self, issuer: &str) -> Validation {
        let mut v = Validation::new(self.algorithm);
        v.leeway = LEEWAY_SECONDS;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        v.set_issuer(&[issuer]);
        v.set_audience(&[&self.audience]);
        v.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .into_iter()
            .map(str::to_string)
            .collect::<HashSet<_>>();
        v
    }

    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, &'static str> {
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("sub")?;
        let org = claims
            .get(&self.org_claim)
            .and_then(Value::as_str)
            .ok_or("org claim missing")?;
        let org = OrgId::parse(org).map_err(|_| "org claim malformed")?;
        let words: Vec<&str> = match claims.get(&self.roles_claim) {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().ok_or("roles claim malformed"))
                .collect::<Result<_, _>>()?,
            Some(Value::String(s)) => s.split_whitespace().collect(),
            _ => return Err("roles claim missing"),
        };
        let mut roles = Vec::with_capacity(words.len());
        for w in words {
            let r = Role::parse(w).ok_or("unknown role")?;
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        if roles.is_empty() {
            return Err("no role");
        }
        let mut p = Principal::new(sub, org, roles).with_scopes(scopes(claims)?);
        match claims.get("purpose") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                p = p.with_purpose(Purpose::parse(s).ok_or("unknown purpose")?);
            }
            Some(_) => return Err("purpose claim malformed"),
        }
        Ok(p)
    }

    async fn check(&self, token: &str) -> Result<Principal, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "header")?;
        if header.alg != self.algorithm {
            return Err("algorithm");
        }
        let kid = header.kid.ok_or("no kid")?;
        let key = self.keys.key(&kid).await.ok_or("unknown kid")?;
        let issuer = self.issuer.get().ok_or("issuer not known yet")?;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &self.validation(issuer))
                .map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => "expired",
                    jsonwebtoken::errors::ErrorKind::ImmatureSignature => "not yet valid",
                    jsonwebtoken::errors::ErrorKind::InvalidIssuer => "issuer",
                    jsonwebtoken::errors::ErrorKind::InvalidAudience => "audience",
                    jsonwebtoken::errors::ErrorKind::InvalidSignature => "signature",
                    jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => "missing claim",
                    _ => "malformed",
                })?;
        self.principal(&data.claims)
    }
}

#[async_trait]
impl Verifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        self.check(token).await.map_err(|reason| {
            tracing::info!(reason, "access token refused");
            ApiError::unauthorized(INVALID_TOKEN)
        })
    }
}

/// One fixed key (the own issuer's).
pub(crate) struct StaticKey {
    pub(crate) kid: String,
    pub(crate) key: DecodingKey,
}

#[async_trait]
impl KeySource for StaticKey {
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        (kid == self.kid).then(|| self.key.clone())
    }
}
