//! The accounts port: who may log in to an organization (hcas as its own
//! token issuer), and the refresh-token families that make refresh tokens
//! one-time use.
//!
//! Each organization has its own store, so accounts are per organization.
//! Usernames are unique ignoring case: every adapter keys them by
//! [`username_key`] (Unicode lower case, computed here so all adapters agree).
//!
//! A refresh-token family is one login's chain of refresh tokens: the store
//! keeps the family id and the one `jti` that may be presented next.
//! [`AccountStore::refresh_rotate`] swaps it for a new one atomically (one
//! conditional `UPDATE`); presenting any other `jti` of the family (a token
//! already used, so possibly stolen) revokes the whole family: reuse detection
//! as in the OAuth 2.0 Security BCP (RFC 9700, 4.14.2).

use async_trait::async_trait;
use hcas_core::{Error, ErrorCode, Timestamp};
use serde::{Deserialize, Serialize};

use crate::records::Patient;
use crate::{StoreError, Stored};

/// A login account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The login name as created (unique in the organization ignoring case).
    pub username: String,
    /// The token's `sub`: a staff member's id, or the patient's id for a patient.
    pub subject: String,
    /// The roles (the consent vocabulary: `patient`, `doctor`, `nurse`,
    /// `admin`, `researcher`; the server checks the words).
    pub roles: Vec<String>,
    /// The password hash as a PHC string (`$argon2id$v=19$...`); never the password.
    pub password_hash: String,
    /// When the account was created.
    pub created: Timestamp,
    /// A disabled account cannot log in or refresh.
    pub disabled: bool,
}

/// Longest username, in bytes.
pub const MAX_USERNAME_LEN: usize = 100;

/// The key a username is unique by: its Unicode lower case.
#[must_use]
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

fn invalid(at: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidRequest, format!("{at}: {what}"))
}

impl Account {
    /// Check the fields: a username of 1 to [`MAX_USERNAME_LEN`] bytes
    /// without whitespace or control characters, an id-shaped subject, at
    /// least one role (each 1 to 40 of `a-z`, `-`), and a PHC string hash.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let u = &self.username;
        if u.is_empty() || u.len() > MAX_USERNAME_LEN {
            return Err(invalid(
                "account.username",
                format!("must be 1 to {MAX_USERNAME_LEN} bytes long"),
            ));
        }
        if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                "account.username",
                "must not contain whitespace or control characters",
            ));
        }
        crate::records::check_id("account.subject", &self.subject)?;
        if self.roles.is_empty() {
            return Err(invalid("account.roles", "give at least one role"));
        }
        for r in &self.roles {
            if r.is_empty()
                || r.len() > 40
                || !r.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            {
                return Err(invalid(
                    "account.roles",
                    "each role is 1 to 40 of a-z and -",
                ));
            }
        }
        let h = &self.password_hash;
        if !h.starts_with('$')
            || h.len() > 512
            || h.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid(
                "account.password_hash",
                "must be a PHC string ($alg$...) of at most 512 bytes",
            ));
        }
        Ok(())
    }
}

/// What presenting a refresh token's `jti` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshOutcome {
    /// It was the family's current `jti`: the family now holds the new one.
    Rotated {
        /// The [`username_key`] of the family's account.
        username: String,
    },
    /// An earlier `jti` of a live family: the family is revoked now.
    Reused,
    /// No such family, or it is revoked or expired: nothing changed.
    Invalid,
}

