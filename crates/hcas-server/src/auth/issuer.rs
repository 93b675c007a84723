//! hcas as its own token issuer (the default mode).
//!
//! - The signing key: one Ed25519 key (JWS `EdDSA`) in
//!   `<data_dir>/keys/ed25519.pem`, PKCS#8 PEM, mode 0600, generated on first
//!   start; an unreadable or corrupt file stops the server (it is never
//!   silently replaced: tokens already issued would stop verifying). Its
//!   `kid` is its RFC 7638 JWK thumbprint (SHA-256, base64url).
//! - Access tokens: `iss`, `aud` (`hcas`), `sub`, `org`, `roles`, `exp`,
//!   `iat`, `nbf`, `jti`; lifetime `access_token_seconds`.
//! - Refresh tokens: opaque `<org>.<family>.<jti>` (random UUIDs), one-time
//!   use, rotated through the organization's [`hcas_store::AccountStore`].
//! - Passwords: Argon2id with the argon2 crate's default parameters, as PHC
//!   strings; a login for an unknown user verifies against a dummy hash so
//!   it takes as long as a wrong password.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use hcas_core::Timestamp;
use hcas_core::consent::Role;
use hcas_store::Account;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

use super::jwt::{JwtVerifier, StaticKey};
use crate::config::Config;
use crate::error::ApiError;
use crate::tenants::OrgId;

/// The `aud` of the own issuer's access tokens.
pub const AUDIENCE: &str = "hcas";

/// The key file below `data_dir`.
const KEY_FILE: &str = "keys/ed25519.pem";

/// Why the authentication set-up failed at start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthSetupError {
    /// The signing key could not be read, written or understood.
    #[error("signing key {path}: {message}")]
    Key {
        /// The key file.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
}

fn key_error(path: &Path, message: impl Into<String>) -> AuthSetupError {
    AuthSetupError::Key {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The own issuer: its key, its name and its token lifetimes.
pub struct Issuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
    kid: String,
    name: Arc<OnceLock<String>>,
    access_seconds: u64,
    refresh_seconds: u64,
    dummy_hash: String,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("kid", &self.kid)
            .field("name", &self.name.get())
            .finish_non_exhaustive()
    }
}

/// An access token's claims.
#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    org: &'a str,
    roles: Vec<&'a str>,
    exp: i64,
    iat: i64,
    nbf: i64,
    jti: String,
}

/// What a login or a refresh answers.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) refresh_token: String,
}

/// A refresh token's parts.
pub(crate) struct RefreshParts {
    pub(crate) org: OrgId,
    pub(crate) family: String,
    pub(crate) jti: String,
}

