//! Helpers shared by the SQL adapters (SQLite, PostgreSQL).

use hcas_core::{Interval, Timestamp};

use crate::StoreError;

/// A database error, classified by cause (see [`crate::sql_error`]).
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    classify(e)
}

/// How a database error answers the caller: `unavailable` (retryable) only
/// for a lost or unobtainable connection, a serialization failure, a
/// deadlock, a lock or statement timeout, or SQLite busy/locked; `invalid`
/// (`invalid_request`) for data the database refused (PostgreSQL classes
/// `22` data exception, `23` integrity constraint, `54` program limit;
/// SQLite constraint, too big, mismatch, range), with a message that names
/// the SQLSTATE/result code and the constraint but never the values; and
/// `internal` for the rest (a bug or a broken schema: retrying will not help).
pub(crate) fn classify(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) => classify_database(d.as_ref()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Configuration(_) => StoreError::Invalid(hcas_core::Error::new(
            hcas_core::ErrorCode::InvalidRequest,
            format!("invalid database connection options: {e}"),
        )),
        other => StoreError::Internal(format!("database: {other}")),
    }
}

/// Which way a database error goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Unavailable,
    Invalid(&'static str),
    Internal,
}

/// PostgreSQL: by SQLSTATE (and class).
fn pg_cause(code: &str, message: &str) -> Cause {
    match code {
        // Serialization failure, deadlock, lock timeout (`lock_not_available`),
        // idle-in-transaction timeout, too many connections, server shutting
        // down or starting up.
        "40001" | "40P01" | "55P03" | "25P03" | "53300" | "57P01" | "57P02" | "57P03" => {
            Cause::Unavailable
        }
        // `query_canceled`: retryable when a timeout cancelled it, not when
        // someone cancelled the query.
        "57014" if message.contains("timeout") => Cause::Unavailable,
        "22001" => Cause::Invalid("a value is too long"),
        "22021" => Cause::Invalid("a text holds a byte the database refuses (e.g. NUL)"),
        "22P05" => Cause::Invalid("a text holds a character the database cannot store"),
        "22003" => Cause::Invalid("a number is out of range"),
        "23505" => Cause::Invalid("a unique value is used already"),
        "23503" => Cause::Invalid("a referenced record does not exist"),
        "23502" => Cause::Invalid("a required value is missing"),
        "23514" => Cause::Invalid("a value breaks a check"),
        "23P01" => Cause::Invalid("the request overlaps a record it may not overlap"),
        "54000" => Cause::Invalid("a value is larger than the database can index"),
        "54001" => Cause::Invalid("the request is too complex for the database"),
        _ if code.starts_with("08") => Cause::Unavailable,
        _ if code.starts_with("22") => Cause::Invalid("the database refused a value"),
        _ if code.starts_with("23") => Cause::Invalid("the request breaks a database constraint"),
        _ if code.starts_with("54") => Cause::Invalid("the request is beyond a database limit"),
        _ => Cause::Internal,
    }
}

/// SQLite: by (extended) result code; its primary code is the low byte.
fn sqlite_cause(code: i64) -> Cause {
    match code & 0xff {
        5 | 6 => Cause::Unavailable,                // SQLITE_BUSY, SQLITE_LOCKED
        18 => Cause::Invalid("a value is too big"), // SQLITE_TOOBIG
        19 => Cause::Invalid("the request breaks a database constraint"), // SQLITE_CONSTRAINT
        20 => Cause::Invalid("a value has the wrong type"), // SQLITE_MISMATCH
        25 => Cause::Invalid("a parameter is out of range"), // SQLITE_RANGE
        _ => Cause::Internal,
    }
}

fn classify_database(d: &dyn sqlx::error::DatabaseError) -> StoreError {
    let code = d
        .code()
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default();
    // sqlx reports SQLite's extended result code as a decimal number and
    // PostgreSQL's SQLSTATE as 5 characters: the backend decides which.
    let cause = if is_sqlite(d) {
        code.parse().map_or(Cause::Internal, sqlite_cause)
    } else {
        pg_cause(&code, d.message())
    };
    match cause {
        Cause::Unavailable => StoreError::Unavailable(format!("{} ({code})", d.message())),
        Cause::Invalid(what) => {
            let constraint = d
                .constraint()
                .map(|c| format!(", constraint {c}"))
                .unwrap_or_default();
            StoreError::Invalid(hcas_core::Error::new(
                hcas_core::ErrorCode::InvalidRequest,
                format!("the database refused the request: {what} (code {code}{constraint})"),
            ))
        }
        Cause::Internal => StoreError::Internal(format!("database: {} ({code})", d.message())),
    }
}

