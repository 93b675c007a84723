//! The tamper-evident audit log: every audit record the server writes goes
//! through [`append`], which links it into a SHA-256 hash chain per
//! organization, and [`verify`] walks the chain and names the first record
//! that does not fit.
//!
//! # The chain
//!
//! Each record's `detail` carries two members next to what the caller put
//! there: `prev`, the `hash` of the record before it (64 zeros for the first
//! record), and `hash`:
//!
//! ```text
//! hash = hex(SHA-256(prev || canonical JSON of the event without detail.hash))
//! ```
//!
//! where `prev` is the 64 hex characters as ASCII bytes and the canonical
//! JSON is the event ([`hcas_store::AuditEvent`]: `at`, `actor`, `action`,
//! `target`, `patient`, `purpose`, `outcome`, `detail`) with every object's
//! keys sorted and no whitespace. Editing a record changes its hash; deleting
//! or reordering records breaks the `prev` link of the record after the gap.
//! Deleting records at the *end* of the log leaves a shorter chain that is
//! still linked: it is caught against a head noted earlier (the server
//! compares with the head it appended last; operators keep the `head` that
//! `verify` prints, e.g. in a ticket or another system, and pass it back).
//!
//! # One writer per organization
//!
//! Appends to one organization's log are serialized by one writer per store
//! in this process, so the chain is linear. Records that arrive while a
//! write is under way wait in a queue; the next writer links all of them
//! (up to 256) and writes them in one transaction (group commit), so a busy
//! server pays one commit for many records, not one each. Before each batch
//! the writer asks the store for any record after the head it knows (one
//! indexed query), so a record that reached the database although its
//! append reported an error is linked, not forked. Several server processes writing one
//! organization's log would fork the chain (each has its own mutex): run one
//! writer per organization (the embedded deployment does).
//!
//! # Fail closed
//!
//! [`append`] answers 503 `unavailable` when the record cannot be written;
//! callers ([`crate::access::authorize`]) then refuse the access.

use std::sync::{Arc, LazyLock, Weak};

use hcas_store::{AuditEvent, AuditRecord, Store};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};

/// The `prev` of the first record: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Records read per page when walking the log.
const PAGE: usize = 500;

/// The last record of a chain as this process knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    seq: i64,
    hash: String,
}

/// One organization's chain in this process: the writer (held while one
/// batch is linked and written; it keeps the head as last written) and the
/// records waiting for the next batch, each with where its answer goes.
#[derive(Default)]
struct Chain {
    writer: tokio::sync::Mutex<Option<Head>>,
    queue: std::sync::Mutex<Vec<Waiting>>,
}

struct Waiting {
    event: AuditEvent,
    answer: tokio::sync::oneshot::Sender<Result<i64, ()>>,
}

/// The most records one batch writes (one transaction).
const MAX_BATCH: usize = 256;

/// One chain per open store. Keyed by the store's address and checked
/// through a weak reference, so a store dropped and another opened at the
/// same address does not inherit the old head.
type Chains = std::sync::Mutex<Vec<(Weak<dyn Store>, Arc<Chain>)>>;

static CHAINS: LazyLock<Chains> = LazyLock::new(|| std::sync::Mutex::new(Vec::new()));

fn chain_of(store: &Arc<dyn Store>) -> Arc<Chain> {
    let mut all = CHAINS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.retain(|(w, _)| w.strong_count() > 0);
    let me = Arc::as_ptr(store).cast::<()>();
    if let Some((_, chain)) = all.iter().find(|(w, _)| w.as_ptr().cast::<()>() == me) {
        return Arc::clone(chain);
    }
    let chain = Arc::new(Chain::default());
    all.push((Arc::downgrade(store), Arc::clone(&chain)));
    chain
}

