//! Every advisory lock the adapter takes, in one place.
//!
//! One key space of one-key locks, `hashtext(key)`: a resource's name (a
//! provider, a patient, a room) and `idem:<key>` for an idempotency key.
//! Every writer takes them in one global order (resources sorted and
//! deduplicated, then idempotency keys sorted), in one statement, so our own
//! writers never deadlock on lock order (a hash collision at worst gives a
//! `40P01`, retried). The audit log's lock is a two-key lock
//! (`hashtext('hcas'), hashtext('audit')`), a key space no one-key lock can
//! collide with.

use std::collections::HashSet;

use hcas_core::booking::Booking;
use sqlx::PgConnection;

use crate::change::at_version;
use crate::{StoreError, Stored};

use super::retry::*;
use super::rows::*;

/// The lock key of an idempotency key (a key space apart from resource names).
pub(super) fn idem_lock(key: &str) -> String {
    format!("idem:{key}")
}

/// The one global lock order: `resources` sorted and deduplicated, then the
/// idempotency keys' locks ([`idem_lock`]) sorted and deduplicated. Every
/// writer that locks more than one key builds its list here.
pub(super) fn lock_order<'a>(
    resources: impl IntoIterator<Item = &'a str>,
    idempotency_keys: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut keys: Vec<String> = resources.into_iter().map(str::to_string).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut idem: Vec<String> = idempotency_keys.into_iter().map(idem_lock).collect();
    idem.sort_unstable();
    idem.dedup();
    keys.extend(idem);
    keys
}

/// Take the transaction-scoped advisory locks of `keys` (from
/// [`lock_order`]), waiting for each (at most the session's `lock_timeout`),
/// in array order: one statement (the ordered subquery is not flattened, so
/// the calls run in that order). Nothing to do for no keys.
pub(super) async fn lock(conn: &mut PgConnection, keys: &[String]) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext(s.k))
         FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
    )
    .bind(keys)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Try the transaction-scoped advisory locks of `keys` (from [`lock_order`])
/// in array order, never waiting: one statement. Answers the keys that are
/// held elsewhere (the others are now ours until the transaction ends).
pub(super) async fn try_lock(
    conn: &mut PgConnection,
    keys: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(String, bool)> = sqlx::query_as(
        "SELECT s.k, pg_try_advisory_xact_lock(hashtext(s.k))
         FROM (SELECT u.k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, o) ORDER BY u.o) s",
    )
    .bind(keys)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, got)| (!got).then_some(k))
        .collect())
}

/// Append an audit event (`$1` at_s, `$2` patient, `$3` payload) under the
/// audit log's lock, returning its `seq`: one statement, so the lock is
/// taken before the sequence number is drawn and held until the commit, and
/// numbers become visible in order. The two-key form is a key space of its
/// own: no resource lock (one key) can collide with it.
pub(super) const AUDIT_APPEND: &str =
    "WITH l AS (SELECT pg_advisory_xact_lock(hashtext('hcas'), hashtext('audit')))
     INSERT INTO audit (at_s, patient, payload)
     SELECT $1, $2, $3::jsonb FROM l
     RETURNING seq";

/// [`AUDIT_APPEND`] for many events in one statement: arrays of `at_s`,
/// `patient` and payload text, inserted in array order (`ORDER BY` the
/// ordinality), so the serial `seq` increases in that order.
pub(super) const AUDIT_APPEND_ALL: &str =
    "WITH l AS (SELECT pg_advisory_xact_lock(hashtext('hcas'), hashtext('audit')))
     INSERT INTO audit (at_s, patient, payload)
     SELECT t.at_s, t.patient, t.payload::jsonb
     FROM l, unnest($1::int8[], $2::text[], $3::text[]) WITH ORDINALITY AS t(at_s, patient, payload, n)
     ORDER BY t.n
     RETURNING seq";

/// The booking `id` for a change at `expected` version, read after locking
/// its resources (which never change) and `also` (e.g. a replacement's), all
/// in the one global order.
pub(crate) async fn lock_booking(
    conn: &mut PgConnection,
    id: &str,
    expected: i64,
    also: &[String],
) -> Result<Stored<Booking>, Fail> {
    let peek = load(conn, id).await?.ok_or_else(|| StoreError::NotFound {
        what: "booking",
        id: id.to_string(),
    })?;
    let mut resources = peek.value.resources;
    resources.extend(also.iter().cloned());
    lock_resources(conn, &resources, None).await?;
    Ok(at_version(id, load(conn, id).await?, expected)?)
}

/// Lock `resources` and then `idempotency_key`, in the global order.
pub(super) async fn lock_resources(
    conn: &mut PgConnection,
    resources: &[String],
    idempotency_key: Option<&str>,
) -> Result<(), Fail> {
    let keys = lock_order(resources.iter().map(String::as_str), idempotency_key);
    Ok(lock(conn, &keys).await?)
}
