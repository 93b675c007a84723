//! The notification worker: one task per organization claims due
//! notifications from the store's queue and sends each in a task of its own
//! (the consent gate, rendering, the channel), then records the attempt.
//! Modelled on the webhook worker, whose backoff it uses.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hcas_core::consent::{Action, Category, Purpose, Role};
use hcas_core::ical::Calendar;
use hcas_core::{Timestamp, Zone};
use hcas_store::{
    Channel, Notification, NotificationReport, Outcome, Provider, Store, StoreError, channel_str,
};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::channels::{Outgoing, Sink, Sms, Smtp};
use super::kinds;
use super::templates::{Fields, Templates};
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::config::NotificationConfig;
use crate::org_workers::OrgWorkers;
use crate::services::appointments::ics::{booking_event, provider_zone};
use crate::tenants::OrgId;
use crate::webhooks::now_ms;
use crate::webhooks::worker::{backoff_ms, random_u32};

/// Most sends in flight per organization.
const MAX_IN_FLIGHT: usize = 32;
/// How long an idle worker waits before looking again without a nudge.
const IDLE: Duration = Duration::from_secs(5);
/// How long a worker waits after the store failed.
const BACKOFF: Duration = Duration::from_secs(1);
/// A claim's lease beyond the send's time limit.
const LEASE_MARGIN_MS: i64 = 5_000;
/// The subject the worker acts as in the consent gate and the audit trail.
pub const SYSTEM_SUBJECT: &str = "system:notifications";
/// The name of the development sink in the data directory.
pub const SINK_FILE: &str = "notifications.jsonl";

struct Shared {
    config: NotificationConfig,
    sink: Sink,
    smtp: Option<Result<Smtp, &'static str>>,
    sms: Option<Sms>,
    templates: Templates,
}

/// The notification workers, one per organization.
pub struct Notifier {
    shared: Option<Arc<Shared>>,
    workers: OrgWorkers,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("enabled", &self.enabled())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Workers sending with `config`; the development sink is
    /// `<data_dir>/notifications.jsonl`.
    #[must_use]
    pub fn new(config: NotificationConfig, data_dir: &Path) -> Self {
        let timeout = Duration::from_millis(config.retry.timeout_ms);
        let Ok(templates) = Templates::new() else {
            tracing::error!("notification templates do not compile; notifications are off");
            return Self::disabled();
        };
        let smtp = config.smtp_url.as_deref().map(|url| {
            Smtp::new(url, &config.smtp_from, timeout).inspect_err(|word| {
                tracing::error!(
                    error = word,
                    "SMTP settings unusable; e-mail notifications fail"
                );
            })
        });
        let sms = config.sms_url.clone().map(|url| Sms::new(url, timeout));
        Self {
            shared: Some(Arc::new(Shared {
                sink: Sink::new(data_dir.join(SINK_FILE)),
                smtp,
                sms,
                templates,
                config,
            })),
            workers: OrgWorkers::default(),
        }
    }

    /// Workers that send nothing (and enqueue nothing): embedders and
    /// tests without notifications.
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            shared: None,
            workers: OrgWorkers::default(),
        }
    }

    /// Whether notifications are enqueued and sent.
    #[must_use]
    pub const fn enabled(&self) -> bool {
        self.shared.is_some()
    }

    /// Start the worker of `org` if it is not running (inside a tokio runtime).
    pub fn ensure(&self, org: &OrgId, store: Arc<dyn Store>) {
        let Some(shared) = &self.shared else {
            return;
        };
        let shared = Arc::clone(shared);
        self.workers
            .ensure(org, |nudge| run(org.clone(), store, shared, nudge));
    }

    /// The reminder settings (none when notifications are off).
    #[must_use]
    pub fn reminders(&self) -> super::Reminders {
        self.shared
            .as_ref()
            .map_or_else(super::Reminders::default, |s| super::Reminders {
                leads: s.config.reminder_leads.clone(),
                quiet: s.config.quiet_hours,
            })
    }

    /// Wake the worker of `org` (notifications were enqueued or resent).
    pub fn wake(&self, org: &OrgId) {
        self.workers.wake(org);
    }
}

