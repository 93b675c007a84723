//! The built binary, SIGKILLed while a burst of notifications is being
//! sent, then started again on the same data directory: every booking that
//! was answered 201 (committed) is told to its patient (the development
//! sink, `notifications.jsonl`), by exactly one notification; a message
//! repeated because the kill fell between the channel taking it and the
//! queue recording it carries the same notification id (`ntf_<id>`, the
//! e-mail `Message-ID` and the SMS `reference` are built the same way), so a
//! receiver that drops repeats sees each once. The guarantee is in
//! docs/notifications.md (Guarantees).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// Fast notification settings and no reminders for the demo binary
/// (patients `pat-alice` and `pat-bob` choose e-mail; no SMTP: the
/// development sink). A send cut off by the kill is tried again after
/// 2 × 1 s + 5 s.
const FAST_NOTIFICATIONS: [(&str, &str); 4] = [
    ("HCAS_NOTIFY_BACKOFF_MS", "50"),
    ("HCAS_NOTIFY_TIMEOUT_MS", "1000"),
    ("HCAS_NOTIFY_MAX_ATTEMPTS", "100"),
    ("HCAS_REMINDER_LEADS", ""),
];

/// The sink's complete lines (one being written as we read is left for
/// the next read; every complete line must parse).
fn sink(data: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(data.join(hcas_server::notifications::SINK_FILE))
        .unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The appointment a sink line is about: the end of its link.
fn appointment_of(line: &Value) -> String {
    let text = line["text"].as_str().unwrap();
    let at = text.rfind("/appointments/").unwrap();
    text[at + "/appointments/".len()..].trim().to_string()
}

#[tokio::test]
async fn killed_mid_burst_sends_every_notification_once_sqlite() {
    killed_mid_burst(None).await;
}

#[tokio::test]
async fn killed_mid_burst_sends_every_notification_once_postgres() {
    let Some(db) = support::fresh_db("notify_kill").await else {
        return;
    };
    killed_mid_burst(Some(&db.url)).await;
}

/// Book a burst of 30 through the API with four clients; SIGKILL the server
/// as soon as the sink shows sending under way (5 lines), start it again.
async fn killed_mid_burst(database_url: Option<&str>) {
    const BURST: usize = 30;
    const KILL_AT: usize = 5;
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = support::demo_spawn(data.path(), database_url, &FAST_NOTIFICATIONS);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"org": "demo", "username": "frontdesk", "password": "demo-frontdesk"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();

    let committed = Arc::new(Mutex::new(Vec::<String>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (committed, next) = (Arc::clone(&committed), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= BURST {
                    return;
                }
                let providers = ["dr-lee", "dr-okafor", "dr-santos"];
                let patients = ["pat-alice", "pat-bob"];
                let sent = client
                    .post(format!("{base}/v1/appointments"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"provider": providers[n % 3], "patient": patients[n % 2],
                                  "start": support::demo_start(n), "duration": 30}),
                    )
                    .send()
                    .await;
                let Ok(res) = sent else { return };
                assert!(
                    res.status() == 201 || res.status().is_server_error(),
                    "{}",
                    res.status()
                );
                if res.status() != 201 {
                    continue;
                }
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                committed
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_string());
            }
        }));
    }
    let started = std::time::Instant::now();
    while sink(data.path()).len() < KILL_AT {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no notification was sent within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = sink(data.path()).len();
    for t in tasks {
        t.await.unwrap();
    }
    let committed: Vec<String> = committed.lock().unwrap().clone();
    assert!(committed.len() >= KILL_AT, "{committed:?}");

    let (mut child, _) = support::demo_spawn(data.path(), database_url, &FAST_NOTIFICATIONS);
    let want: HashSet<String> = committed.iter().cloned().collect();
    let started = std::time::Instant::now();
    let lines = loop {
        let lines = sink(data.path());
        let seen: HashSet<String> = lines.iter().map(appointment_of).collect();
        if want.is_subset(&seen) {
            break lines;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "after the restart, not every committed booking was told within 120 s: \
             missing {:?}",
            want.difference(&seen).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();

    // Per appointment: one notification (one id), of the booking, to its patient.
    let mut ids_by_appointment: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut copies: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for l in &lines {
        assert_eq!(l["type"], "appointment.created", "{l:#}");
        assert_eq!(l["channel"], "email", "{l:#}");
        ids_by_appointment
            .entry(appointment_of(l))
            .or_default()
            .insert(l["id"].as_str().unwrap().to_string());
        copies
            .entry(l["id"].as_str().unwrap().to_string())
            .or_default()
            .push(l);
    }
    assert!(
        ids_by_appointment.values().all(|ids| ids.len() == 1),
        "an appointment told twice under different ids: {ids_by_appointment:?}"
    );
    // A repeat is the same message: same event, recipient, address and text.
    for (id, c) in &copies {
        assert!(c.iter().all(|l| *l == c[0]), "{id}: {c:#?}");
    }
    let repeats = lines.len() - copies.len();
    // Only a send in flight at the kill can repeat: at most the lines the
    // sink held then (each repeat was first written before the kill).
    assert!(
        repeats <= at_kill,
        "{repeats} repeats, {at_kill} lines at the kill"
    );
    println!(
        "burst of {BURST}: {} committed, {at_kill} sink lines at SIGKILL, {} lines after the \
         restart, {} notifications, {repeats} repeated (same id)",
        committed.len(),
        lines.len(),
        copies.len()
    );
}
