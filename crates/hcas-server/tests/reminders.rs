//! Reminders through the server: booking queues one reminder per lead and
//! channel at the instant `hcas_core::reminder::schedule` gives in the
//! patient's zone (the provider's when the patient has none); the delivery
//! log shows each with its due time, lead and adjustment; across a DST
//! change a day lead keeps the local wall time (23 elapsed hours) and a
//! minute lead is elapsed time; a reminder in quiet hours is moved out of
//! them; cancel and reschedule withdraw the pending ones (a moved
//! appointment gets reminders for its new time only); a due reminder is
//! sent, not before it is due, in the patient's language and zone.
//!
//! Every expected instant is worked out by hand in the comments (zone
//! offsets and DST dates from the tz database rules), not copied from output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use support::{ADMIN, Server, provider};

fn fast(config: &mut hcas_server::config::Config) {
    let r = &mut config.notifications.retry;
    r.backoff_ms = 20;
    r.backoff_max_ms = 40;
    r.max_attempts = 3;
    r.timeout_ms = 5000;
    config.notifications.link_base = "https://hcas.example".to_string();
}

/// Patient `id` choosing `channels`, in `language` and `zone` (none: no zone).
async fn patient(s: &Server, id: &str, channels: &[&str], language: &str, zone: Option<&str>) {
    let mut body = json!({
        "id": id, "name": format!("Pat {id}"), "birth_date": "1980-01-01",
        "email": format!("{}@example.org", id.to_lowercase()), "phone": "+351910000000",
        "channels": channels, "language": language,
    });
    if let Some(z) = zone {
        body["timezone"] = json!(z);
    }
    s.post("/v1/patients", ADMIN, body).await.ok(201);
}