#[cfg(feature = "sqlite")]
fn is_sqlite(d: &dyn sqlx::error::DatabaseError) -> bool {
    d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
}

#[cfg(not(feature = "sqlite"))]
fn is_sqlite(_: &dyn sqlx::error::DatabaseError) -> bool {
    false
}

/// A row that does not decode: not retryable.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt {what} in the database: {e}"))
}

/// A value as JSON text for a payload column.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("value", e))
}

/// The busy interval of a booking row's columns (`status`, `start_s`,
/// `end_s`, `hold_expires_s`), if it blocks at `now` (the core's rule,
/// [`hcas_core::booking::Status::blocks`]): no JSON to decode.
pub(crate) fn busy_from_columns(
    status: &str,
    start: i64,
    end: i64,
    hold_expires: Option<i64>,
    now: Timestamp,
) -> Result<Option<Interval>, StoreError> {
    let status = hcas_core::booking::Status::parse(status).map_err(|e| corrupt("status", e))?;
    let hold_expires = hold_expires
        .map(Timestamp::from_unix)
        .transpose()
        .map_err(|e| corrupt("hold_expires", e))?;
    if !status.blocks(hold_expires, now) {
        return Ok(None);
    }
    let instant = |t: i64| Timestamp::from_unix(t).map_err(|e| corrupt("booking interval", e));
    Interval::new(instant(start)?, instant(end)?)
        .map(Some)
        .map_err(|e| corrupt("booking interval", e))
}

/// A JSON `payload` column read back into its record.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// `(payload, version)` rows read back into versioned records.
pub(crate) fn stored_rows<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<(String, i64)>,
) -> Result<Vec<crate::Stored<T>>, StoreError> {
    rows.into_iter()
        .map(|(payload, version)| {
            Ok(crate::Stored {
                value: decode(what, &payload)?,
                version,
            })
        })
        .collect()
}

/// `(seq, payload)` rows of the audit table.
pub(crate) fn audit_records(
    rows: Vec<(i64, String)>,
) -> Result<Vec<crate::AuditRecord>, StoreError> {
    rows.into_iter()
        .map(|(seq, payload)| {
            Ok(crate::AuditRecord {
                seq,
                event: decode("audit event", &payload)?,
            })
        })
        .collect()
}

/// `(id, kind, aggregate_id, payload, created_s)` rows of the outbox.
pub(crate) fn outbox_events(
    rows: Vec<(i64, String, String, String, i64)>,
) -> Result<Vec<crate::OutboxEvent>, StoreError> {
    rows.into_iter()
        .map(|(id, kind, aggregate_id, payload, created)| {
            Ok(crate::OutboxEvent {
                id,
                kind,
                aggregate_id,
                payload: decode("outbox event", &payload)?,
                created: Timestamp::from_unix(created)
                    .map_err(|e| corrupt("outbox event time", e))?,
            })
        })
        .collect()
}

/// A `LIMIT` parameter.
pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// An `accounts` row: `username, subject, roles (JSON text), password_hash,
/// created_s, disabled`.
pub(crate) type AccountRow = (String, String, String, String, i64, bool);

/// An `accounts` row read back.
pub(crate) fn account_from_row(row: AccountRow) -> Result<crate::Account, StoreError> {
    let (username, subject, roles, password_hash, created_s, disabled) = row;
    Ok(crate::Account {
        username,
        subject,
        roles: decode("account roles", &roles)?,
        password_hash,
        created: Timestamp::from_unix(created_s).map_err(|e| corrupt("account created", e))?,
        disabled,
    })
}

/// A `webhook_subscriptions` row: `id, url, events (JSON text), secret,
/// active, created_s`.
pub(crate) type SubscriptionRow = (String, String, String, String, bool, i64);

/// The columns of a [`SubscriptionRow`], in order (PostgreSQL casts `events`).
#[cfg(feature = "sqlite")]
pub(crate) const SUBSCRIPTION_COLUMNS: &str = "id, url, events, secret, active, created_s";

/// A `webhook_subscriptions` row read back.
pub(crate) fn subscription_from_row(
    row: SubscriptionRow,
) -> Result<crate::Subscription, StoreError> {
    let (id, url, events, secret, active, created_s) = row;
    Ok(crate::Subscription {
        id,
        url,
        events: decode("webhook event types", &events)?,
        secret,
        active,
        created: Timestamp::from_unix(created_s)
            .map_err(|e| corrupt("webhook subscription created", e))?,
    })
}

