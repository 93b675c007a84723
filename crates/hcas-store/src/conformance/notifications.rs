//! [`NotificationStore`](crate::NotificationStore): the queue's key (event,
//! channel, recipient), leases, order per appointment, attempts, dead
//! letters, resend and the delivery log.

use super::*;
use crate::{Channel, NewNotification, NotificationReport, NotificationStatus, Outcome};

fn new(event: &str, channel: Channel, recipient: &str, appt: &str, seq: i64) -> NewNotification {
    NewNotification {
        event_id: event.to_string(),
        event_type: "appointment.created".to_string(),
        channel,
        recipient: recipient.to_string(),
        appointment: appt.to_string(),
        seq,
        payload: format!("{{\"id\":\"{event}\"}}"),
        due_ms: 0,
        created_ms: 0,
    }
}

fn keys(list: &[crate::Notification]) -> Vec<(String, Channel, String)> {
    list.iter()
        .map(|n| (n.event_id.clone(), n.channel, n.recipient.clone()))
        .collect()
}

fn key(event: &str, channel: Channel, recipient: &str) -> (String, Channel, String) {
    (event.to_string(), channel, recipient.to_string())
}

fn report(at_ms: i64, error: Option<&str>, outcome: Outcome) -> NotificationReport {
    NotificationReport {
        at_ms,
        error: error.map(str::to_string),
        outcome,
    }
}