async fn run(org: OrgId, store: Arc<dyn Store>, shared: Arc<Shared>, nudge: Arc<Notify>) {
    let mut in_flight: JoinSet<Option<i64>> = JoinSet::new();
    let mut wake_at: Option<i64> = None;
    let lease =
        i64::try_from(shared.config.retry.timeout_ms).unwrap_or(60_000) * 2 + LEASE_MARGIN_MS;
    loop {
        while let Some(done) = in_flight.try_join_next() {
            if let Ok(Some(at)) = done {
                wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
            }
        }
        let room = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
        if room > 0 {
            let now = now_ms();
            if wake_at.is_some_and(|w| w <= now) {
                wake_at = None;
            }
            match store.notification_claim(now, now + lease, room).await {
                Ok(batch) if !batch.is_empty() => {
                    let full = batch.len() == room;
                    for n in batch {
                        in_flight.spawn(send(
                            org.clone(),
                            Arc::clone(&store),
                            Arc::clone(&shared),
                            n,
                        ));
                    }
                    if full {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(org = %org, code = e.code(), "notification queue unreadable; retrying");
                    tokio::time::sleep(BACKOFF).await;
                    continue;
                }
            }
        }
        let idle = wake_at.map_or(IDLE, |w| {
            Duration::from_millis(u64::try_from(w - now_ms()).unwrap_or(0)).min(IDLE)
        });
        tokio::select! {
            () = nudge.notified() => {}
            () = tokio::time::sleep(idle) => {}
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok(Some(at)) = done {
                    wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
                }
            }
        }
    }
}

/// The system actor notifications act as in the consent gate: role admin,
/// purpose HOPERAT.
pub(super) fn system_principal(org: &OrgId) -> Principal {
    let mut principal = Principal::new(SYSTEM_SUBJECT, org.clone(), vec![Role::Admin]);
    principal.purpose = Some(Purpose::Hoperat);
    principal
}

/// Why an attempt failed: a word, and whether trying again may help.
struct Failure {
    word: String,
    retry: bool,
}

fn permanent(word: &str) -> Failure {
    Failure {
        word: word.to_string(),
        retry: false,
    }
}

fn transient(word: impl Into<String>) -> Failure {
    Failure {
        word: word.into(),
        retry: true,
    }
}

fn store_failure(e: &StoreError) -> Failure {
    match e {
        StoreError::NotFound { .. } => permanent("not_found"),
        _ => transient("store_unavailable"),
    }
}