/// Accounts and refresh-token families of one organization.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Create an account.
    ///
    /// # Errors
    /// `AlreadyExists` when the username is taken (ignoring case), `Invalid`
    /// ([`Account::validate`]), `Unavailable`.
    async fn create_account(&self, account: Account) -> Result<Account, StoreError>;

    /// Create patient record `patient` and login `account` for them in ONE
    /// transaction: both are written or neither is (patient
    /// self-registration). The account's subject must be the patient's id.
    ///
    /// # Errors
    /// `AlreadyExists` (`what` = `account` when the username is taken,
    /// ignoring case; `patient` when the id is), `Invalid`
    /// ([`Patient::validate`], [`Account::validate`], or a subject that is not
    /// the patient's id), `Unavailable`. On any error nothing is written.
    async fn register_patient(
        &self,
        patient: Patient,
        account: Account,
    ) -> Result<Stored<Patient>, StoreError>;

    /// The account with this username (ignoring case).
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn account(&self, username: &str) -> Result<Account, StoreError>;

    /// The account whose token subject is `subject`. Subjects need not be
    /// unique: of several accounts, a disabled one comes first (so a caller
    /// checking [`Account::disabled`] fails closed), then by [`username_key`].
    ///
    /// # Errors
    /// `NotFound` when no account has this subject, `Unavailable`.
    async fn account_by_subject(&self, subject: &str) -> Result<Account, StoreError>;

    /// Disable or enable an account; returns it as it is now.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn set_account_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<Account, StoreError>;

    /// Start refresh-token family `family` for account `username` with its
    /// first `jti`, valid until `expires`.
    ///
    /// # Errors
    /// `AlreadyExists` for a family id in use, `NotFound` for an unknown
    /// account, `Invalid` (ids), `Unavailable`.
    async fn refresh_start(
        &self,
        family: &str,
        username: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<(), StoreError>;

    /// Present `jti` of `family` at `now`: if it is the family's current one
    /// and the family is live (not revoked, `now` before its expiry), replace
    /// it with `next_jti`, valid until `expires` ([`RefreshOutcome::Rotated`]);
    /// if it is any other `jti` of a family not yet revoked (expired or not),
    /// revoke the family ([`RefreshOutcome::Reused`]); otherwise
    /// [`RefreshOutcome::Invalid`].
    /// Two presentations of the same `jti` racing: one rotates, the other
    /// revokes the family.
    ///
    /// # Errors
    /// `Invalid` (a malformed `next_jti`), `Unavailable`.
    async fn refresh_rotate(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<RefreshOutcome, StoreError>;
}

/// The checks every adapter's [`AccountStore::register_patient`] makes
/// before writing anything: both records valid, the account's subject the
/// patient's id.
pub(crate) fn check_registration(patient: &Patient, account: &Account) -> Result<(), StoreError> {
    patient.validate()?;
    account.validate()?;
    if account.subject != patient.id {
        return Err(invalid("account.subject", "must be the registered patient's id").into());
    }
    Ok(())
}

/// The username-taken error every adapter returns.
pub(crate) fn username_taken(account: Account) -> StoreError {
    StoreError::AlreadyExists {
        what: "account",
        id: account.username,
    }
}

/// The account-not-found error every adapter returns.
pub(crate) fn no_account_for(subject: &str) -> StoreError {
    StoreError::NotFound {
        what: "account with subject",
        id: subject.to_string(),
    }
}

pub(crate) fn no_account(username: &str) -> StoreError {
    StoreError::NotFound {
        what: "account",
        id: username.to_string(),
    }
}

/// The storage steps of refresh-token families, one conditional statement
/// each. What a start or a presentation *means* ([`start_refresh`],
/// [`rotate_refresh`]) is decided once, here, for every adapter; an adapter
/// only says how each step is stored.
#[async_trait]
pub(crate) trait RefreshSteps: AccountStore {
    /// Insert family `family` of the account keyed `key` ([`username_key`])
    /// with its first `jti`, unless the family exists or there is no such
    /// account; whether it inserted.
    async fn insert_family(
        &self,
        family: &str,
        key: &str,
        jti: &str,
        expires: Timestamp,
    ) -> Result<bool, StoreError>;

    /// If `jti` is the current one of `family`, the family is not revoked and
    /// `now` is before its expiry: make `next_jti` current until `expires` and
    /// return the family's account key; otherwise change nothing, `None`.
    async fn rotate_current(
        &self,
        family: &str,
        jti: &str,
        next_jti: &str,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError>;

    /// If `family` is not revoked and its current `jti` is not `jti`, revoke
    /// it; whether it did.
    async fn revoke_unless_current(&self, family: &str, jti: &str) -> Result<bool, StoreError>;
}

/// [`AccountStore::refresh_start`] on an adapter's [`RefreshSteps`]: insert,
/// and when nothing was inserted tell an unknown account (`NotFound`) from a
/// family id in use (`AlreadyExists`).
pub(crate) async fn start_refresh<S: RefreshSteps + ?Sized>(
    store: &S,
    family: &str,
    username: &str,
    jti: &str,
    expires: Timestamp,
) -> Result<(), StoreError> {
    check_refresh_ids(family, jti)?;
    if store
        .insert_family(family, &username_key(username), jti, expires)
        .await?
    {
        return Ok(());
    }
    store.account(username).await?;
    Err(StoreError::AlreadyExists {
        what: "refresh family",
        id: family.to_string(),
    })
}

/// [`AccountStore::refresh_rotate`] on an adapter's [`RefreshSteps`]: a
/// malformed presentation is `Invalid`; the current `jti` of a live family
/// rotates; any other `jti` of a family not yet revoked revokes it (reuse);
/// anything else is `Invalid`. Of two racing presentations of one `jti`, the
/// conditional rotation lets one rotate and the other find a different
/// current `jti`, so it revokes the family.
pub(crate) async fn rotate_refresh<S: RefreshSteps + ?Sized>(
    store: &S,
    family: &str,
    jti: &str,
    next_jti: &str,
    expires: Timestamp,
    now: Timestamp,
) -> Result<RefreshOutcome, StoreError> {
    if !presentable(family, jti) {
        return Ok(RefreshOutcome::Invalid);
    }
    check_refresh_ids(family, next_jti)?;
    if let Some(username) = store
        .rotate_current(family, jti, next_jti, expires, now)
        .await?
    {
        return Ok(RefreshOutcome::Rotated { username });
    }
    Ok(if store.revoke_unless_current(family, jti).await? {
        RefreshOutcome::Reused
    } else {
        RefreshOutcome::Invalid
    })
}

/// `family` and `jti` of a refresh call, checked.
fn check_refresh_ids(family: &str, jti: &str) -> Result<(), StoreError> {
    crate::records::check_id("refresh.family", family)?;
    crate::records::check_id("refresh.jti", jti)?;
    Ok(())
}

/// Whether a presented `family` and `jti` can exist at all (id-shaped); a
/// token carrying anything else is [`RefreshOutcome::Invalid`] in every adapter.
fn presentable(family: &str, jti: &str) -> bool {
    hcas_core::id::is_id(family) && hcas_core::id::is_id(jti)
}