/// `value` as canonical JSON: object keys sorted (by their UTF-8 bytes), no
/// whitespace, strings and numbers as `serde_json` writes them.
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The chain hash of `event` after `prev`: SHA-256 over `prev`'s ASCII hex
/// and the canonical JSON of the event without `detail.hash`, as lowercase hex.
#[must_use]
pub fn chain_hash(prev: &str, event: &AuditEvent) -> String {
    let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(d) = v.get_mut("detail").and_then(Value::as_object_mut) {
        d.remove("hash");
    }
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical_json(&v).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn stored(record: &AuditRecord, member: &str) -> Option<String> {
    record
        .event
        .detail
        .get(member)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Append `event` to its store's chain (sets `detail.prev` and
/// `detail.hash`; a non-object `detail` is kept under `detail.value`).
/// Returns the record's sequence number.
///
/// # Errors
/// 503 `unavailable` when the log cannot be read or written: the caller
/// must then refuse whatever the record was for.
pub async fn append(store: &Arc<dyn Store>, event: AuditEvent) -> Result<i64, ApiError> {
    let chain = chain_of(store);
    let (answer, mut answered) = tokio::sync::oneshot::channel();
    chain
        .queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Waiting { event, answer });
    loop {
        let mut head = chain.writer.lock().await;
        // The writer before us may have taken this record into its batch.
        if let Some(result) = answer_of(&mut answered) {
            return result;
        }
        let batch: Vec<Waiting> = {
            let mut queue = chain
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = queue.len().min(MAX_BATCH);
            queue.drain(..n).collect()
        };
        write_batch(store, &mut head, batch).await;
        drop(head);
        // None: behind a full batch, so take the writer again.
        if let Some(result) = answer_of(&mut answered) {
            return result;
        }
    }
}

/// The answer to a queued record, once a writer has given it.
fn answer_of(
    answered: &mut tokio::sync::oneshot::Receiver<Result<i64, ()>>,
) -> Option<Result<i64, ApiError>> {
    use tokio::sync::oneshot::error::TryRecvError;
    match answered.try_recv() {
        Ok(result) => Some(result.map_err(|()| not_written())),
        Err(TryRecvError::Closed) => Some(Err(not_written())),
        Err(TryRecvError::Empty) => None,
    }
}

/// The head of the stored chain, from `known` on: records this process did
/// not see land (a write that reported an error but committed, or the first
/// append after start) are read and linked.
async fn catch_up(store: &Arc<dyn Store>, known: Option<Head>) -> Result<Head, ApiError> {
    let mut head = known.unwrap_or(Head {
        seq: 0,
        hash: GENESIS.to_string(),
    });
    loop {
        let page = store.audit_after(head.seq, PAGE).await.map_err(refused)?;
        for r in &page {
            head = Head {
                seq: r.seq,
                hash: stored(r, "hash").unwrap_or_else(|| chain_hash(&head.hash, &r.event)),
            };
        }
        if page.len() < PAGE {
            return Ok(head);
        }
    }
}

/// Set `detail.prev` and `detail.hash` of `event` after `prev`; returns the hash.
fn link(event: &mut AuditEvent, prev: &str) -> String {
    let mut detail = match std::mem::take(&mut event.detail) {
        Value::Object(m) => m,
        Value::Null => serde_json::Map::new(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other);
            m
        }
    };
    detail.remove("hash");
    detail.insert("prev".into(), Value::String(prev.to_string()));
    event.detail = Value::Object(detail);
    let hash = chain_hash(prev, event);
    if let Some(d) = event.detail.as_object_mut() {
        d.insert("hash".into(), Value::String(hash.clone()));
    }
    hash
}

/// Link `batch` after the stored head and write it in one transaction
/// (group commit: one commit for every record that waited meanwhile), then
/// answer each waiting record. A batch the store refuses as invalid is
/// written again one record at a time, so one bad record refuses only its
/// own access, never its neighbours'.
async fn write_batch(store: &Arc<dyn Store>, known: &mut Option<Head>, batch: Vec<Waiting>) {
    if batch.is_empty() {
        return;
    }
    let head = match catch_up(store, known.clone()).await {
        Ok(h) => h,
        Err(_) => {
            for w in batch {
                let _ = w.answer.send(Err(()));
            }
            return;
        }
    };
    *known = Some(head.clone());
    let (mut events, mut answers) = (Vec::with_capacity(batch.len()), Vec::new());
    let mut prev = head.hash;
    for Waiting { mut event, answer } in batch {
        prev = link(&mut event, &prev);
        events.push(event);
        answers.push(answer);
    }
    match store.audit_append_all(&events).await {
        Ok(seqs) if seqs.len() == answers.len() => {
            if let Some(&last) = seqs.last() {
                *known = Some(Head {
                    seq: last,
                    hash: prev,
                });
            }
            for (answer, seq) in answers.into_iter().zip(seqs) {
                let _ = answer.send(Ok(seq));
            }
        }
        Err(hcas_store::StoreError::Invalid(_)) if answers.len() > 1 => {
            // Relink one by one from the stored head: the refused record
            // must not stay in anyone's `prev`.
            for (mut event, answer) in events.into_iter().zip(answers) {
                let result = match catch_up(store, known.clone()).await {
                    Ok(head) => {
                        let hash = link(&mut event, &head.hash);
                        match store.audit_append(event).await {
                            Ok(seq) => {
                                *known = Some(Head { seq, hash });
                                Ok(seq)
                            }
                            Err(e) => {
                                let _ = refused(e);
                                *known = Some(head);
                                Err(())
                            }
                        }
                    }
                    Err(_) => Err(()),
                };
                let _ = answer.send(result);
            }
        }
        other => {
            if let Err(e) = other {
                let _ = refused(e);
            } else {
                tracing::error!("audit store answered a batch with a wrong count; access refused");
            }
            for answer in answers {
                let _ = answer.send(Err(()));
            }
        }
    }
}

/// The answer to an access whose record was not written (the writer logged why).
fn not_written() -> ApiError {
    ApiError::unavailable("the audit log cannot be written; access refused (retry later)")
}