/// `t` in `zone`, `YYYY-MM-DD HH:MM`.
fn local(t: Timestamp, zone: &Zone) -> String {
    zone.to_local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Send one notification and record the attempt; when it is due again.
async fn send(
    org: OrgId,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    n: Notification,
) -> Option<i64> {
    let result = attempt(&org, &store, &shared, &n).await;
    let at = now_ms();
    let attempt_no = n.attempts + 1;
    let (error, outcome) = match result {
        Ok(()) => (None, Outcome::Delivered),
        Err(f) if !f.retry || attempt_no >= shared.config.retry.max_attempts => {
            (Some(f.word), Outcome::Dead)
        }
        Err(f) => (
            Some(f.word),
            Outcome::Retry {
                next_ms: at + backoff_ms(&shared.config.retry, attempt_no, random_u32()),
            },
        ),
    };
    let retry_at = match outcome {
        Outcome::Retry { next_ms } => Some(next_ms),
        _ => None,
    };
    let report = NotificationReport {
        at_ms: at,
        error,
        outcome,
    };
    match store.notification_record(n.id, &report).await {
        Ok(after) => tracing::info!(
            org = %org,
            notification = n.id,
            event = %n.event_id,
            channel = channel_str(n.channel),
            attempt = attempt_no,
            error = after.last_error.as_deref(),
            status = after.status.as_str(),
            "notification attempt"
        ),
        Err(e) => tracing::warn!(
            org = %org,
            notification = n.id,
            code = e.code(),
            "notification attempt not recorded; it is retried after its lease"
        ),
    }
    retry_at
}

/// The consent gate, rendering and the channel for one notification.
async fn attempt(
    org: &OrgId,
    store: &Arc<dyn Store>,
    shared: &Shared,
    n: &Notification,
) -> Result<(), Failure> {
    let event: serde_json::Value =
        serde_json::from_str(&n.payload).map_err(|_| permanent("bad_payload"))?;
    let data = &event["data"];
    let time = |k: &str| data[k].as_str().and_then(|s| s.parse::<Timestamp>().ok());
    let start = time("start").ok_or_else(|| permanent("bad_payload"))?;
    let now = crate::access::now();

    // The consent gate (audited; fail closed) before any patient data is used.
    let principal = system_principal(org);
    let access = Access::new(
        n.recipient.clone(),
        Category::Appointments,
        Action::Read,
        "notification.send",
        format!("booking:{}", n.appointment),
    );
    if let Err(e) = authorize(store, &principal, &access, now).await {
        return Err(if e.status().as_u16() == 403 {
            permanent("consent_denied")
        } else {
            transient("consent_unavailable")
        });
    }
    let patient = store
        .get_patient(&n.recipient)
        .await
        .map_err(|e| store_failure(&e))?
        .value;
    let to = match n.channel {
        Channel::Email => patient.email.clone(),
        Channel::Sms => patient.phone.clone(),
        Channel::Push => Some(String::new()),
    }
    .filter(|a| n.channel == Channel::Push || !a.trim().is_empty())
    .ok_or_else(|| permanent("no_address"))?;
    if n.event_type == kinds::REMINDER {
        // A reminder is checked again when due: the patient may have left
        // this channel, and the appointment must still be booked (its
        // reminders are withdrawn on cancel or move; this closes the gap).
        if !patient.channels.contains(&n.channel) {
            return Err(permanent("channel_off"));
        }
        let stored = store
            .get(&n.appointment)
            .await
            .map_err(|e| store_failure(&e))?;
        if stored.value.status != hcas_core::booking::Status::Booked {
            return Err(permanent("not_booked"));
        }
    }

    let provider: Option<Provider> = match data["provider"].as_str() {
        Some(id) => match store.get_provider(id).await {
            Ok(p) => Some(p.value),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(store_failure(&e)),
        },
        None => None,
    };
    let patient_zone = patient
        .timezone
        .as_deref()
        .and_then(|z| Zone::parse(z).ok());
    let zone = patient_zone.unwrap_or_else(|| provider_zone(provider.as_ref()));
    let fields = Fields {
        when: local(start, &zone),
        zone: zone.name().to_string(),
        doctor: provider
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        clinic: provider
            .as_ref()
            .and_then(|p| p.location.clone())
            .unwrap_or_default(),
        link: format!(
            "{}/appointments/{}",
            shared.config.link_base.trim_end_matches('/'),
            n.appointment
        ),
        expires: time("hold_expires")
            .map(|t| local(t, &zone))
            .unwrap_or_default(),
    };
    let message = shared
        .templates
        .render(&n.event_type, patient.language.as_deref(), &fields)
        .map_err(|_| permanent("template"))?;

    // An appointment e-mail carries its calendar entry (what the feeds show).
    let ics = if n.channel == Channel::Email && n.event_type != kinds::WAITLIST_OFFERED {
        let stored = store
            .get(&n.appointment)
            .await
            .map_err(|e| store_failure(&e))?;
        let entry =
            booking_event(&stored, provider.as_ref(), now).map_err(|_| permanent("calendar"))?;
        Some(
            Calendar::new(provider_zone(provider.as_ref()))
                .name("hcas appointment")
                .event(entry)
                .to_ics(),
        )
    } else {
        None
    };
    let out = Outgoing {
        id: n.id,
        event_id: &n.event_id,
        kind: &n.event_type,
        channel: channel_str(n.channel),
        recipient: &n.recipient,
        to: &to,
        message: &message,
        ics: ics.as_deref(),
    };
    match (n.channel, &shared.smtp, &shared.sms) {
        (Channel::Email, Some(Ok(smtp)), _) => smtp.send(&out).await.map_err(|w| {
            if w == "smtp_rejected" || w == "bad_address" {
                permanent(w)
            } else {
                transient(w)
            }
        }),
        (Channel::Email, Some(Err(word)), _) => Err(transient(*word)),
        (Channel::Sms, _, Some(sms)) => sms.send(&out).await.map_err(transient),
        _ => shared.sink.send(&out).await.map_err(transient),
    }
}