/// Book `patient` with `provider` at `start`; the appointment's id and version.
async fn book(s: &Server, provider: &str, patient: &str, start: &str) -> (String, i64) {
    let r = s
        .send(s.req(Method::POST, "/v1/appointments", ADMIN).json(
            &json!({"provider": provider, "patient": patient, "start": start, "duration": 30}),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    (
        r.json["id"].as_str().unwrap().to_string(),
        r.json["version"].as_i64().unwrap(),
    )
}

/// The delivery log of appointment `id`, as staff.
async fn log(s: &Server, id: &str) -> Vec<Value> {
    let r = s
        .get(&format!("/v1/appointments/{id}/notifications"), ADMIN)
        .await;
    r.ok(200)["notifications"].as_array().unwrap().clone()
}

/// Wait (up to `secs`) until the log of `id` satisfies `done`.
async fn wait_log(
    s: &Server,
    id: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..secs * 10 {
        let l = log(s, id).await;
        if done(&l) {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}; log {:#?}", log(s, id).await);
}

fn reminders(l: &[Value]) -> Vec<&Value> {
    l.iter()
        .filter(|n| n["event_type"] == "appointment.reminder")
        .collect()
}

/// The reminders of a log as (channel, lead, due, adjustment, status, error).
fn plan(l: &[Value]) -> Vec<(String, String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut v: Vec<_> = reminders(l)
        .into_iter()
        .map(|n| {
            let r = &n["reminder"];
            (
                s(&n["channel"]),
                s(&r["lead"]),
                s(&r["due"]),
                s(&r["adjustment"]),
                s(&n["status"]),
                s(&n["last_error"]),
            )
        })
        .collect();
    v.sort();
    v
}

fn row(
    channel: &str,
    lead: &str,
    due: &str,
    adjustment: &str,
    status: &str,
    error: &str,
) -> (String, String, String, String, String, String) {
    (
        channel.into(),
        lead.into(),
        due.into(),
        adjustment.into(),
        status.into(),
        error.into(),
    )
}

#[tokio::test]
async fn reminders_follow_the_patients_local_time_across_dst_and_leave_quiet_hours() {
    // The defaults: leads 1d,120m; quiet hours 21:00-08:00.
    let s = Server::start_with(support::Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    provider(&s, "P1", &["gp"], "00:00", "24:00").await;
    patient(&s, "NY", &["email", "sms"], "en", Some("America/New_York")).await;
    patient(&s, "LX", &["email"], "pt", Some("Europe/Lisbon")).await;

    // New York, Sunday 2027-03-14: clocks go from 02:00 EST (UTC-5) to 03:00
    // EDT (UTC-4). The appointment is 14:00Z = 10:00 EDT that day.
    // - 1d: the same wall time the day before, Saturday 10:00 EST = 15:00Z,
    //   23 elapsed hours before (not 24: 14:00Z Saturday would be 09:00 EST).
    // - 120m: 120 elapsed minutes, 12:00Z = 08:00 EDT: the first minute after
    //   quiet hours (they end at 08:00, excluded), so exact. Were the zone's
    //   offset taken as EST it would be 07:00, quiet, and moved.
    let (ny, ny_version) = book(&s, "P1", "NY", "2027-03-14T14:00:00Z").await;
    // Lisbon in January is WET (UTC+0). The appointment is 2027-01-12 09:00.
    // - 1d: 2027-01-11 09:00 local = 09:00Z, exact.
    // - 120m: 07:00 local, inside 21:00-08:00: moved earlier to the last
    //   second before that quiet stretch began, 2027-01-11 20:59:59 = 20:59:59Z.
    let (lx, lx_version) = book(&s, "P1", "LX", "2027-01-12T09:00:00Z").await;

    let l = wait_log(&s, &ny, 30, "the NY reminders", |l| reminders(l).len() == 4).await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-03-14T12:00:00Z",
                "exact",
                "pending",
                ""
            ),
            row(
                "email",
                "1d",
                "2027-03-13T15:00:00Z",
                "exact",
                "pending",
                ""
            ),
            row(
                "sms",
                "120m",
                "2027-03-14T12:00:00Z",
                "exact",
                "pending",
                ""
            ),
            row("sms", "1d", "2027-03-13T15:00:00Z", "exact", "pending", ""),
        ]
    );
    for n in reminders(&l) {
        // Staff see when it is due; it was queued now, not then.
        assert_eq!(n["next_attempt_at"], n["reminder"]["due"], "{n:#}");
        assert!(n["created"].as_str().unwrap() < "2027-01-01", "{n:#}");
        assert!(
            n["event_id"]
                .as_str()
                .unwrap()
                .starts_with(&format!("rem_{}_{ny}_", support::ORG)),
            "{n:#}"
        );
    }
    // The same event relayed again (a crash before the outbox row was
    // marked sent), later: no reminder is added twice, none moves.
    let store = s.store(support::ORG).await;
    let booking = store.get(&ny).await.unwrap();
    let created = l
        .iter()
        .find(|n| n["event_type"] == "appointment.created")
        .unwrap();
    let outbox_id: i64 = created["event_id"]
        .as_str()
        .unwrap()
        .rsplit('_')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let again = hcas_store::OutboxEvent {
        id: outbox_id,
        kind: hcas_store::kind::APPOINTMENT_CREATED.to_string(),
        aggregate_id: ny.clone(),
        payload: serde_json::to_value(&booking.value).unwrap(),
        created: booking.value.start,
    };
    let org = hcas_server::tenants::OrgId::parse(support::ORG).unwrap();
    let reminders_config = s.state().bus.notifier().reminders();
    let added = hcas_server::notifications::enqueue(&org, &store, &[again], &reminders_config)
        .await
        .unwrap();
    assert_eq!(added, 0);
    let after = log(&s, &ny).await;
    assert_eq!(plan(&after), plan(&l));
    assert_eq!(reminders(&after).len(), 4);

    let l = wait_log(&s, &lx, 30, "the LX reminders", |l| reminders(l).len() == 2).await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-01-11T20:59:59Z",
                "moved_earlier",
                "pending",
                ""
            ),
            row(
                "email",
                "1d",
                "2027-01-11T09:00:00Z",
                "exact",
                "pending",
                ""
            ),
        ]
    );

    // Cancel NY: its pending reminders are withdrawn (dead, `cancelled`),
    // never sent; the cancellation itself is a notification as before.
    let r = s
        .send(
            s.req(
                Method::POST,
                &format!("/v1/appointments/{ny}/cancel"),
                ADMIN,
            )
            .header("if-match", format!("\"{ny_version}\""))
            .json(&json!({"reason": "patient asked"})),
        )
        .await;
    r.ok(200);
    let l = wait_log(
        &s,
        &ny,
        30,
        "NY reminders withdrawn, the cancellation queued",
        |l| {
            reminders(l).iter().all(|n| n["status"] == "dead")
                && l.iter().any(|n| n["event_type"] == "appointment.cancelled")
        },
    )
    .await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-03-14T12:00:00Z",
                "exact",
                "dead",
                "cancelled"
            ),
            row(
                "email",
                "1d",
                "2027-03-13T15:00:00Z",
                "exact",
                "dead",
                "cancelled"
            ),
            row(
                "sms",
                "120m",
                "2027-03-14T12:00:00Z",
                "exact",
                "dead",
                "cancelled"
            ),
            row(
                "sms",
                "1d",
                "2027-03-13T15:00:00Z",
                "exact",
                "dead",
                "cancelled"
            ),
        ]
    );
    assert!(reminders(&l).iter().all(|n| n["attempts"] == 0));
    assert!(
        l.iter().any(|n| n["event_type"] == "appointment.cancelled"),
        "{l:#?}"
    );

    // Reschedule LX to 2027-01-13 10:00Z (10:00 WET): the old reminders are
    // withdrawn (`rescheduled`); the new appointment's are for its time:
    // - 1d: 2027-01-12 10:00 = 10:00Z, exact;
    // - 120m: 08:00 local = 08:00Z, the end of quiet hours (excluded), exact.
    let r = s
        .send(
            s.req(
                Method::POST,
                &format!("/v1/appointments/{lx}/reschedule"),
                ADMIN,
            )
            .header("if-match", format!("\"{lx_version}\""))
            .json(&json!({"start": "2027-01-13T10:00:00Z", "reason": "clash"})),
        )
        .await;
    let moved = r.ok(201)["new"]["id"].as_str().unwrap().to_string();
    let l = wait_log(&s, &lx, 30, "LX reminders withdrawn", |l| {
        reminders(l).iter().all(|n| n["status"] == "dead")
    })
    .await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-01-11T20:59:59Z",
                "moved_earlier",
                "dead",
                "rescheduled"
            ),
            row(
                "email",
                "1d",
                "2027-01-11T09:00:00Z",
                "exact",
                "dead",
                "rescheduled"
            ),
        ]
    );
    let l = wait_log(&s, &moved, 30, "the moved LX reminders", |l| {
        reminders(l).len() == 2
    })
    .await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-01-13T08:00:00Z",
                "exact",
                "pending",
                ""
            ),
            row(
                "email",
                "1d",
                "2027-01-12T10:00:00Z",
                "exact",
                "pending",
                ""
            ),
        ]
    );
}

