//! The calendar-feed port, [`FeedTokenStore`]: the tokens behind the
//! server's public iCalendar feeds (`GET /feeds/{token}.ics`), one per
//! subject (a practitioner or a patient) and creator.
//!
//! The store keeps only the SHA-256 of a token ([`FeedToken::token_hash`],
//! lower-case hex), never the token: whoever reads the database cannot
//! fetch a feed. The server makes the token, shows it once, and finds the
//! feed by the hash of what a client presents ([`FeedTokenStore::feed_find`]).
//! Revocation is permanent: a revoked feed keeps its record (for the list
//! and the audit trail) but never matches again.

use async_trait::async_trait;
use hcas_core::{Error, ErrorCode, Timestamp};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Most roles a feed's creator is recorded with.
pub const MAX_FEED_ROLES: usize = 8;

/// A calendar feed: whose appointments, created by whom, and its token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedToken {
    /// Unique id (the id rule of `docs/limits.md`).
    pub id: String,
    /// The SHA-256 of the token, 64 lower-case hex digits (unique).
    pub token_hash: String,
    /// Whose appointments: `Practitioner/<id>` or `Patient/<id>`.
    pub subject: String,
    /// Who created it (a token's `sub`); the feed is read as them.
    pub creator: String,
    /// The creator's roles when it was created (the consent vocabulary).
    pub creator_roles: Vec<String>,
    /// When it was created.
    pub created: Timestamp,
    /// When it was revoked, if it was (then it never matches again).
    pub revoked: Option<Timestamp>,
}

fn invalid(at: &str, what: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidRequest, format!("{at}: {what}"))
}

impl FeedToken {
    /// The subject's kind and id: (`Practitioner` | `Patient`, id).
    #[must_use]
    pub fn subject_parts(&self) -> Option<(&str, &str)> {
        parse_subject(&self.subject)
    }

    /// Check the fields: an id-shaped id, a hash of 64 lower-case hex
    /// digits, a subject `Practitioner/<id>` or `Patient/<id>`, a creator of
    /// 1 to 256 bytes without control characters and 1 to
    /// [`MAX_FEED_ROLES`] roles of `a-z`.
    ///
    /// # Errors
    /// `invalid_request` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        hcas_core::id::check_id("feed.id", &self.id)?;
        if self.token_hash.len() != 64
            || !self
                .token_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(
                "feed.token_hash",
                "must be a SHA-256 as 64 lower-case hex digits",
            ));
        }
        if self.subject_parts().is_none() {
            return Err(invalid(
                "feed.subject",
                "must be `Practitioner/<id>` or `Patient/<id>`",
            ));
        }
        if self.creator.is_empty()
            || self.creator.len() > 256
            || self.creator.chars().any(char::is_control)
        {
            return Err(invalid(
                "feed.creator",
                "must be 1 to 256 bytes without control characters",
            ));
        }
        if self.creator_roles.is_empty()
            || self.creator_roles.len() > MAX_FEED_ROLES
            || self
                .creator_roles
                .iter()
                .any(|r| r.is_empty() || r.len() > 32 || !r.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return Err(invalid(
                "feed.creator_roles",
                format!("give 1 to {MAX_FEED_ROLES} roles of a-z"),
            ));
        }
        Ok(())
    }
}

/// `Practitioner/<id>` or `Patient/<id>` as (kind, id), the id checked.
#[must_use]
pub fn parse_subject(subject: &str) -> Option<(&str, &str)> {
    let (kind, id) = subject.split_once('/')?;
    (matches!(kind, "Practitioner" | "Patient") && hcas_core::id::is_id(id)).then_some((kind, id))
}

/// Calendar feeds of one organization.
#[async_trait]
pub trait FeedTokenStore: Send + Sync {
    /// Create a feed.
    ///
    /// # Errors
    /// `AlreadyExists` (the id or the token hash is taken), `Invalid`
    /// ([`FeedToken::validate`]), `Unavailable`.
    async fn feed_create(&self, feed: FeedToken) -> Result<FeedToken, StoreError>;

    /// The feed with this id (revoked or not).
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn feed_get(&self, id: &str) -> Result<FeedToken, StoreError>;

    /// Every feed (or those of `subject`), revoked ones too, by creation
    /// time then id.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn feed_list(&self, subject: Option<&str>) -> Result<Vec<FeedToken>, StoreError>;

    /// Revoke a feed at `at`, for good; revoking it again keeps the first
    /// time. Returns the feed after it.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    async fn feed_revoke(&self, id: &str, at: Timestamp) -> Result<FeedToken, StoreError>;

    /// The feed whose token hashes to `token_hash`, unless revoked.
    ///
    /// # Errors
    /// `NotFound` for an unknown or revoked token (the same answer),
    /// `Unavailable`.
    async fn feed_find(&self, token_hash: &str) -> Result<FeedToken, StoreError>;
}

/// The not-found error of a feed (`id` is never a token or its hash).
pub(crate) fn no_feed(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "feed",
        id: id.to_string(),
    }
}

/// The already-exists error of a feed.
pub(crate) fn feed_taken(id: &str) -> StoreError {
    StoreError::AlreadyExists {
        what: "feed",
        id: id.to_string(),
    }
}
