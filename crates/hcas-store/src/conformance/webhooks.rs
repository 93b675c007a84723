//! [`WebhookStore`]: subscriptions, the queue's dedupe, order per aggregate,
//! leases, attempts, dead letters and replay.

use super::*;
use crate::{AttemptReport, DeliveryStatus, NewDelivery, Outcome, Subscription};

fn sub(id: &str, events: &[&str]) -> Subscription {
    Subscription {
        id: id.to_string(),
        url: format!("https://hooks.example/{id}"),
        events: events.iter().map(|e| (*e).to_string()).collect(),
        secret: format!("whsec-{id}"),
        active: true,
        created: at(0),
    }
}

fn new(subscription: &str, event: &str, aggregate: &str, seq: i64, due_ms: i64) -> NewDelivery {
    NewDelivery {
        subscription: subscription.to_string(),
        event_id: event.to_string(),
        event_type: "appointment.created".to_string(),
        aggregate: aggregate.to_string(),
        seq,
        body: format!("{{\"id\":\"{event}\"}}"),
        due_ms,
    }
}

fn report(at_ms: i64, http_status: Option<u16>, outcome: Outcome) -> AttemptReport {
    AttemptReport {
        at_ms,
        http_status,
        error: http_status.is_none().then(|| "timeout".to_string()),
        outcome,
    }
}

fn ids(list: &[crate::Delivery]) -> Vec<&str> {
    list.iter().map(|d| d.event_id.as_str()).collect()
}