fn refused(e: hcas_store::StoreError) -> ApiError {
    tracing::error!(
        code = e.code(),
        "audit log not readable or writable; access refused"
    );
    not_written()
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Break {
    /// The sequence number of the first record that does not fit.
    pub seq: i64,
    /// Why: `prev` does not link to the record before it (a record before
    /// it was deleted, inserted or moved), or `hash` does not match its
    /// content (it was edited), or a chain member is missing.
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verification {
    /// Whether the whole chain holds.
    pub ok: bool,
    /// Records read.
    pub records: u64,
    /// The sequence number of the last record (0: none).
    pub last_seq: i64,
    /// The hash of the last record (64 zeros: none): note it, and compare
    /// later to catch records deleted at the end.
    pub head: String,
    /// The first break, when `ok` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_break: Option<Break>,
}

/// Walk the whole log of `store` in sequence order and recompute the chain.
///
/// # Errors
/// 503 `unavailable` when the log cannot be read.
pub async fn verify(store: &Arc<dyn Store>) -> Result<Verification, ApiError> {
    let mut prev = GENESIS.to_string();
    let mut last_seq = 0;
    let mut records = 0u64;
    let mut first_break = None;
    'walk: loop {
        let page = store.audit_after(last_seq, PAGE).await.map_err(|e| {
            tracing::error!(code = e.code(), "audit log not readable");
            ApiError::unavailable("the audit log cannot be read; retry later")
        })?;
        for r in &page {
            records += 1;
            last_seq = r.seq;
            let reason = match (stored(r, "prev"), stored(r, "hash")) {
                (Some(p), _) if p != prev => Some(
                    "`prev` does not link to the record before it: a record was deleted, \
                     inserted or moved",
                ),
                (Some(_), Some(h)) if h != chain_hash(&prev, &r.event) => {
                    Some("`hash` does not match the record's content: it was edited")
                }
                (Some(_), Some(h)) => {
                    prev = h;
                    None
                }
                _ => Some("the record has no `prev` or `hash`: it was not chained"),
            };
            if let Some(reason) = reason {
                first_break = Some(Break {
                    seq: r.seq,
                    reason: reason.to_string(),
                });
                break 'walk;
            }
        }
        if page.len() < PAGE {
            break;
        }
    }
    Ok(Verification {
        ok: first_break.is_none(),
        records,
        last_seq,
        head: prev,
        first_break,
    })
}

/// [`verify`], also comparing with the last record this process appended
/// (records deleted at the end of the log leave a linked but shorter chain).
///
/// # Errors
/// As [`verify`].
pub async fn verify_live(store: &Arc<dyn Store>) -> Result<Verification, ApiError> {
    let known = chain_of(store).writer.lock().await.clone();
    let mut v = verify(store).await?;
    if let Some(k) = known
        && v.ok
        && (k.seq > v.last_seq || (k.seq == v.last_seq && k.hash != v.head))
    {
        v.ok = false;
        v.first_break = Some(Break {
            seq: k.seq,
            reason: format!(
                "the log ends at seq {} but this server appended seq {}: records at the end \
                 were deleted or replaced",
                v.last_seq, k.seq
            ),
        });
    }
    Ok(v)
}

/// The audit log's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_route))
}

/// Verify the organization's audit chain (admin staff only). The answer is
/// 200 either way; `ok` says whether it holds and `first_break` where not.
#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    responses(
        (status = 200, description = "The verification", body = Verification),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not admin staff", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The log cannot be read", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify_route(
    axum::extract::State(state): axum::extract::State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Verification>, ApiError> {
    if !principal.has(hcas_core::consent::Role::Admin) {
        return Err(ApiError::forbidden(
            "verifying the audit log is for admin staff",
        ));
    }
    let store = state.tenants.store(&principal.org).await?;
    Ok(axum::Json(verify_live(&store).await?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use hcas_core::Timestamp;
    use hcas_store::memory::MemoryStore;

    fn event(actor: &str) -> AuditEvent {
        AuditEvent {
            at: Timestamp::from_unix(1_800_000_000).unwrap(),
            actor: actor.to_string(),
            action: "patient.read".into(),
            target: "patient:P1".into(),
            patient: Some("P1".into()),
            purpose: Some("treatment".into()),
            outcome: "permit".into(),
            detail: Value::Null,
        }
    }

    /// Records that queue while the writer is busy go out as one batch; a
    /// bad one in it (an empty actor: the store refuses it) refuses only
    /// its own append, and the chain stays whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_with_one_bad_record_refuses_only_that_one() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        append(&store, event("first")).await.unwrap();
        let chain = chain_of(&store);
        let busy = chain.writer.lock().await;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let store = Arc::clone(&store);
            let actor = if i == 4 {
                String::new()
            } else {
                format!("dr{i}")
            };
            tasks.push(tokio::spawn(
                async move { append(&store, event(&actor)).await },
            ));
        }
        while chain.queue.lock().unwrap().len() < 10 {
            tokio::task::yield_now().await;
        }
        drop(busy);
        let mut ok = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!((i, e.code()), (4, "unavailable")),
            }
        }
        assert_eq!(ok, 9);
        let v = verify(&store).await.unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.records, 10);
    }
}