impl Issuer {
    /// The issuer of `config`: its key loaded from (or, the first time,
    /// created in) `<data_dir>/keys/`; its name `config.issuer`, or
    /// `http://<listen>` once the server is bound.
    ///
    /// # Errors
    /// [`AuthSetupError`] for a key that cannot be read, written or parsed.
    pub fn open(config: &Config) -> Result<Self, AuthSetupError> {
        let path = config.data_dir.join(KEY_FILE);
        let signing = load_or_create(&path)?;
        let pem = signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| key_error(&path, format!("cannot encode: {e}")))?;
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|e| key_error(&path, format!("not an Ed25519 key: {e}")))?;
        let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        let decoding = DecodingKey::from_ed_components(&x)
            .map_err(|e| key_error(&path, format!("bad public key: {e}")))?;
        let mut jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x,
            }),
        };
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| key_error(&path, format!("thumbprint: {e}")))?;
        jwk.common.key_id = Some(kid.clone());
        let name = OnceLock::new();
        if let Some(i) = &config.issuer {
            let _ = name.set(i.trim_end_matches('/').to_string());
        }
        Ok(Self {
            encoding,
            decoding,
            jwk,
            kid,
            name: Arc::new(name),
            access_seconds: config.access_token_seconds,
            refresh_seconds: config.refresh_token_seconds,
            dummy_hash: hash_password(&uuid::Uuid::new_v4().to_string())
                .map_err(|_| key_error(&path, "cannot hash the dummy password"))?,
        })
    }

    /// Name the issuer `http://<addr>` if no `issuer` was configured (the
    /// server calls it once bound; later calls change nothing).
    pub fn bound(&self, addr: std::net::SocketAddr) {
        let _ = self.name.set(format!("http://{addr}"));
    }

    /// The issuer's name (`iss`), once known.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.get().map(String::as_str)
    }

    /// The key id (RFC 7638 thumbprint).
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public keys, as published at `/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// The verifier of this issuer's access tokens (EdDSA only, this key only).
    #[must_use]
    pub fn verifier(&self) -> JwtVerifier {
        JwtVerifier::with_issuer_cell(
            Arc::new(StaticKey {
                kid: self.kid.clone(),
                key: self.decoding.clone(),
            }),
            Algorithm::EdDSA,
            Arc::clone(&self.name),
            AUDIENCE,
        )
    }

    pub(crate) fn refresh_seconds(&self) -> u64 {
        self.refresh_seconds
    }

    /// A signed access token for `account` of `org`, valid from `now`.
    pub(crate) fn access_token(
        &self,
        org: &OrgId,
        account: &Account,
        now: Timestamp,
    ) -> Result<String, ApiError> {
        let iss = self.name().ok_or_else(ApiError::internal)?;
        // Only consent roles go into a token (an account's roles were checked
        // when it was created; this keeps a bad row from minting a bad token).
        let roles: Vec<&str> = account
            .roles
            .iter()
            .filter_map(|r| Role::parse(r).map(Role::as_str))
            .collect();
        let claims = AccessClaims {
            iss,
            aud: AUDIENCE,
            sub: &account.subject,
            org: org.as_str(),
            roles,
            exp: now.unix() + secs(self.access_seconds),
            iat: now.unix(),
            nbf: now.unix(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign an access token");
            ApiError::internal()
        })
    }

    /// A signed access token for `subject` of `org` with `roles`, valid for
    /// `access_token_seconds` from `now`: for tests and tools that need a
    /// token without an account (the HTTP routes mint through login).
    ///
    /// # Errors
    /// 500 `internal` before the issuer's name is known (not yet bound).
    pub fn mint(
        &self,
        org: &OrgId,
        subject: &str,
        roles: &[Role],
        now: Timestamp,
    ) -> Result<String, ApiError> {
        let account = Account {
            username: subject.to_string(),
            subject: subject.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            password_hash: String::new(),
            created: now,
            disabled: false,
        };
        self.access_token(org, &account, now)
    }

    /// The tokens answering a login or a refresh.
    pub(crate) fn tokens(
        &self,
        org: &OrgId,
        account: &Account,
        family: &str,
        jti: &str,
        now: Timestamp,
    ) -> Result<Tokens, ApiError> {
        Ok(Tokens {
            access_token: self.access_token(org, account, now)?,
            expires_in: self.access_seconds,
            refresh_token: format!("{org}.{family}.{jti}"),
        })
    }

    /// Verify `password` against `hash`, or against the dummy hash when there
    /// is no account (same work either way). Runs off the async workers.
    pub(crate) async fn password_matches(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "password check failed");
                ApiError::internal()
            })?;
        Ok(ok && known)
    }
}

/// `exp` arithmetic on configured lifetimes (validated to at most 30 days).
fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 4)
}

/// A new random id for a refresh family or token (122 random bits).
pub(crate) fn random_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Split a refresh token into its parts (`None`: not one of ours).
pub(crate) fn refresh_parts(token: &str) -> Option<RefreshParts> {
    let mut it = token.split('.');
    let (org, family, jti) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || !hcas_core::id::is_id(family) || !hcas_core::id::is_id(jti) {
        return None;
    }
    Some(RefreshParts {
        org: OrgId::parse(org).ok()?,
        family: family.to_string(),
        jti: jti.to_string(),
    })
}

/// Hash `password` with Argon2id (default parameters, random salt) as a PHC string.
///
/// # Errors
/// A message if hashing fails (it does not for passwords of sane length).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            tracing::error!("an account's password hash is not a PHC string");
            false
        }
    }
}

fn load_or_create(path: &Path) -> Result<SigningKey, AuthSetupError> {
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(m) = std::fs::metadata(path)
                    && m.permissions().mode() & 0o077 != 0
                {
                    tracing::warn!(path = %path.display(), "the token signing key is readable by other users; chmod 600 it");
                }
            }
            parse_key(path, &pem)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match create(path) {
            // Another process created it first: use theirs.
            Err(_) if path.is_file() => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|e| key_error(path, format!("cannot read: {e}")))?;
                parse_key(path, &pem)
            }
            other => other,
        },
        Err(e) => Err(key_error(
            path,
            format!("cannot read: {e}; fix its owner or mode (0600)"),
        )),
    }
}

fn parse_key(path: &Path, pem: &str) -> Result<SigningKey, AuthSetupError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| {
            key_error(
                path,
                format!(
                "not a PKCS#8 PEM Ed25519 private key ({e}); restore it from a backup, or move it away to generate a new one (tokens already issued stop verifying)"
            ),
        )
    })
}

fn create(path: &Path) -> Result<SigningKey, AuthSetupError> {
    let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir)
        .map_err(|e| key_error(path, format!("cannot create {}: {e}", dir.display())))?;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| key_error(path, format!("no randomness for a new key: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| key_error(path, format!("cannot encode a new key: {e}")))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| key_error(path, format!("cannot create: {e}")))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| key_error(path, format!("cannot write: {e}")))?;
    tracing::info!(path = %path.display(), "generated a new token signing key");
    Ok(key)
}