/// Create, get (with the secret), list in creation order, refuse a taken id
/// and invalid fields, delete (with the deliveries).
pub async fn suite_webhook_subscriptions(store: &dyn Store) {
    let mut b = sub("s-b", &["appointment.created"]);
    b.created = at(1);
    store.webhook_create(b.clone()).await.unwrap();
    let a = sub("s-a", &["*"]);
    assert_eq!(store.webhook_create(a.clone()).await.unwrap(), a);
    assert_eq!(store.webhook_get("s-b").await.unwrap(), b);
    assert_eq!(
        store.webhook_list().await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert!(matches!(
        store.webhook_create(a.clone()).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    for bad in [
        Subscription {
            url: "ftp://x.example/".into(),
            ..sub("s-c", &["*"])
        },
        Subscription {
            url: "https://".into(),
            ..sub("s-c", &["*"])
        },
        Subscription {
            events: vec![],
            ..sub("s-c", &["*"])
        },
        Subscription {
            events: vec!["Appointment!".into()],
            ..sub("s-c", &["*"])
        },
        Subscription {
            secret: String::new(),
            ..sub("s-c", &["*"])
        },
        Subscription {
            id: "bad id".into(),
            ..sub("s-c", &["*"])
        },
    ] {
        assert_eq!(
            code_of(store.webhook_create(bad).await),
            ("invalid", Some(ErrorCode::InvalidRequest))
        );
    }
    assert_eq!(store.webhook_list().await.unwrap().len(), 2);
    assert!(a.wants("appointment.cancelled") && b.wants("appointment.created"));
    assert!(!b.wants("appointment.cancelled"));

    store
        .webhook_enqueue(&[new("s-b", "e1", "a1", 1, 0)])
        .await
        .unwrap();
    store.webhook_delete("s-b").await.unwrap();
    assert!(matches!(
        store.webhook_get("s-b").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.webhook_delete("s-b").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.webhook_deliveries("s-b", None, 10).await,
        Err(StoreError::NotFound { .. })
    ));
    // Nothing of the deleted subscription is claimed or re-created.
    assert_eq!(
        store
            .webhook_enqueue(&[new("s-b", "e1", "a1", 1, 0)])
            .await
            .unwrap(),
        0
    );
    assert!(store.webhook_claim(10, 100, 10).await.unwrap().is_empty());
    assert_eq!(store.webhook_list().await.unwrap(), vec![a]);
}

/// Enqueuing the same event twice adds it once; a claim leases what it
/// returns until `lease_until`; an inactive subscription gets nothing claimed.
pub async fn suite_webhook_queue_dedupes_and_leases(store: &dyn Store) {
    store.webhook_create(sub("s1", &["*"])).await.unwrap();
    let mut off = sub("s2", &["*"]);
    off.active = false;
    store.webhook_create(off).await.unwrap();
    let batch = [new("s1", "e1", "a1", 1, 100), new("s2", "e1", "a1", 1, 100)];
    assert_eq!(store.webhook_enqueue(&batch).await.unwrap(), 2);
    assert_eq!(store.webhook_enqueue(&batch).await.unwrap(), 0);
    assert_eq!(store.webhook_enqueue(&[]).await.unwrap(), 0);
    // Not due yet.
    assert!(store.webhook_claim(99, 1000, 10).await.unwrap().is_empty());
    let got = store.webhook_claim(100, 1000, 10).await.unwrap();
    assert_eq!(ids(&got), ["e1"]);
    let d = &got[0];
    assert_eq!(
        (d.subscription.as_str(), d.aggregate.as_str(), d.seq),
        ("s1", "a1", 1)
    );
    assert_eq!(
        (d.status, d.attempts, d.body.as_str()),
        (DeliveryStatus::Pending, 0, "{\"id\":\"e1\"}")
    );
    // Leased: not claimed again before the lease ends, claimed after it.
    assert!(store.webhook_claim(999, 2000, 10).await.unwrap().is_empty());
    assert_eq!(
        ids(&store.webhook_claim(1000, 2000, 10).await.unwrap()),
        ["e1"]
    );
    assert_eq!(
        code_of(store.webhook_claim(1000, 2000, 0).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    assert_eq!(
        store
            .webhook_deliveries("s2", None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Event k+1 of an aggregate is not claimed while event k is pending (even
/// retrying); once k is delivered or dead it is. Other aggregates and other
/// subscriptions are not held up.
pub async fn suite_webhook_order_per_aggregate(store: &dyn Store) {
    store.webhook_create(sub("s1", &["*"])).await.unwrap();
    store.webhook_create(sub("s2", &["*"])).await.unwrap();
    // Enqueued out of order on purpose: the sequence decides.
    store
        .webhook_enqueue(&[
            new("s1", "a1-2", "a1", 20, 0),
            new("s1", "a1-1", "a1", 10, 0),
            new("s1", "a1-3", "a1", 30, 0),
            new("s1", "a2-1", "a2", 15, 0),
            new("s2", "a1-1", "a1", 10, 0),
        ])
        .await
        .unwrap();
    let mut got = store.webhook_claim(0, 50, 100).await.unwrap();
    got.sort_by(|x, y| (&x.subscription, x.seq).cmp(&(&y.subscription, y.seq)));
    let pairs: Vec<(&str, &str)> = got
        .iter()
        .map(|d| (d.subscription.as_str(), d.event_id.as_str()))
        .collect();
    assert_eq!(pairs, [("s1", "a1-1"), ("s1", "a2-1"), ("s2", "a1-1")]);
    for (s, e) in [("s1", "a2-1"), ("s2", "a1-1")] {
        store
            .webhook_record(s, e, &report(1, Some(200), Outcome::Delivered))
            .await
            .unwrap();
    }
    // a1-1 fails and is retried later: a1-2 still waits.
    let d = store
        .webhook_record(
            "s1",
            "a1-1",
            &report(1, Some(500), Outcome::Retry { next_ms: 60 }),
        )
        .await
        .unwrap();
    assert_eq!(
        (d.status, d.attempts, d.next_attempt_ms, d.last_status),
        (DeliveryStatus::Pending, 1, 60, Some(500))
    );
    assert!(store.webhook_claim(59, 100, 100).await.unwrap().is_empty());
    assert_eq!(
        ids(&store.webhook_claim(60, 100, 100).await.unwrap()),
        ["a1-1"]
    );
    store
        .webhook_record("s1", "a1-1", &report(61, Some(204), Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!(
        ids(&store.webhook_claim(61, 200, 100).await.unwrap()),
        ["a1-2"]
    );
    // A dead event lets the next one go too.
    let d = store
        .webhook_record("s1", "a1-2", &report(62, None, Outcome::Dead))
        .await
        .unwrap();
    assert_eq!(
        (d.status, d.last_error.as_deref()),
        (DeliveryStatus::Dead, Some("timeout"))
    );
    assert_eq!(
        ids(&store.webhook_claim(62, 200, 100).await.unwrap()),
        ["a1-3"]
    );
}

/// Every attempt is logged; a report on a delivery no longer pending changes
/// nothing; deliveries list newest first and by status; replay re-queues the
/// dead ones only.
pub async fn suite_webhook_attempts_dead_letter_and_replay(store: &dyn Store) {
    store.webhook_create(sub("s1", &["*"])).await.unwrap();
    store
        .webhook_enqueue(&[new("s1", "e1", "a1", 1, 0), new("s1", "e2", "a2", 2, 5)])
        .await
        .unwrap();
    store.webhook_claim(0, 10, 10).await.unwrap();
    store
        .webhook_record(
            "s1",
            "e1",
            &report(1, Some(503), Outcome::Retry { next_ms: 2 }),
        )
        .await
        .unwrap();
    store
        .webhook_record("s1", "e1", &report(2, None, Outcome::Retry { next_ms: 3 }))
        .await
        .unwrap();
    let dead = store
        .webhook_record("s1", "e1", &report(3, Some(410), Outcome::Dead))
        .await
        .unwrap();
    assert_eq!(
        (dead.status, dead.attempts, dead.last_status),
        (DeliveryStatus::Dead, 3, Some(410))
    );
    // A late report changes nothing.
    let same = store
        .webhook_record("s1", "e1", &report(4, Some(200), Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!(same, dead);
    let (again, log) = store.webhook_delivery("s1", "e1").await.unwrap();
    assert_eq!(again, dead);
    let seen: Vec<(u32, i64, Option<u16>, DeliveryStatus)> = log
        .iter()
        .map(|a| (a.attempt, a.at_ms, a.http_status, a.status))
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, Some(503), DeliveryStatus::Pending),
            (2, 2, None, DeliveryStatus::Pending),
            (3, 3, Some(410), DeliveryStatus::Dead)
        ]
    );
    assert_eq!(log[1].error.as_deref(), Some("timeout"));
    assert!(matches!(
        store.webhook_delivery("s1", "nope").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .webhook_record("s1", "nope", &report(1, Some(200), Outcome::Delivered))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        ids(&store.webhook_deliveries("s1", None, 10).await.unwrap()),
        ["e2", "e1"]
    );
    assert_eq!(
        ids(&store.webhook_deliveries("s1", None, 1).await.unwrap()),
        ["e2"]
    );
    assert_eq!(
        ids(&store
            .webhook_deliveries("s1", Some(DeliveryStatus::Dead), 10)
            .await
            .unwrap()),
        ["e1"]
    );
    // Replay: e1 only (e2 is pending), due now, attempts from 0, log kept.
    assert_eq!(store.webhook_replay("s1", 100).await.unwrap(), 1);
    assert_eq!(store.webhook_replay("s1", 100).await.unwrap(), 0);
    assert!(matches!(
        store.webhook_replay("nope", 100).await,
        Err(StoreError::NotFound { .. })
    ));
    let e1 = &store
        .webhook_deliveries("s1", Some(DeliveryStatus::Pending), 10)
        .await
        .unwrap();
    assert_eq!(ids(e1), ["e2", "e1"]);
    assert_eq!((e1[1].attempts, e1[1].next_attempt_ms), (0, 100));
    let mut got = store.webhook_claim(100, 200, 10).await.unwrap();
    got.sort_by_key(|d| d.seq);
    assert_eq!(ids(&got), ["e1", "e2"]);
    let d = store
        .webhook_record("s1", "e1", &report(101, Some(200), Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 1));
    assert_eq!(store.webhook_delivery("s1", "e1").await.unwrap().1.len(), 4);
}
