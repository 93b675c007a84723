//! Notifications end to end: booking an appointment writes exactly one
//! development-sink line per channel the patient chose, in the patient's
//! language and time zone, with the system actor's consent decision in the
//! audit trail; the same event relayed again is sent once; a failing SMS
//! provider (a local axum listener answering 500) gets retries, then the
//! notification is dead, and resend delivers it; e-mail goes to a real SMTP
//! server on loopback (aiosmtpd, from `~/.cache/hcas-tools/smtp-venv`;
//! skipped without it unless `HCAS_REQUIRE_SMTP=1`) with the `.ics` attached.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use hcas_server::tenants::OrgId;
use reqwest::Method;
use serde_json::{Value, json};
use support::{ADMIN, ORG, Server, at, provider};

fn fast(config: &mut hcas_server::config::Config) {
    let r = &mut config.notifications.retry;
    r.backoff_ms = 20;
    r.backoff_max_ms = 40;
    r.max_attempts = 3;
    r.timeout_ms = 5000;
    config.notifications.link_base = "https://hcas.example".to_string();
    // These tests are about the event notifications; reminders have tests/reminders.rs.
    config.notifications.reminder_leads.clear();
}

/// Patient `id` choosing `channels`, in `language` and `zone`.
async fn patient(s: &Server, id: &str, channels: &[&str], language: &str, zone: &str) {
    s.post(
        "/v1/patients",
        ADMIN,
        json!({
            "id": id, "name": format!("Pat {id}"), "birth_date": "1980-01-01",
            "email": format!("{}@example.org", id.to_lowercase()), "phone": "+351910000000",
            "channels": channels, "language": language, "timezone": zone,
        }),
    )
    .await
    .ok(201);
}