/// A `webhook_deliveries` row, [`DELIVERY_COLUMNS`].
pub(crate) type DeliveryRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// The columns of a [`DeliveryRow`], in order.
pub(crate) const DELIVERY_COLUMNS: &str = "subscription_id, event_id, event_type, aggregate_id, seq, body, status, attempts, next_attempt_ms, last_status, last_error, created_ms";

/// A `webhook_deliveries` row read back.
pub(crate) fn delivery_from_row(row: DeliveryRow) -> Result<crate::Delivery, StoreError> {
    let (
        subscription,
        event_id,
        event_type,
        aggregate,
        seq,
        body,
        status,
        attempts,
        next,
        last_status,
        last_error,
        created_ms,
    ) = row;
    Ok(crate::Delivery {
        subscription,
        event_id,
        event_type,
        aggregate,
        seq,
        body,
        status: crate::DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt("webhook delivery status", &status))?,
        attempts: u32::try_from(attempts).map_err(|e| corrupt("webhook attempts", e))?,
        next_attempt_ms: next,
        last_status: last_status
            .map(u16::try_from)
            .transpose()
            .map_err(|e| corrupt("webhook HTTP status", e))?,
        last_error,
        created_ms,
    })
}

/// A `webhook_attempts` row: `attempt, at_ms, http_status, error, status`.
pub(crate) type AttemptRow = (i64, i64, Option<i64>, Option<String>, String);

/// `webhook_attempts` rows read back.
pub(crate) fn attempts_from_rows(rows: Vec<AttemptRow>) -> Result<Vec<crate::Attempt>, StoreError> {
    rows.into_iter()
        .map(|(attempt, at_ms, http_status, error, status)| {
            Ok(crate::Attempt {
                attempt: u32::try_from(attempt).map_err(|e| corrupt("webhook attempt", e))?,
                at_ms,
                http_status: http_status
                    .map(u16::try_from)
                    .transpose()
                    .map_err(|e| corrupt("webhook HTTP status", e))?,
                error,
                status: crate::DeliveryStatus::parse(&status)
                    .ok_or_else(|| corrupt("webhook attempt status", &status))?,
            })
        })
        .collect()
}

/// A `feed_tokens` row, [`FEED_COLUMNS`].
pub(crate) type FeedRow = (String, String, String, String, String, i64, Option<i64>);

/// The columns of a [`FeedRow`], in order.
pub(crate) const FEED_COLUMNS: &str =
    "id, token_hash, subject, creator, creator_roles, created_s, revoked_s";

/// A `feed_tokens` row read back.
pub(crate) fn feed_from_row(row: FeedRow) -> Result<crate::FeedToken, StoreError> {
    let (id, token_hash, subject, creator, roles, created_s, revoked_s) = row;
    Ok(crate::FeedToken {
        id,
        token_hash,
        subject,
        creator,
        creator_roles: decode("feed creator roles", &roles)?,
        created: Timestamp::from_unix(created_s).map_err(|e| corrupt("feed created", e))?,
        revoked: revoked_s
            .map(Timestamp::from_unix)
            .transpose()
            .map_err(|e| corrupt("feed revoked", e))?,
    })
}

/// A `notifications` row, [`NOTIFICATION_COLUMNS`].
pub(crate) type NotificationRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

/// The columns of a [`NotificationRow`], in order.
pub(crate) const NOTIFICATION_COLUMNS: &str = "id, event_id, event_type, channel, recipient, appointment_id, seq, payload, status, attempts, next_attempt_ms, last_error, created_ms, sent_ms";

/// A `notifications` row read back.
pub(crate) fn notification_from_row(
    row: NotificationRow,
) -> Result<crate::Notification, StoreError> {
    let (
        id,
        event_id,
        event_type,
        channel,
        recipient,
        appointment,
        seq,
        payload,
        status,
        attempts,
        next_attempt_ms,
        last_error,
        created_ms,
        sent_ms,
    ) = row;
    Ok(crate::Notification {
        id,
        event_id,
        event_type,
        channel: crate::parse_channel(&channel)
            .ok_or_else(|| corrupt("notification channel", &channel))?,
        recipient,
        appointment,
        seq,
        payload,
        status: crate::NotificationStatus::parse(&status)
            .ok_or_else(|| corrupt("notification status", &status))?,
        attempts: u32::try_from(attempts).map_err(|e| corrupt("notification attempts", e))?,
        next_attempt_ms,
        last_error,
        created_ms,
        sent_ms,
    })
}
