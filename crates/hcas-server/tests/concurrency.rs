//! 200 concurrent clients booking the same few slots through the API:
//! exactly one winner per slot, every other a 409 whose problem names the
//! winner's booking; on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;

use serde_json::{Value, json};
use support::{Backend, Reply, Server, at, provider};

const CLIENTS: usize = 200;
const SLOTS: usize = 4;

async fn storm(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    let starts: Vec<String> = (0..SLOTS).map(|i| at(3, 9 + i as i64, 0)).collect();
    let base = s.base.clone();
    let mut tasks = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let start = starts[i % SLOTS].clone();
        let url = format!("{base}/v1/appointments");
        // One client (connection pool) per task: 200 independent callers.
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let res = http
                .post(url)
                .bearer_auth(format!("patient:X{i}"))
                .json(&json!({"provider": "P1", "patient": format!("X{i}"), "start": start, "duration": 60}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (start, status, body)
        }));
    }
    let mut by_slot: HashMap<String, Vec<(u16, Value)>> = HashMap::new();
    for t in tasks {
        let (start, status, body) = t.await.unwrap();
        by_slot.entry(start).or_default().push((status, body));
    }
    assert_eq!(by_slot.len(), SLOTS);
    for (start, answers) in &by_slot {
        assert_eq!(answers.len(), CLIENTS / SLOTS);
        let winners: Vec<&Value> = answers
            .iter()
            .filter(|(st, _)| *st == 201)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(winners.len(), 1, "{start}: {} winners", winners.len());
        let winner = winners[0]["id"].as_str().unwrap();
        assert_eq!(winners[0]["start"], start.as_str());
        for (status, body) in answers.iter().filter(|(st, _)| *st != 201) {
            assert_eq!(*status, 409, "{start}: {body}");
            assert_eq!(body["code"], "conflict", "{body}");
            assert_eq!(
                body["conflicts"],
                json!([{"resource": "provider:P1", "with": [winner]}]),
                "{start}: the 409 names the winner"
            );
        }
    }
    // The slots are gone from search, the rest of the day is not.
    let day = format!(
        "/v1/slots?provider=P1&from={}&to={}&duration=60",
        at(3, 0, 0),
        at(4, 0, 0)
    );
    let Reply {
        status, json: body, ..
    } = s.get(&day, "patient:X0").await;
    assert_eq!(status, 200, "{body}");
    let offered: Vec<&str> = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["start"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (SLOTS..8).map(|h| at(3, 9 + h as i64, 0)).collect();
    assert_eq!(offered, expected);
    // /metrics counted exactly the winners as bookings and every loser as a conflict.
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counter = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics"))
    };
    assert_eq!(counter("hcas_bookings_total"), SLOTS as u64);
    assert_eq!(counter("hcas_conflicts_total"), (CLIENTS - SLOTS) as u64);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_per_slot_sqlite() {
    storm(Backend::Sqlite, "storm_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_per_slot_postgres() {
    storm(Backend::Postgres, "storm_postgres").await;
}
