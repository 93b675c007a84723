//! Where a rendered message goes: the development sink (a JSON line in
//! `<data_dir>/notifications.jsonl`), e-mail over SMTP (with the
//! appointment's `.ics` attached), or an SMS provider (a JSON POST). Every
//! failure is answered as a short word for the queue's `last_error` (never an
//! address, a URL or the message).

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::templates::Message;

/// A message ready to go.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing<'a> {
    /// The queue's id (`ntf_<id>` for the provider and the sink).
    pub id: i64,
    /// The event's id.
    pub event_id: &'a str,
    /// The notification type.
    pub kind: &'a str,
    /// `email`, `sms` or `push`.
    pub channel: &'a str,
    /// The patient's id.
    pub recipient: &'a str,
    /// The address (e-mail or phone; empty for push).
    pub to: &'a str,
    /// The message.
    pub message: &'a Message,
    /// The calendar entry (`text/calendar`), for appointment e-mail.
    pub ics: Option<&'a str>,
}

/// One line of the development sink.
#[derive(Debug, Serialize)]
struct SinkLine<'a> {
    id: String,
    event_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    channel: &'a str,
    recipient: &'a str,
    to: &'a str,
    language: &'a str,
    subject: &'a str,
    text: &'a str,
    ics: bool,
}

/// The development sink: appends one JSON line per message.
#[derive(Debug)]
pub(crate) struct Sink {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Sink {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    pub(crate) async fn send(&self, o: &Outgoing<'_>) -> Result<(), &'static str> {
        let line = SinkLine {
            id: format!("ntf_{}", o.id),
            event_id: o.event_id,
            kind: o.kind,
            channel: o.channel,
            recipient: o.recipient,
            to: o.to,
            language: o.message.language,
            subject: &o.message.subject,
            text: &o.message.text,
            ics: o.ics.is_some(),
        };
        let mut bytes = serde_json::to_vec(&line).map_err(|_| "sink_encode")?;
        bytes.push(b'\n');
        let _guard = self.lock.lock().await;
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|_| "sink_open")?;
        // One write of the whole line: lines never interleave.
        f.write_all(&bytes).await.map_err(|_| "sink_write")?;
        f.flush().await.map_err(|_| "sink_write")?;
        Ok(())
    }
}

/// E-mail over SMTP (lettre, pooled connections).
pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp")
    }
}

impl Smtp {
    /// A transport to `url` (lettre's `smtp://` / `smtps://` form) sending as `from`.
    ///
    /// # Errors
    /// A word saying which setting is wrong.
    pub(crate) fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, &'static str> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| "smtp_url")?
            .timeout(Some(timeout))
            .build();
        let from = from.parse().map_err(|_| "smtp_from")?;
        Ok(Self { transport, from })
    }

    pub(crate) async fn send(&self, o: &Outgoing<'_>) -> Result<(), &'static str> {
        let to = o.to.parse().map_err(|_| "bad_address")?;
        let text = SinglePart::plain(o.message.text.clone());
        let builder = lettre::Message::builder()
            .message_id(Some(message_id(o)))
            .from(self.from.clone())
            .to(to)
            .subject(o.message.subject.clone());
        let email = match o.ics {
            Some(ics) => {
                let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .map_err(|_| "ics_type")?;
                builder.multipart(MultiPart::mixed().singlepart(text).singlepart(
                    Attachment::new("appointment.ics".to_string()).body(ics.to_string(), calendar),
                ))
            }
            None => builder.singlepart(text),
        }
        .map_err(|_| "email_build")?;
        self.transport.send(email).await.map_err(|e| {
            if e.is_permanent() {
                "smtp_rejected"
            } else if e.is_transient() {
                "smtp_transient"
            } else {
                "smtp"
            }
        })?;
        Ok(())
    }
}

/// The `Message-ID` of a notification's e-mail: the same on every attempt
/// (the event and the channel, the queue's key with its one recipient), so a
/// message repeated after a crash between the server's accept and our
/// record of it can be dropped by the receiver (docs/notifications.md).
pub(crate) fn message_id(o: &Outgoing<'_>) -> String {
    let safe: String = o
        .event_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("<{safe}.{}@hcas.notifications>", o.channel)
}

/// The body an SMS provider receives.
#[derive(Debug, Serialize)]
struct SmsBody<'a> {
    /// `ntf_<id>`: the same on every attempt, so the provider can drop duplicates.
    reference: String,
    to: &'a str,
    text: &'a str,
}

/// SMS through an HTTP provider: a JSON POST, 2xx is sent.
#[derive(Debug)]
pub(crate) struct Sms {
    url: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl Sms {
    pub(crate) fn new(url: String, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hcas-notifications/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            url,
            client,
            timeout,
        }
    }

    pub(crate) async fn send(&self, o: &Outgoing<'_>) -> Result<(), String> {
        let body = SmsBody {
            reference: format!("ntf_{}", o.id),
            to: o.to,
            text: &o.message.text,
        };
        let answer = self
            .client
            .post(&self.url)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timeout".to_string()
                } else if e.is_connect() {
                    "connect".to_string()
                } else {
                    "request".to_string()
                }
            })?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("http_{}", status.as_u16()))
        }
    }
}