/// The same (event, channel, recipient) is queued once, within one batch
/// and across batches; another channel or recipient of the same event is
/// its own notification. A claim leases what it returns.
pub async fn suite_notification_queue_dedupes_and_leases(store: &dyn Store) {
    let batch = [
        new("e1", Channel::Email, "p1", "a1", 1),
        new("e1", Channel::Email, "p1", "a1", 1),
        new("e1", Channel::Sms, "p1", "a1", 1),
        new("e1", Channel::Email, "p2", "a1", 1),
    ];
    assert_eq!(store.notification_enqueue(&batch).await.unwrap(), 3);
    assert_eq!(store.notification_enqueue(&batch).await.unwrap(), 0);
    assert_eq!(store.notification_enqueue(&[]).await.unwrap(), 0);
    let mut later = new("e2", Channel::Email, "p3", "a2", 2);
    later.due_ms = 500;
    assert_eq!(store.notification_enqueue(&[later]).await.unwrap(), 1);

    // Due at 10: the three of e1 (e2 is due at 500), leased until 100.
    let claimed = store.notification_claim(10, 100, 10).await.unwrap();
    let mut got = keys(&claimed);
    got.sort_by_key(|(e, c, r)| (e.clone(), crate::channel_str(*c), r.clone()));
    assert_eq!(
        got,
        vec![
            key("e1", Channel::Email, "p1"),
            key("e1", Channel::Email, "p2"),
            key("e1", Channel::Sms, "p1"),
        ]
    );
    assert!(
        claimed
            .iter()
            .all(|n| n.status == NotificationStatus::Pending
                && n.attempts == 0
                && n.appointment == "a1"
                && n.payload == "{\"id\":\"e1\"}")
    );
    let mut ids: Vec<i64> = claimed.iter().map(|n| n.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every notification has its own id");
    // Leased: nothing more before 100; at 100 the leases are due again.
    assert!(
        store
            .notification_claim(99, 200, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.notification_claim(100, 1000, 2).await.unwrap().len(),
        2
    );
    assert_eq!(
        store.notification_claim(100, 1000, 10).await.unwrap().len(),
        1
    );
    // e2 comes at its due time.
    assert_eq!(
        keys(&store.notification_claim(500, 600, 10).await.unwrap()),
        vec![key("e2", Channel::Email, "p3")]
    );
    for limit in [0, crate::MAX_NOTIFICATION_PAGE + 1] {
        assert_eq!(
            code_of(store.notification_claim(0, 1, limit).await),
            ("invalid", Some(ErrorCode::InvalidRequest))
        );
    }
}

/// A later event of an appointment waits for the earlier one on the same
/// channel and recipient; other channels and appointments do not wait.
pub async fn suite_notification_order_per_appointment(store: &dyn Store) {
    store
        .notification_enqueue(&[
            new("e2", Channel::Email, "p1", "a1", 2),
            new("e1", Channel::Email, "p1", "a1", 1),
            new("e2", Channel::Sms, "p1", "a1", 2),
            new("e3", Channel::Email, "p1", "a2", 3),
        ])
        .await
        .unwrap();
    let first = store.notification_claim(0, 1000, 10).await.unwrap();
    assert_eq!(
        keys(&first),
        vec![
            key("e1", Channel::Email, "p1"),
            key("e2", Channel::Sms, "p1"),
            key("e3", Channel::Email, "p1"),
        ]
    );
    // e2 by e-mail is due once e1 is sent (its lease does not hold it back).
    assert!(
        store
            .notification_claim(0, 1000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .notification_record(first[0].id, &report(5, None, Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!(
        keys(&store.notification_claim(5, 1000, 10).await.unwrap()),
        vec![key("e2", Channel::Email, "p1")]
    );
}

/// Attempts count up; a retry is due at its time; the last failure makes
/// it dead; a late report changes nothing; resend queues it again; sent
/// records when. The delivery log of an appointment lists its notifications
/// in event order; the stored error is cut.
pub async fn suite_notification_attempts_dead_and_resend(store: &dyn Store) {
    store
        .notification_enqueue(&[
            new("e1", Channel::Sms, "p1", "a1", 1),
            new("e2", Channel::Email, "p1", "a1", 2),
            new("e9", Channel::Email, "p1", "other", 9),
        ])
        .await
        .unwrap();
    let sms = store.notification_claim(0, 50, 1).await.unwrap().remove(0);
    assert_eq!(sms.event_id, "e1");
    let n = store
        .notification_record(
            sms.id,
            &report(10, Some("http_500"), Outcome::Retry { next_ms: 300 }),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            n.status,
            n.attempts,
            n.next_attempt_ms,
            n.last_error.as_deref(),
            n.sent_ms
        ),
        (NotificationStatus::Pending, 1, 300, Some("http_500"), None)
    );
    assert!(
        store
            .notification_claim(299, 400, 10)
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != sms.id)
    );
    let again = store.notification_claim(300, 400, 10).await.unwrap();
    assert!(again.iter().any(|x| x.id == sms.id && x.attempts == 1));
    let long = "x".repeat(crate::MAX_NOTIFICATION_ERROR + 50);
    let dead = store
        .notification_record(sms.id, &report(310, Some(&long), Outcome::Dead))
        .await
        .unwrap();
    assert_eq!((dead.status, dead.attempts), (NotificationStatus::Dead, 2));
    assert_eq!(
        dead.last_error.as_deref().map(str::len),
        Some(crate::MAX_NOTIFICATION_ERROR)
    );
    // A late report leaves a dead one dead.
    let late = store
        .notification_record(sms.id, &report(320, None, Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!(late, dead);
    assert_eq!(store.notification_get(sms.id).await.unwrap(), dead);
    assert!(
        store
            .notification_claim(10_000, 10_100, 10)
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != sms.id)
    );

    // Resend: pending again, no attempts, due now; then sent.
    let re = store.notification_resend(sms.id, 1_000).await.unwrap();
    assert_eq!(
        (re.status, re.attempts, re.next_attempt_ms),
        (NotificationStatus::Pending, 0, 1_000)
    );
    let claimed = store.notification_claim(1_000, 1_100, 10).await.unwrap();
    assert!(claimed.iter().any(|x| x.id == sms.id));
    let sent = store
        .notification_record(sms.id, &report(1_010, None, Outcome::Delivered))
        .await
        .unwrap();
    assert_eq!(
        (
            sent.status,
            sent.attempts,
            sent.sent_ms,
            sent.last_error.clone()
        ),
        (NotificationStatus::Sent, 1, Some(1_010), None)
    );

    // The delivery log of a1: its two notifications in event order.
    let log = store.notifications_of("a1", 10).await.unwrap();
    assert_eq!(
        keys(&log),
        vec![
            key("e1", Channel::Sms, "p1"),
            key("e2", Channel::Email, "p1")
        ]
    );
    assert_eq!(log[0], sent);
    assert_eq!(store.notifications_of("a1", 1).await.unwrap().len(), 1);
    assert!(store.notifications_of("none", 10).await.unwrap().is_empty());
    assert_eq!(
        code_of(store.notifications_of("a1", 0).await),
        ("invalid", Some(ErrorCode::InvalidRequest))
    );
    for missing in [0, -1, 999_999] {
        assert!(matches!(
            store.notification_get(missing).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.notification_resend(missing, 0).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .notification_record(missing, &report(0, None, Outcome::Delivered))
                .await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

/// Withdrawing an appointment's pending notifications of one type (its
/// reminders, when it is cancelled or moved) makes exactly those dead with
/// the reason: not another type, not another appointment, not one already
/// sent; a withdrawn one is no longer claimed, and withdrawing again
/// changes nothing.
pub async fn suite_notification_withdraw(store: &dyn Store) {
    let reminder = |event: &str, appt: &str, seq: i64| NewNotification {
        event_type: "appointment.reminder".to_string(),
        due_ms: 5_000,
        created_ms: 1_000,
        ..new(event, Channel::Email, "p1", appt, seq)
    };
    store
        .notification_enqueue(&[
            new("w-created", Channel::Email, "p1", "wa", 1),
            reminder("w-r1", "wa", 100),
            reminder("w-r2", "wa", 101),
            reminder("w-sent", "wa", 99),
            reminder("w-other", "wb", 100),
        ])
        .await
        .unwrap();
    let log = store.notifications_of("wa", 10).await.unwrap();
    // A reminder is due at its instant, created when it was enqueued.
    let r1 = log.iter().find(|n| n.event_id == "w-r1").unwrap();
    assert_eq!((r1.next_attempt_ms, r1.created_ms), (5_000, 1_000));
    let id_of = |event: &str| log.iter().find(|n| n.event_id == event).unwrap().id;
    // The event, then one reminder are sent (each claimed when due, in
    // sequence order, delivered).
    for (now, event) in [(5_000, "w-created"), (5_001, "w-sent")] {
        let claimed = store.notification_claim(now, 5_100, 10).await.unwrap();
        let n = claimed.iter().find(|n| n.event_id == event).unwrap();
        store
            .notification_record(n.id, &report(now + 10, None, Outcome::Delivered))
            .await
            .unwrap();
    }
    let sent = store.notification_get(id_of("w-sent")).await.unwrap();
    assert_eq!(sent.status, NotificationStatus::Sent);

    let long = "y".repeat(crate::MAX_NOTIFICATION_ERROR + 9);
    assert_eq!(
        store
            .notification_withdraw("wa", "appointment.reminder", &long)
            .await
            .unwrap(),
        2
    );
    for event in ["w-r1", "w-r2"] {
        let n = store.notification_get(id_of(event)).await.unwrap();
        assert_eq!(n.status, NotificationStatus::Dead, "{event}");
        assert_eq!(
            n.last_error.as_deref().map(str::len),
            Some(crate::MAX_NOTIFICATION_ERROR)
        );
    }
    assert_eq!(store.notification_get(id_of("w-sent")).await.unwrap(), sent);
    assert_eq!(
        store
            .notification_get(id_of("w-created"))
            .await
            .unwrap()
            .status,
        NotificationStatus::Sent
    );
    // wb's reminder is untouched and still claimed; wa's are not.
    let later = store.notification_claim(99_000, 99_100, 10).await.unwrap();
    assert!(later.iter().any(|n| n.event_id == "w-other"));
    assert!(later.iter().all(|n| n.appointment != "wa"));
    assert_eq!(
        store
            .notification_withdraw("wa", "appointment.reminder", "again")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .notification_withdraw("none", "appointment.reminder", "x")
            .await
            .unwrap(),
        0
    );
}