#[tokio::test]
async fn a_patient_without_a_zone_is_reminded_in_the_providers_zone() {
    let s = Server::start_with(support::Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    s.post(
        "/v1/providers",
        ADMIN,
        json!({"id": "PT", "name": "Dr PT", "timezone": "Asia/Tokyo"}),
    )
    .await
    .ok(201);
    s.call(
        "PUT",
        "/v1/providers/PT/schedule",
        ADMIN,
        Some(json!({
            "timezone": "Asia/Tokyo",
            "rules": [{ "rrule": "FREQ=DAILY", "dtstart": "2026-12-01", "start": "00:00", "end": "24:00" }],
        })),
        &[],
    )
    .await
    .ok(201);
    patient(&s, "NZ", &["email"], "en", None).await;
    // 2027-01-12 01:00Z = 10:00 JST (UTC+9, no DST).
    // - 1d: 2027-01-11 10:00 JST = 01:00Z, exact.
    // - 120m: 2027-01-11 23:00Z = 08:00 JST, not quiet in Tokyo (exact); in
    //   UTC it would be 23:00, quiet, and moved to 20:59:59Z.
    let (a, _) = book(&s, "PT", "NZ", "2027-01-12T01:00:00Z").await;
    let l = wait_log(&s, &a, 30, "the reminders", |l| reminders(l).len() == 2).await;
    assert_eq!(
        plan(&l),
        vec![
            row(
                "email",
                "120m",
                "2027-01-11T23:00:00Z",
                "exact",
                "pending",
                ""
            ),
            row(
                "email",
                "1d",
                "2027-01-11T01:00:00Z",
                "exact",
                "pending",
                ""
            ),
        ]
    );
}

#[tokio::test]
async fn a_due_reminder_is_sent_to_the_sink_not_before_it_is_due() {
    // A lead in minutes chosen so the reminder is due 10 to 70 s from now:
    // the start is a whole minute, so start - lead is too, and the lead is
    // the whole minutes from (now + 10 s) to the start.
    let now = chrono::Utc::now();
    let start = support::day(1) + chrono::Duration::hours(12);
    let lead = u32::try_from((start - now - chrono::Duration::seconds(10)).num_minutes()).unwrap();
    let start = support::rfc(start);
    let s = Server::start_with(support::Backend::Sqlite, "sqlite", |c| {
        fast(c);
        c.notifications.reminder_leads = vec![hcas_core::reminder::Lead::Minutes(lead)];
        c.notifications.quiet_hours = None;
    })
    .await
    .unwrap();
    provider(&s, "P1", &["gp"], "00:00", "24:00").await;
    patient(&s, "RS", &["email"], "pt", Some("Europe/Lisbon")).await;
    let (a, _) = book(&s, "P1", "RS", &start).await;
    let l = wait_log(&s, &a, 150, "the reminder sent", |l| {
        reminders(l).first().is_some_and(|n| n["status"] == "sent")
    })
    .await;
    let r = reminders(&l)[0];
    assert_eq!(r["attempts"], 1, "{r:#}");
    assert_eq!(r["reminder"]["lead"], format!("{lead}m"));
    // Never before it was due (both RFC 3339 UTC: text order is time order).
    assert!(
        r["sent_at"].as_str().unwrap() >= r["reminder"]["due"].as_str().unwrap(),
        "{r:#}"
    );

    let sink: Vec<Value> =
        std::fs::read_to_string(s.dir.path().join(hcas_server::notifications::SINK_FILE))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let sent: Vec<&Value> = sink
        .iter()
        .filter(|m| m["type"] == "appointment.reminder")
        .collect();
    assert_eq!(sent.len(), 1, "{sink:#?}");
    let when = hcas_core::Zone::parse("Europe/Lisbon")
        .unwrap()
        .to_local(start.parse::<hcas_core::Timestamp>().unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert_eq!(sent[0]["subject"], format!("Lembrete: consulta em {when}"));
    assert_eq!(
        sent[0]["text"],
        format!(
            "Lembramos a sua consulta com Dr P1 de {when} (Europe/Lisbon).\n\
             Detalhes: https://hcas.example/appointments/{a}"
        )
    );
    assert_eq!(sent[0]["to"], "rs@example.org");
}