async fn book(s: &Server, patient: &str, start: &str) -> String {
    let r = s
        .send(
            s.req(
                Method::POST,
                "/v1/appointments",
                &format!("patient:{patient}"),
            )
            .json(&json!({"provider": "P1", "patient": patient, "start": start, "duration": 30})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

/// The development sink's lines.
fn sink(s: &Server) -> Vec<Value> {
    let path = s.dir.path().join(hcas_server::notifications::SINK_FILE);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The delivery log of appointment `id`, as staff.
async fn log(s: &Server, id: &str) -> Vec<Value> {
    let r = s
        .get(&format!("/v1/appointments/{id}/notifications"), ADMIN)
        .await;
    r.ok(200)["notifications"].as_array().unwrap().clone()
}

/// Wait (up to 60 s) until the log of `id` satisfies `done`.
async fn wait_log(s: &Server, id: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..600 {
        let l = log(s, id).await;
        if done(&l) {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}; log {:#?}", log(s, id).await);
}

fn statuses(l: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = l
        .iter()
        .map(|n| {
            (
                n["channel"].as_str().unwrap().to_string(),
                n["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `start` (RFC 3339) in `zone`, as the templates show it.
fn local(start: &str, zone: &str) -> String {
    let t: hcas_core::Timestamp = start.parse().unwrap();
    hcas_core::Zone::parse(zone)
        .unwrap()
        .to_local(t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[tokio::test]
async fn booking_writes_one_sink_line_per_channel_and_a_duplicate_event_sends_once() {
    let s = Server::start_with(support::Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    patient(&s, "N1", &["email", "sms"], "pt-BR", "America/Sao_Paulo").await;
    // A patient who chose no channel gets nothing.
    patient(&s, "N2", &[], "en", "UTC").await;
    let start = at(2, 10, 0);
    let a = book(&s, "N1", &start).await;
    let quiet = book(&s, "N2", &at(2, 11, 0)).await;

    let l = wait_log(&s, &a, "both sent", |l| {
        statuses(l)
            == [
                ("email".into(), "sent".into()),
                ("sms".into(), "sent".into()),
            ]
    })
    .await;
    assert!(l.iter().all(|n| n["event_type"] == "appointment.created"
        && n["patient"] == "N1"
        && n["attempts"] == 1
        && n.get("last_error").is_none()));
    // The log answers no message and no address.
    let text = serde_json::to_string(&l).unwrap();
    assert!(
        !text.contains("example.org") && !text.contains("+351"),
        "{text}"
    );

    let lines = sink(&s);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let mut channels: Vec<&str> = lines
        .iter()
        .map(|m| m["channel"].as_str().unwrap())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["email", "sms"]);
    let when = local(&start, "America/Sao_Paulo");
    for m in &lines {
        assert_eq!(m["type"], "appointment.created");
        assert_eq!(m["language"], "pt");
        assert_eq!(m["subject"], format!("Consulta marcada: {when}"));
        assert_eq!(
            m["text"],
            format!(
                "A sua consulta com Dr P1 está marcada para {when} (America/Sao_Paulo).\n\
                 Detalhes: https://hcas.example/appointments/{a}"
            )
        );
        let to = if m["channel"] == "email" {
            "n1@example.org"
        } else {
            "+351910000000"
        };
        assert_eq!(m["to"], to);
        assert_eq!(m["ics"], m["channel"] == "email");
    }
    assert!(log(&s, &quiet).await.is_empty());

    // The sends passed the consent gate as the system actor, audited.
    let audit = s.audit(ORG).await;
    let sends: Vec<_> = audit
        .iter()
        .filter(|r| r.event.action == "notification.send")
        .collect();
    assert_eq!(sends.len(), 2);
    assert!(sends.iter().all(
        |r| r.event.actor == hcas_server::notifications::SYSTEM_SUBJECT
            && r.event.outcome == "permit"
            && r.event.patient.as_deref() == Some("N1")
    ));
    assert!(audit.iter().any(|r| r.event.action == "notification.log"));

    // The same event relayed again (a crash between enqueue and mark-sent):
    // nothing is added, nothing more is sent.
    let store = s.store(ORG).await;
    let event_id = l[0]["event_id"].as_str().unwrap().to_string();
    let outbox_id: i64 = event_id.rsplit('_').next().unwrap().parse().unwrap();
    let booking = store.get(&a).await.unwrap();
    let again = hcas_store::OutboxEvent {
        id: outbox_id,
        kind: hcas_store::kind::APPOINTMENT_CREATED.to_string(),
        aggregate_id: a.clone(),
        payload: serde_json::to_value(&booking.value).unwrap(),
        created: booking.value.start,
    };
    let org = OrgId::parse(ORG).unwrap();
    let reminders = s.state().bus.notifier().reminders();
    let added =
        hcas_server::notifications::enqueue(&org, &store, &[again.clone(), again], &reminders)
            .await
            .unwrap();
    assert_eq!(added, 0);
    s.state().bus.notifier().wake(&org);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink(&s).len(), 2);
    assert_eq!(log(&s, &a).await.len(), 2);

    // Staff only: a patient may not read the log, nor resend.
    s.get(&format!("/v1/appointments/{a}/notifications"), "patient:N1")
        .await
        .problem(403, "forbidden");
    let id = l[0]["id"].as_i64().unwrap();
    s.post(
        &format!("/v1/notifications/{id}/resend"),
        "patient:N1",
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    s.post("/v1/notifications/0/resend", ADMIN, json!({}))
        .await
        .problem(422, "invalid_request");
    s.post("/v1/notifications/999999/resend", ADMIN, json!({}))
        .await
        .problem(404, "not_found");
}

// ---------------------------------------------------------------- SMS

#[derive(Default)]
struct Provider {
    got: Mutex<Vec<Value>>,
    fail: AtomicBool,
}

async fn take(State(p): State<Arc<Provider>>, body: String) -> StatusCode {
    p.got
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap());
    if p.fail.load(Ordering::SeqCst) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::ACCEPTED
    }
}

#[tokio::test]
async fn failing_sms_provider_gets_retries_then_dead_then_resend_sends() {
    let sms = Arc::new(Provider::default());
    sms.fail.store(true, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/sms", axum::routing::post(take))
        .with_state(Arc::clone(&sms));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let s = Server::start_with(support::Backend::Sqlite, "sqlite", |c| {
        fast(c);
        c.notifications.sms_url = Some(url);
    })
    .await
    .unwrap();
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    patient(&s, "S1", &["sms"], "en", "Europe/Lisbon").await;
    let start = at(3, 9, 30);
    let a = book(&s, "S1", &start).await;

    let l = wait_log(&s, &a, "dead", |l| l.len() == 1 && l[0]["status"] == "dead").await;
    assert_eq!(l[0]["attempts"], 3);
    assert_eq!(l[0]["last_error"], "http_500");
    let got = sms.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:#?}");
    let id = l[0]["id"].as_i64().unwrap();
    let when = local(&start, "Europe/Lisbon");
    for body in &got {
        assert_eq!(
            body,
            &json!({
                "reference": format!("ntf_{id}"),
                "to": "+351910000000",
                "text": format!(
                    "Your appointment with Dr P1 is booked for {when} (Europe/Lisbon).\n\
                     Details: https://hcas.example/appointments/{a}"
                ),
            })
        );
    }
    // Nothing went to the sink: SMS has its provider.
    assert!(sink(&s).is_empty());

    sms.fail.store(false, Ordering::SeqCst);
    let r = s
        .post(&format!("/v1/notifications/{id}/resend"), ADMIN, json!({}))
        .await;
    assert_eq!(r.ok(200)["attempts"], 0);
    let l = wait_log(&s, &a, "sent", |l| l[0]["status"] == "sent").await;
    assert_eq!(l[0]["attempts"], 1);
    assert_eq!(sms.got.lock().unwrap().len(), 4);
    assert!(
        s.audit(ORG)
            .await
            .iter()
            .any(|r| r.event.action == "notification.resend" && r.event.outcome == "permit")
    );
}

// ---------------------------------------------------------------- SMTP

/// The python of the SMTP venv (`HCAS_SMTP_PYTHON`, else
/// `~/.cache/hcas-tools/smtp-venv`), if it can import aiosmtpd; without it
/// the test skips, unless `HCAS_REQUIRE_SMTP=1`: then it fails.
fn smtp_python() -> Option<std::path::PathBuf> {
    let p = std::env::var_os("HCAS_SMTP_PYTHON").map_or_else(
        || {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/hcas-tools/smtp-venv/bin/python")
        },
        std::path::PathBuf::from,
    );
    let ok = p.exists()
        && std::process::Command::new(&p)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var("HCAS_REQUIRE_SMTP").as_deref() != Ok("1"),
        "HCAS_REQUIRE_SMTP=1 but {} cannot import aiosmtpd",
        p.display()
    );
    println!("skipped: {} cannot import aiosmtpd", p.display());
    None
}

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn email_goes_to_a_real_smtp_server_with_the_ics_attached() {
    let Some(python) = smtp_python() else {
        return;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.jsonl");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/notifications/smtp_sink.py");
    let mut child = std::process::Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ready = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line
    };
    let _guard = Kill(child);
    assert_eq!(ready.trim(), "ready");

    let s = Server::start_with(support::Backend::Sqlite, "sqlite", |c| {
        fast(c);
        c.notifications.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.notifications.smtp_from = "clinic@hcas.example".to_string();
    })
    .await
    .unwrap();
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    patient(&s, "M1", &["email"], "en", "Asia/Tokyo").await;
    let start = at(4, 14, 0);
    let a = book(&s, "M1", &start).await;
    let l = wait_log(&s, &a, "sent", |l| {
        l.len() == 1 && l[0]["status"] != "pending"
    })
    .await;
    assert_eq!(l[0]["status"], "sent", "{l:#?}");

    let mails: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let m = &mails[0];
    let when = local(&start, "Asia/Tokyo");
    assert_eq!(m["mail_from"], "clinic@hcas.example");
    assert_eq!(m["rcpt_tos"], json!(["m1@example.org"]));
    assert_eq!(m["to"], "m1@example.org");
    assert_eq!(m["subject"], format!("Appointment booked: {when}"));
    // The same on every attempt: the event and the channel (receivers drop repeats by it).
    assert_eq!(
        m["message_id"],
        format!(
            "<{}.email@hcas.notifications>",
            l[0]["event_id"].as_str().unwrap()
        )
    );
    // SMTP carries CRLF line ends.
    assert_eq!(
        m["text"].as_str().unwrap().replace("\r\n", "\n").trim_end(),
        format!(
            "Your appointment with Dr P1 is booked for {when} (Asia/Tokyo).\n\
             Details: https://hcas.example/appointments/{a}"
        )
    );
    let atts = m["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 1, "{atts:#?}");
    assert_eq!(atts[0]["filename"], "appointment.ics");
    assert_eq!(atts[0]["content_type"], "text/calendar");
    let ics = atts[0]["content"].as_str().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(
        ics.contains(&format!("UID:{a}")) || ics.contains(&a),
        "{ics}"
    );
    assert!(
        !ics.contains("Pat M1"),
        "the calendar never names the patient"
    );
    // E-mail had its transport: nothing in the sink.
    assert!(sink(&s).is_empty());
}
