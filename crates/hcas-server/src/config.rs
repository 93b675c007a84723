//! Configuration: defaults, then a TOML file (`--config`), then `HCAS_*`
//! environment variables, validated once at start. A mistake stops the
//! server with a message naming the setting and what to fix.
//!
//! | setting | env | default |
//! |---|---|---|
//! | `listen` | `HCAS_LISTEN` | `127.0.0.1:8080` |
//! | `data_dir` | `HCAS_DATA_DIR` | `./hcas-data` |
//! | `database_url` | `HCAS_DATABASE_URL` | none: SQLite files in `data_dir` |
//! | `max_body_bytes` | `HCAS_MAX_BODY_BYTES` | `65536` |
//! | `max_upload_bytes` | `HCAS_MAX_UPLOAD_BYTES` | `26214400` (25 MiB; 1024 to 1 GiB): the largest medical-record document |
//! | (none) | `HCAS_DOCUMENTS_URL` | none: documents under `data_dir/documents`; `s3://bucket/prefix` keeps them in S3-compatible storage (credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`; docs/records.md); `gs://bucket/prefix` in Google Cloud Storage (`GOOGLE_APPLICATION_CREDENTIALS` or the metadata server) |
//! | (none) | `HCAS_GCS_ENDPOINT` | none: Google's; an `http(s)://host[:port]` GCS-protocol server (an emulator; with `HCAS_GCS_ANONYMOUS=1` requests are unsigned) |
//! | (none) | `HCAS_S3_ENDPOINT` | none: AWS S3; an `http(s)://host[:port]` S3-compatible server (path-style requests) |
//! | (none) | `HCAS_KMS` | `local`: the key file `data_dir/keys/kek.json`; `aws:<key-id, ARN or alias/name>`: AWS KMS (same `AWS_*` credentials) |
//! | (none) | `HCAS_ARCHIVE_AFTER_DAYS` | none: no tiering; 1 to 36500: documents older than this move to the archive tier (docs/records.md, Tiering) |
//! | (none) | `HCAS_ARCHIVE_AFTER_SECONDS` | none: the same age in seconds (for tests; not with `HCAS_ARCHIVE_AFTER_DAYS`) |
//! | (none) | `HCAS_ARCHIVE_URL` | none: the archive is `data_dir/archive/<org>/`; `s3://bucket/prefix` (same endpoint and credentials as `HCAS_DOCUMENTS_URL`) |
//! | (none) | `HCAS_KMS_ENDPOINT` | none: `https://kms.<AWS_REGION>.amazonaws.com`; another KMS-API server |
//! | `log_format` | `HCAS_LOG_FORMAT` | `json` (`json` or `pretty`) |
//! | `request_timeout_seconds` | `HCAS_REQUEST_TIMEOUT_SECONDS` | `30` |
//! | `issuer` | `HCAS_ISSUER` | `http://<listen>` (the own issuer's `iss`) |
//! | `access_token_seconds` | `HCAS_ACCESS_TOKEN_SECONDS` | `900` (60 to 3600) |
//! | `refresh_token_seconds` | `HCAS_REFRESH_TOKEN_SECONDS` | `28800` (300 to 2592000) |
//! | `oidc_issuer` | `HCAS_OIDC_ISSUER` | none: hcas is its own issuer |
//! | `oidc_audience` | `HCAS_OIDC_AUDIENCE` | none (required with `oidc_issuer`) |
//! | `oidc_algorithm` | `HCAS_OIDC_ALGORITHM` | `RS256` (the one algorithm accepted) |
//! | `oidc_org_claim` | `HCAS_OIDC_ORG_CLAIM` | `org` |
//! | `oidc_roles_claim` | `HCAS_OIDC_ROLES_CLAIM` | `roles` |
//! | `self_registration` | `HCAS_SELF_REGISTRATION` | `off` (`on` or `off`; `--demo` turns it on unless set): patients may create their own account with `POST /v1/auth/register` (own issuer only) |
//! | `rate_limit_per_second` | `HCAS_RATE_LIMIT_PER_SECOND` | `100` (per client IP; `0` disables) |
//! | `rate_limit_burst` | `HCAS_RATE_LIMIT_BURST` | `200` |
//! | `cors_origins` | `HCAS_CORS_ORIGINS` (comma-separated) | empty: no CORS headers |
//! | `tls_cert` | `HCAS_TLS_CERT` | none: plain HTTP |
//! | `tls_key` | `HCAS_TLS_KEY` | none |
//! | `otlp_endpoint` | `HCAS_OTLP_ENDPOINT` | none: no spans exported (a base URL; spans go to `{endpoint}/v1/traces`) |
//! | `webhook_timeout_ms` | `HCAS_WEBHOOK_TIMEOUT_MS` | `10000` (100 to 60000): one delivery POST's time limit |
//! | `webhook_backoff_ms` | `HCAS_WEBHOOK_BACKOFF_MS` | `10000` (1 to 3600000): the first retry's delay, doubled per attempt |
//! | `webhook_backoff_max_ms` | `HCAS_WEBHOOK_BACKOFF_MAX_MS` | `3600000` (at least `webhook_backoff_ms`, at most 86400000): the longest delay |
//! | `webhook_max_attempts` | `HCAS_WEBHOOK_MAX_ATTEMPTS` | `12` (1 to 100): attempts before a delivery is dead |
//! | (none) | `HCAS_SMTP_URL` | none: e-mail notifications go to the development sink (`smtp://host:port`, `smtps://...`, lettre's URL form) |
//! | (none) | `HCAS_SMTP_FROM` | `hcas@localhost`: the notifications' sender |
//! | (none) | `HCAS_SMS_URL` | none: SMS notifications go to the development sink (an `http(s)://` provider URL that takes a JSON POST) |
//! | (none) | `HCAS_NOTIFY_LINK_BASE` | `http://localhost:8080`: the start of the link in every notification |
//! | (none) | `HCAS_NOTIFY_BACKOFF_MS`, `HCAS_NOTIFY_MAX_ATTEMPTS` | `60000`, `8`: the notification retry schedule (ranges as the webhook ones) |
//! | (none) | `HCAS_NOTIFY_TIMEOUT_MS` | `10000` (100 to 60000): one send's time limit; a send cut off by a crash is tried again after twice this plus 5 s |
//! | (none) | `HCAS_REMINDER_LEADS` | `1d,120m`: reminders before each booked appointment (`<n>d`: same local wall time n days before; `<n>m`: n elapsed minutes; at most 16; empty: no reminders) |
//! | (none) | `HCAS_REMINDER_QUIET_HOURS` | `21:00-08:00`: local wall-clock window (the patient's zone) no reminder is sent in (`none`: no quiet hours) |
//! | `publish_org` | `HCAS_PUBLISH_ORG` | none: no public `$bulk-publish` (docs/fhir.md, SMART Scheduling Links) |
//! | `publish_horizon_days` | `HCAS_PUBLISH_HORIZON_DAYS` | `14` (1 to 62): how far ahead Slots are published |
//! | `publish_booking_url` | `HCAS_PUBLISH_BOOKING_URL` | none: `<server>/fhir/r4/Slot/{slot}`; a template with `{slot}`, `{schedule}`, `{start}` |
//! | `publish_booking_phone` | `HCAS_PUBLISH_BOOKING_PHONE` | none: a phone number on every published Slot |
//! | `[publish_locations."<location>"]` | (file only) | none: `line`, `city`, `state`, `postal_code`, `district`, `phone`, `url` of a provider location |

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A setting that is missing, malformed or out of range.
#[derive(Debug, thiserror::Error)]
#[error("configuration: `{setting}`: {message}")]
pub struct ConfigError {
    /// The setting (its file key; the env variable is `HCAS_` + upper case).
    pub setting: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &str, message: impl Into<String>) -> Self {
        Self {
            setting: setting.to_string(),
            message: message.into(),
        }
    }
}

/// Where the services keep their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite files below the data directory (the default; nothing to set up).
    Sqlite,
    /// PostgreSQL at this URL (`postgres://user@host:port/db`).
    Postgres(String),
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (the default).
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

/// The validated configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Address and port to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Directory for the SQLite files, keys and other local state.
    pub data_dir: PathBuf,
    /// The database.
    pub database: Database,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest medical-record document accepted (`POST
    /// /v1/patients/{id}/records`, streamed), in bytes. Documents are kept
    /// encrypted under `data_dir/documents`, their key file is
    /// `data_dir/keys/kek.json` (docs/records.md).
    pub max_upload_bytes: u64,
    /// Log line format.
    pub log_format: LogFormat,
    /// A request still running after this many seconds is answered 503.
    pub request_timeout_seconds: u64,
    /// Requests per second each client (IP address) may sustain; `0`
    /// turns rate limiting off.
    pub rate_limit_per_second: u32,
    /// Requests a client may send at once above the sustained rate.
    pub rate_limit_burst: u32,
    /// Origins allowed to call the API from a browser (`https://app.example`,
    /// or `*` for any); empty sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// A PEM certificate chain: serve HTTPS (with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// The base URL of an OTLP/HTTP collector (`http://collector:4318`):
    /// one span per sampled request is POSTed (OTLP JSON) to
    /// `{otlp_endpoint}/v1/traces`. docs/operations.md, "Tracing".
    pub otlp_endpoint: Option<String>,
    /// The own issuer's `iss` (`None`: `http://<listen>`, with the real port).
    pub issuer: Option<String>,
    /// Lifetime of an access token, in seconds.
    pub access_token_seconds: u64,
    /// Lifetime of a refresh token, in seconds (each rotation starts it anew).
    pub refresh_token_seconds: u64,
    /// Trust this external OpenID Connect provider instead of issuing tokens.
    pub oidc: Option<OidcConfig>,
    /// Whether patients may register themselves (`POST /v1/auth/register`):
    /// `None` (unset) and `Some(false)` are off; `--demo` turns an unset
    /// one on ([`Config::self_registration_on`]).
    pub self_registration: Option<bool>,
    /// Webhook delivery: time limit, retry schedule, attempts.
    pub webhooks: WebhookConfig,
    /// The public SMART Scheduling Links publication (`publish_*` settings).
    pub publish: PublishConfig,
    /// Notifications to patients: channels and retries (`docs/notifications.md`).
    pub notifications: NotificationConfig,
    /// Where documents' ciphertext and key-encryption keys are
    /// (`HCAS_DOCUMENTS_URL`, `HCAS_S3_ENDPOINT`, `HCAS_KMS`,
    /// `HCAS_KMS_ENDPOINT`; docs/records.md).
    pub documents: DocumentsConfig,
}

/// Where documents are kept, and which KMS wraps their keys.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DocumentsConfig {
    /// `None`: files below `data_dir/documents/<org>/`; `Some`: S3, each
    /// organization below `<prefix>/<org>/`.
    pub s3: Option<hcas_store::documents::S3Config>,
    /// `HCAS_DOCUMENTS_URL=gs://bucket/prefix`: Google Cloud Storage, each
    /// organization below `<prefix>/<org>/` (`HCAS_GCS_ENDPOINT`,
    /// `GOOGLE_APPLICATION_CREDENTIALS`, `HCAS_GCS_ANONYMOUS`).
    pub gcs: Option<hcas_store::documents::GcsConfig>,
    /// `None`: the key file `data_dir/keys/kek.json`.
    pub kms: Option<AwsKmsConfig>,
    /// `HCAS_ARCHIVE_AFTER_DAYS` (or `HCAS_ARCHIVE_AFTER_SECONDS`): documents
    /// older than this move to the archive tier; `None`: no tiering.
    pub archive_after: Option<std::time::Duration>,
    /// `HCAS_ARCHIVE_URL=s3://bucket/prefix`: the archive tier in S3
    /// (same endpoint and credentials as `HCAS_DOCUMENTS_URL`); `None`: files
    /// below `data_dir/archive/<org>/`.
    pub archive: Option<hcas_store::documents::S3Config>,
}

/// Most days `HCAS_ARCHIVE_AFTER_DAYS` may be (100 years).
const MAX_ARCHIVE_DAYS: u64 = 36_500;

/// `HCAS_KMS=aws:<key-id>`: an AWS-KMS-API key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AwsKmsConfig {
    /// The key id, key ARN, `alias/<name>` or alias ARN.
    pub key_id: String,
    /// `None`: `https://kms.<region>.amazonaws.com`.
    pub endpoint: Option<String>,
    /// Credentials and region (`AWS_*`).
    pub credentials: hcas_store::documents::AwsCredentials,
}

impl DocumentsConfig {
    /// Read the four settings (and, when one needs them, the `AWS_*`
    /// credentials) through `env`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable and what to write instead.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let store_err =
            |setting: &str, e: hcas_store::StoreError| ConfigError::new(setting, e.to_string());
        let url = get("HCAS_DOCUMENTS_URL");
        let kms = get("HCAS_KMS");
        let creds = || {
            hcas_store::documents::AwsCredentials::from_env(env)
                .map_err(|e| store_err("documents", e))
        };
        let mut out = Self::default();
        if let Some(url) = url.as_deref().filter(|u| u.trim().starts_with("gs://")) {
            if get("HCAS_S3_ENDPOINT").is_some() && get("HCAS_ARCHIVE_URL").is_none() {
                return Err(ConfigError::new(
                    "HCAS_S3_ENDPOINT",
                    "is set but HCAS_DOCUMENTS_URL is a gs:// location; use HCAS_GCS_ENDPOINT for a Cloud Storage endpoint",
                ));
            }
            let creds = hcas_store::documents::GcsCredentials::from_env(env)
                .map_err(|e| store_err("documents", e))?;
            let endpoint = get("HCAS_GCS_ENDPOINT");
            out.gcs = Some(
                hcas_store::documents::GcsConfig::parse(url.trim(), endpoint.as_deref(), creds)
                    .map_err(|e| store_err("HCAS_DOCUMENTS_URL", e))?,
            );
        } else if get("HCAS_GCS_ENDPOINT").is_some() {
            return Err(ConfigError::new(
                "HCAS_GCS_ENDPOINT",
                "is set but HCAS_DOCUMENTS_URL is not a gs:// location; set HCAS_DOCUMENTS_URL=gs://bucket/prefix too, or neither",
            ));
        } else if let Some(url) = url {
            let endpoint = get("HCAS_S3_ENDPOINT");
            out.s3 = Some(
                hcas_store::documents::S3Config::parse(url.trim(), endpoint.as_deref(), creds()?)
                    .map_err(|e| store_err("HCAS_DOCUMENTS_URL", e))?,
            );
        } else if get("HCAS_S3_ENDPOINT").is_some() && get("HCAS_ARCHIVE_URL").is_none() {
            return Err(ConfigError::new(
                "HCAS_S3_ENDPOINT",
                "is set but HCAS_DOCUMENTS_URL is not; set HCAS_DOCUMENTS_URL=s3://bucket/prefix (or HCAS_ARCHIVE_URL) too, or neither",
            ));
        }
        match kms.as_deref().map(str::trim) {
            None | Some("local") => {
                if get("HCAS_KMS_ENDPOINT").is_some() {
                    return Err(ConfigError::new(
                        "HCAS_KMS_ENDPOINT",
                        "is set but HCAS_KMS is not aws:<key-id>; set both or neither",
                    ));
                }
            }
            Some(v) => {
                let key_id = hcas_store::documents::aws::parse_aws_kms_setting(v)
                    .map_err(|e| store_err("HCAS_KMS", e))?
                    .ok_or_else(|| {
                        ConfigError::new(
                            "HCAS_KMS",
                            format!("`{v}` is neither `local` nor `aws:<key-id>` (e.g. aws:alias/hcas-records)"),
                        )
                    })?;
                out.kms = Some(AwsKmsConfig {
                    key_id,
                    endpoint: get("HCAS_KMS_ENDPOINT").map(|e| e.trim().to_string()),
                    credentials: creds()?,
                });
            }
        }
        let number = |k: &str, max: u64| -> Result<Option<u64>, ConfigError> {
            get(k)
                .map(|v| match v.trim().parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(ConfigError::new(
                        k,
                        format!("`{}` is not a whole number from 1 to {max}", v.trim()),
                    )),
                })
                .transpose()
        };
        let days = number("HCAS_ARCHIVE_AFTER_DAYS", MAX_ARCHIVE_DAYS)?;
        let seconds = number("HCAS_ARCHIVE_AFTER_SECONDS", MAX_ARCHIVE_DAYS * 86_400)?;
        out.archive_after = match (days, seconds) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "HCAS_ARCHIVE_AFTER_SECONDS",
                    "is set together with HCAS_ARCHIVE_AFTER_DAYS; set one of them",
                ));
            }
            (Some(d), None) => Some(std::time::Duration::from_secs(d * 86_400)),
            (None, Some(s)) => Some(std::time::Duration::from_secs(s)),
            (None, None) => None,
        };
        if let Some(url) = get("HCAS_ARCHIVE_URL") {
            if out.archive_after.is_none() {
                return Err(ConfigError::new(
                    "HCAS_ARCHIVE_URL",
                    "is set but HCAS_ARCHIVE_AFTER_DAYS is not; set the age too, or neither",
                ));
            }
            let endpoint = get("HCAS_S3_ENDPOINT");
            out.archive = Some(
                hcas_store::documents::S3Config::parse(url.trim(), endpoint.as_deref(), creds()?)
                    .map_err(|e| store_err("HCAS_ARCHIVE_URL", e))?,
            );
        }
        Ok(out)
    }
}

/// How notifications are sent (`HCAS_SMTP_*`, `HCAS_SMS_URL`, `HCAS_NOTIFY_*`;
/// `docs/notifications.md`). A channel without its transport writes to the
/// development sink, `<data_dir>/notifications.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotificationConfig {
    /// The SMTP server for e-mail (`smtp://host:port`); `None`: the sink.
    pub smtp_url: Option<String>,
    /// The sender of every e-mail.
    pub smtp_from: String,
    /// The SMS provider's URL (a JSON POST); `None`: the sink.
    pub sms_url: Option<String>,
    /// The start of every notification's link (`{link_base}/appointments/{id}`).
    pub link_base: String,
    /// Time limit, retry schedule and attempts (the webhook settings' shape).
    pub retry: WebhookConfig,
    /// How long before a booked appointment its reminders are due (empty:
    /// no reminders).
    pub reminder_leads: Vec<hcas_core::reminder::Lead>,
    /// The local window (the patient's zone) no reminder is sent in.
    pub quiet_hours: Option<hcas_core::reminder::QuietHours>,
}

/// `HCAS_REMINDER_LEADS`: comma-separated `<n>d` / `<n>m` (empty: none).
///
/// # Errors
/// `reminder_leads` naming the bad item.
pub fn parse_leads(text: &str) -> Result<Vec<hcas_core::reminder::Lead>, ConfigError> {
    use hcas_core::reminder::Lead;
    let mut leads = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let bad = || {
            ConfigError::new(
                "reminder_leads",
                format!(
                    "`{item}` is not a lead: give days as `<n>d` or minutes as `<n>m`, e.g. `1d,120m`"
                ),
            )
        };
        let unit = item.chars().next_back().ok_or_else(bad)?;
        let n: u32 = item[..item.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| bad())?;
        leads.push(match unit {
            'd' => Lead::Days(n),
            'm' => Lead::Minutes(n),
            _ => return Err(bad()),
        });
    }
    Ok(leads)
}

/// `HCAS_REMINDER_QUIET_HOURS`: `HH:MM-HH:MM` (`none` or empty: none).
///
/// # Errors
/// `reminder_quiet_hours` saying what to give.
pub fn parse_quiet_hours(
    text: &str,
) -> Result<Option<hcas_core::reminder::QuietHours>, ConfigError> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = |why: String| {
        ConfigError::new(
            "reminder_quiet_hours",
            format!("`{text}`: {why}; give a local window such as `21:00-08:00`, or `none`"),
        )
    };
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| bad("no `-` between start and end".to_string()))?;
    let start = hcas_core::LocalTime::parse(start.trim()).map_err(|e| bad(e.to_string()))?;
    let end = hcas_core::LocalTime::parse(end.trim()).map_err(|e| bad(e.to_string()))?;
    hcas_core::reminder::QuietHours::new(start, end)
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

impl Default for NotificationConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_from: "hcas@localhost".to_string(),
            sms_url: None,
            link_base: "http://localhost:8080".to_string(),
            retry: WebhookConfig {
                timeout_ms: 10_000,
                backoff_ms: 60_000,
                backoff_max_ms: 3_600_000,
                max_attempts: 8,
            },
            reminder_leads: vec![
                hcas_core::reminder::Lead::Days(1),
                hcas_core::reminder::Lead::Minutes(120),
            ],
            quiet_hours: hcas_core::LocalTime::new(21, 0)
                .and_then(|s| {
                    hcas_core::LocalTime::new(8, 0)
                        .and_then(|e| hcas_core::reminder::QuietHours::new(s, e))
                })
                .ok(),
        }
    }
}

/// What `GET /fhir/r4/$bulk-publish` publishes, without a token
/// (`publish_*` settings; docs/fhir.md, "Publishing availability").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishConfig {
    /// The organization whose locations, schedules and slots are public
    /// (`None`: the routes answer 404).
    pub org: Option<String>,
    /// How many days ahead (from the start of today, UTC) Slots are published.
    pub horizon_days: u32,
    /// The booking deep link template (`{slot}`, `{schedule}`, `{start}`);
    /// `None`: the Slot on this server's FHIR API.
    pub booking_url: Option<String>,
    /// A phone number to book by, on every published Slot.
    pub booking_phone: Option<String>,
    /// Address and contact points of provider locations, by their text.
    pub locations: BTreeMap<String, LocationDetails>,
}

impl Default for PublishConfig {
    fn default() -> Self {
        Self {
            org: None,
            horizon_days: 14,
            booking_url: None,
            booking_phone: None,
            locations: BTreeMap::new(),
        }
    }
}

/// A provider location's postal address and contact points, as published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LocationDetails {
    /// Street lines.
    pub line: Vec<String>,
    /// City.
    pub city: String,
    /// State or jurisdiction (`MA`).
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// County.
    #[serde(default)]
    pub district: Option<String>,
    /// General-information phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// General-information web page.
    #[serde(default)]
    pub url: Option<String>,
}

impl LocationDetails {
    /// At `line`, `city`, `state`, `postal_code`, without county or contacts.
    #[must_use]
    pub fn new(line: &[&str], city: &str, state: &str, postal_code: &str) -> Self {
        Self {
            line: line.iter().map(|l| (*l).to_string()).collect(),
            city: city.to_string(),
            state: state.to_string(),
            postal_code: postal_code.to_string(),
            district: None,
            phone: None,
            url: None,
        }
    }

    /// With this phone number and web page.
    #[must_use]
    pub fn with_contact(mut self, phone: Option<&str>, url: Option<&str>) -> Self {
        self.phone = phone.map(str::to_string);
        self.url = url.map(str::to_string);
        self
    }
}

/// How webhooks are delivered (`webhook_*` settings; `docs/webhooks.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// One POST's time limit, in milliseconds.
    pub timeout_ms: u64,
    /// The delay before the first retry, in milliseconds; doubled per attempt.
    pub backoff_ms: u64,
    /// The longest delay between attempts, in milliseconds.
    pub backoff_max_ms: u64,
    /// Attempts before a delivery is dead.
    pub max_attempts: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            backoff_ms: 10_000,
            backoff_max_ms: 3_600_000,
            max_attempts: 12,
        }
    }
}

/// An external OpenID Connect provider whose access tokens hcas accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcConfig {
    /// The provider's issuer URL (`iss`; discovery is `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The `aud` hcas's tokens must carry.
    pub audience: String,
    /// The one signing algorithm accepted (`RS256`, `ES256`, `EdDSA`, ...).
    pub algorithm: String,
    /// The claim holding the organization id.
    pub org_claim: String,
    /// The claim holding the roles (an array of strings, or one space-separated string).
    pub roles_claim: String,
}

impl OidcConfig {
    /// A provider at `issuer` for audience `audience`, with the defaults
    /// (`RS256`, claims `org` and `roles`).
    #[must_use]
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithm: "RS256".to_string(),
            org_claim: "org".to_string(),
            roles_claim: "roles".to_string(),
        }
    }
}

/// The file's shape: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    max_body_bytes: Option<usize>,
    max_upload_bytes: Option<u64>,
    log_format: Option<LogFormat>,
    request_timeout_seconds: Option<u64>,
    issuer: Option<String>,
    access_token_seconds: Option<u64>,
    refresh_token_seconds: Option<u64>,
    oidc_issuer: Option<String>,
    oidc_audience: Option<String>,
    oidc_algorithm: Option<String>,
    oidc_org_claim: Option<String>,
    oidc_roles_claim: Option<String>,
    self_registration: Option<OnOff>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
    cors_origins: Option<Vec<String>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    otlp_endpoint: Option<String>,
    webhook_timeout_ms: Option<u64>,
    webhook_backoff_ms: Option<u64>,
    webhook_backoff_max_ms: Option<u64>,
    webhook_max_attempts: Option<u32>,
    publish_org: Option<String>,
    publish_horizon_days: Option<u32>,
    publish_booking_url: Option<String>,
    publish_booking_phone: Option<String>,
    publish_locations: Option<BTreeMap<String, LocationDetails>>,
}

/// `on` or `off` in the file.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OnOff {
    On,
    Off,
}

/// `on`/`off` (also `true`/`false`, `1`/`0`, any case) of setting `setting`.
fn parse_on_off(setting: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(ConfigError::new(
            setting,
            format!("`{v}` is not `on` or `off`"),
        )),
    }
}

/// Most a rate limit (and its burst) may be set to, per second.
pub const MAX_RATE: u32 = 1_000_000;

/// Most a body limit may be set to (16 MiB): the API takes small JSON documents.
pub const MAX_BODY_LIMIT: usize = 16 << 20;

/// Most the document upload limit may be set to (1 GiB).
pub const MAX_UPLOAD_LIMIT: u64 = 1 << 30;

impl Config {
    /// Whether patients may register themselves (`self_registration` is `on`).
    #[must_use]
    pub fn self_registration_on(&self) -> bool {
        self.self_registration == Some(true)
    }

    /// The defaults with `data_dir` (tests and embedders).
    #[must_use]
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database: Database::Sqlite,
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 25 << 20,
            log_format: LogFormat::Json,
            request_timeout_seconds: 30,
            issuer: None,
            access_token_seconds: 900,
            refresh_token_seconds: 8 * 3600,
            oidc: None,
            self_registration: None,
            rate_limit_per_second: 100,
            rate_limit_burst: 200,
            cors_origins: Vec::new(),
            tls_cert: None,
            tls_key: None,
            otlp_endpoint: None,
            webhooks: WebhookConfig::default(),
            notifications: NotificationConfig::default(),
            publish: PublishConfig::default(),
            documents: DocumentsConfig::default(),
        }
    }

    /// Load: defaults, then `file` if given, then the environment (`env`
    /// looks a variable up; pass `|k| std::env::var(k).ok()`).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad setting.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let parsed = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| {
                    ConfigError::new("--config", format!("{}: {}", path.display(), e.message()))
                })?
            }
            None => FileConfig::default(),
        };
        let mut c = Self::with_data_dir("hcas-data");
        let listen = env("HCAS_LISTEN").or(parsed.listen);
        if let Some(l) = listen {
            c.listen = l.parse().map_err(|_| {
                ConfigError::new(
                    "listen",
                    format!("`{l}` is not an address and port such as 127.0.0.1:8080"),
                )
            })?;
        }
        if let Some(d) = env("HCAS_DATA_DIR").map(PathBuf::from).or(parsed.data_dir) {
            c.data_dir = d;
        }
        if let Some(url) = env("HCAS_DATABASE_URL").or(parsed.database_url) {
            c.database = parse_database(&url)?;
        }
        if let Some(v) = env("HCAS_MAX_BODY_BYTES") {
            c.max_body_bytes = parse_num("max_body_bytes", &v)?;
        } else if let Some(v) = parsed.max_body_bytes {
            c.max_body_bytes = v;
        }
        if let Some(v) = env("HCAS_MAX_UPLOAD_BYTES") {
            c.max_upload_bytes = parse_num("max_upload_bytes", &v)?;
        } else if let Some(v) = parsed.max_upload_bytes {
            c.max_upload_bytes = v;
        }
        if let Some(v) = env("HCAS_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                _ => {
                    return Err(ConfigError::new(
                        "log_format",
                        format!("`{v}` is not `json` or `pretty`"),
                    ));
                }
            };
        } else if let Some(f) = parsed.log_format {
            c.log_format = f;
        }
        if let Some(v) = env("HCAS_REQUEST_TIMEOUT_SECONDS") {
            c.request_timeout_seconds = parse_num("request_timeout_seconds", &v)?;
        } else if let Some(v) = parsed.request_timeout_seconds {
            c.request_timeout_seconds = v;
        }
        if let Some(v) = env("HCAS_SELF_REGISTRATION") {
            c.self_registration = Some(parse_on_off("self_registration", &v)?);
        } else if let Some(v) = parsed.self_registration {
            c.self_registration = Some(matches!(v, OnOff::On));
        }
        if let Some(v) = env("HCAS_RATE_LIMIT_PER_SECOND") {
            c.rate_limit_per_second = parse_num("rate_limit_per_second", &v)?;
        } else if let Some(v) = parsed.rate_limit_per_second {
            c.rate_limit_per_second = v;
        }
        if let Some(v) = env("HCAS_RATE_LIMIT_BURST") {
            c.rate_limit_burst = parse_num("rate_limit_burst", &v)?;
        } else if let Some(v) = parsed.rate_limit_burst {
            c.rate_limit_burst = v;
        }
        if let Some(v) = env("HCAS_CORS_ORIGINS") {
            c.cors_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_string)
                .collect();
        } else if let Some(v) = parsed.cors_origins {
            c.cors_origins = v;
        }
        if let Some(v) = env("HCAS_TLS_CERT").map(PathBuf::from).or(parsed.tls_cert) {
            c.tls_cert = Some(v);
        }
        if let Some(v) = env("HCAS_TLS_KEY").map(PathBuf::from).or(parsed.tls_key) {
            c.tls_key = Some(v);
        }
        if let Some(v) = env("HCAS_OTLP_ENDPOINT").or(parsed.otlp_endpoint) {
            c.otlp_endpoint = Some(v).filter(|v| !v.trim().is_empty());
        }
        let w = &mut c.webhooks;
        if let Some(v) = env("HCAS_WEBHOOK_TIMEOUT_MS") {
            w.timeout_ms = parse_num("webhook_timeout_ms", &v)?;
        } else if let Some(v) = parsed.webhook_timeout_ms {
            w.timeout_ms = v;
        }
        if let Some(v) = env("HCAS_WEBHOOK_BACKOFF_MS") {
            w.backoff_ms = parse_num("webhook_backoff_ms", &v)?;
        } else if let Some(v) = parsed.webhook_backoff_ms {
            w.backoff_ms = v;
        }
        if let Some(v) = env("HCAS_WEBHOOK_BACKOFF_MAX_MS") {
            w.backoff_max_ms = parse_num("webhook_backoff_max_ms", &v)?;
        } else if let Some(v) = parsed.webhook_backoff_max_ms {
            w.backoff_max_ms = v;
        }
        if let Some(v) = env("HCAS_WEBHOOK_MAX_ATTEMPTS") {
            w.max_attempts = parse_num("webhook_max_attempts", &v)?;
        } else if let Some(v) = parsed.webhook_max_attempts {
            w.max_attempts = v;
        }
        let n = &mut c.notifications;
        n.smtp_url = env("HCAS_SMTP_URL").filter(|v| !v.trim().is_empty());
        n.sms_url = env("HCAS_SMS_URL").filter(|v| !v.trim().is_empty());
        if let Some(v) = env("HCAS_SMTP_FROM") {
            n.smtp_from = v;
        }
        if let Some(v) = env("HCAS_NOTIFY_LINK_BASE") {
            n.link_base = v.trim_end_matches('/').to_string();
        }
        if let Some(v) = env("HCAS_NOTIFY_BACKOFF_MS") {
            n.retry.backoff_ms = parse_num("notify_backoff_ms", &v)?;
        }
        if let Some(v) = env("HCAS_NOTIFY_TIMEOUT_MS") {
            n.retry.timeout_ms = parse_num("notify_timeout_ms", &v)?;
        }
        if let Some(v) = env("HCAS_NOTIFY_MAX_ATTEMPTS") {
            n.retry.max_attempts = parse_num("notify_max_attempts", &v)?;
        }
        if let Some(v) = env("HCAS_REMINDER_LEADS") {
            n.reminder_leads = parse_leads(&v)?;
        }
        if let Some(v) = env("HCAS_REMINDER_QUIET_HOURS") {
            n.quiet_hours = parse_quiet_hours(&v)?;
        }
        c.documents = DocumentsConfig::from_env(&env)?;
        let p = &mut c.publish;
        p.org = env("HCAS_PUBLISH_ORG").or(parsed.publish_org);
        if let Some(v) = env("HCAS_PUBLISH_HORIZON_DAYS") {
            p.horizon_days = parse_num("publish_horizon_days", &v)?;
        } else if let Some(v) = parsed.publish_horizon_days {
            p.horizon_days = v;
        }
        p.booking_url = env("HCAS_PUBLISH_BOOKING_URL").or(parsed.publish_booking_url);
        p.booking_phone = env("HCAS_PUBLISH_BOOKING_PHONE").or(parsed.publish_booking_phone);
        p.locations = parsed.publish_locations.unwrap_or_default();
        c.issuer = env("HCAS_ISSUER").or(parsed.issuer);
        if let Some(v) = env("HCAS_ACCESS_TOKEN_SECONDS") {
            c.access_token_seconds = parse_num("access_token_seconds", &v)?;
        } else if let Some(v) = parsed.access_token_seconds {
            c.access_token_seconds = v;
        }
        if let Some(v) = env("HCAS_REFRESH_TOKEN_SECONDS") {
            c.refresh_token_seconds = parse_num("refresh_token_seconds", &v)?;
        } else if let Some(v) = parsed.refresh_token_seconds {
            c.refresh_token_seconds = v;
        }
        let oidc_audience = env("HCAS_OIDC_AUDIENCE").or(parsed.oidc_audience);
        if let Some(issuer) = env("HCAS_OIDC_ISSUER").or(parsed.oidc_issuer) {
            let audience = oidc_audience.ok_or_else(|| {
                ConfigError::new(
                    "oidc_audience",
                    "set it with `oidc_issuer`: the `aud` the provider puts in tokens for hcas",
                )
            })?;
            let mut o = OidcConfig::new(issuer, audience);
            if let Some(v) = env("HCAS_OIDC_ALGORITHM").or(parsed.oidc_algorithm) {
                o.algorithm = v;
            }
            if let Some(v) = env("HCAS_OIDC_ORG_CLAIM").or(parsed.oidc_org_claim) {
                o.org_claim = v;
            }
            if let Some(v) = env("HCAS_OIDC_ROLES_CLAIM").or(parsed.oidc_roles_claim) {
                o.roles_claim = v;
            }
            c.oidc = Some(o);
        } else if oidc_audience.is_some() {
            return Err(ConfigError::new(
                "oidc_issuer",
                "`oidc_audience` is set but `oidc_issuer` is not; set both or neither",
            ));
        }
        c.validate()?;
        Ok(c)
    }

    /// Check every setting's range.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let w = &self.webhooks;
        if !(100..=60_000).contains(&w.timeout_ms) {
            return Err(ConfigError::new(
                "webhook_timeout_ms",
                format!("{} is out of range; use 100 to 60000", w.timeout_ms),
            ));
        }
        if !(1..=3_600_000).contains(&w.backoff_ms) {
            return Err(ConfigError::new(
                "webhook_backoff_ms",
                format!("{} is out of range; use 1 to 3600000", w.backoff_ms),
            ));
        }
        if w.backoff_max_ms < w.backoff_ms || w.backoff_max_ms > 86_400_000 {
            return Err(ConfigError::new(
                "webhook_backoff_max_ms",
                format!(
                    "{} is out of range; use webhook_backoff_ms ({}) to 86400000",
                    w.backoff_max_ms, w.backoff_ms
                ),
            ));
        }
        if !(1..=100).contains(&w.max_attempts) {
            return Err(ConfigError::new(
                "webhook_max_attempts",
                format!("{} is out of range; use 1 to 100", w.max_attempts),
            ));
        }
        let n = &self.notifications;
        if !(1..=3_600_000).contains(&n.retry.backoff_ms)
            || n.retry.backoff_max_ms < n.retry.backoff_ms
        {
            return Err(ConfigError::new(
                "notify_backoff_ms",
                format!(
                    "{} is out of range; use 1 to 3600000 (at most the longest delay, {})",
                    n.retry.backoff_ms, n.retry.backoff_max_ms
                ),
            ));
        }
        if !(100..=60_000).contains(&n.retry.timeout_ms) {
            return Err(ConfigError::new(
                "notify_timeout_ms",
                format!("{} is out of range; use 100 to 60000", n.retry.timeout_ms),
            ));
        }
        if !(1..=100).contains(&n.retry.max_attempts) {
            return Err(ConfigError::new(
                "notify_max_attempts",
                format!("{} is out of range; use 1 to 100", n.retry.max_attempts),
            ));
        }
        // The engine's own rule for leads (range, count), on a dummy booking.
        if let Err(e) = hcas_core::reminder::schedule(
            hcas_core::Timestamp::MIN,
            hcas_core::Zone::UTC,
            &n.reminder_leads,
            n.quiet_hours,
            hcas_core::Timestamp::MIN,
        ) {
            return Err(ConfigError::new("reminder_leads", e.to_string()));
        }
        if let Some(u) = &n.smtp_url {
            let l = u.to_ascii_lowercase();
            if !(l.starts_with("smtp://") || l.starts_with("smtps://")) {
                return Err(ConfigError::new(
                    "smtp_url",
                    "must be an smtp:// or smtps:// URL such as smtp://mail.example:587?tls=required",
                ));
            }
        }
        for (setting, url) in [
            ("sms_url", n.sms_url.as_deref()),
            ("notify_link_base", Some(n.link_base.as_str())),
        ] {
            if let Some(u) = url {
                let l = u.to_ascii_lowercase();
                if !(l.starts_with("http://") || l.starts_with("https://")) {
                    return Err(ConfigError::new(
                        setting,
                        "must be an http:// or https:// URL",
                    ));
                }
            }
        }
        if self.max_body_bytes < 1024 || self.max_body_bytes > MAX_BODY_LIMIT {
            return Err(ConfigError::new(
                "max_body_bytes",
                format!(
                    "{} is out of range; use 1024 to {MAX_BODY_LIMIT}",
                    self.max_body_bytes
                ),
            ));
        }
        if !(1024..=MAX_UPLOAD_LIMIT).contains(&self.max_upload_bytes) {
            return Err(ConfigError::new(
                "max_upload_bytes",
                format!(
                    "{} is out of range; use 1024 to {MAX_UPLOAD_LIMIT}",
                    self.max_upload_bytes
                ),
            ));
        }
        if !(1..=3600).contains(&self.request_timeout_seconds) {
            return Err(ConfigError::new(
                "request_timeout_seconds",
                "use 1 to 3600 seconds",
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("data_dir", "must not be empty"));
        }
        if self.rate_limit_per_second > MAX_RATE {
            return Err(ConfigError::new(
                "rate_limit_per_second",
                format!("use 0 (off) to {MAX_RATE}"),
            ));
        }
        if self.rate_limit_per_second > 0 && !(1..=MAX_RATE).contains(&self.rate_limit_burst) {
            return Err(ConfigError::new(
                "rate_limit_burst",
                format!("use 1 to {MAX_RATE} while rate limiting is on"),
            ));
        }
        for o in &self.cors_origins {
            let ok = o == "*"
                || ((o.starts_with("https://") || o.starts_with("http://"))
                    && !o.ends_with('/')
                    && axum::http::HeaderValue::from_str(o).is_ok());
            if !ok {
                return Err(ConfigError::new(
                    "cors_origins",
                    format!(
                        "`{o}` is not an origin such as https://app.example (scheme and host, no path or trailing /) or `*`"
                    ),
                ));
            }
        }
        if self.cors_origins.len() > 1 && self.cors_origins.iter().any(|o| o == "*") {
            return Err(ConfigError::new(
                "cors_origins",
                "`*` allows every origin; list it alone",
            ));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "tls_key",
                    "`tls_cert` is set: also set `tls_key` (the PEM private key)",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "tls_cert",
                    "`tls_key` is set: also set `tls_cert` (the PEM certificate chain)",
                ));
            }
            _ => {}
        }
        if let Some(e) = &self.otlp_endpoint
            && !reqwest::Url::parse(e).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none()
            })
        {
            return Err(ConfigError::new(
                "otlp_endpoint",
                format!(
                    "`{e}` is not an http:// or https:// base URL of an OTLP/HTTP collector (`http://collector:4318`, no query)"
                ),
            ));
        }
        if !(60..=3600).contains(&self.access_token_seconds) {
            return Err(ConfigError::new(
                "access_token_seconds",
                "use 60 to 3600 seconds (access tokens are short-lived; refresh them)",
            ));
        }
        if !(300..=30 * 86400).contains(&self.refresh_token_seconds) {
            return Err(ConfigError::new(
                "refresh_token_seconds",
                "use 300 to 2592000 seconds (30 days)",
            ));
        }
        if let Some(i) = &self.issuer {
            check_url("issuer", i)?;
        }
        self.publish.validate()?;
        if let Some(o) = &self.oidc {
            check_url("oidc_issuer", &o.issuer)?;
            if o.audience.trim().is_empty() {
                return Err(ConfigError::new("oidc_audience", "must not be empty"));
            }
            if crate::auth::algorithm(&o.algorithm).is_none() {
                return Err(ConfigError::new(
                    "oidc_algorithm",
                    format!(
                        "`{}` is not an asymmetric JWS algorithm; use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA",
                        o.algorithm
                    ),
                ));
            }
            for (setting, v) in [
                ("oidc_org_claim", &o.org_claim),
                ("oidc_roles_claim", &o.roles_claim),
            ] {
                if v.trim().is_empty() {
                    return Err(ConfigError::new(setting, "must name a claim"));
                }
            }
        }
        Ok(())
    }
}

impl PublishConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(org) = &self.org {
            crate::tenants::OrgId::parse(org).map_err(|_| {
                ConfigError::new(
                    "publish_org",
                    format!("`{org}` is not an organization id (1 to 40 of a-z, 0-9 and -)"),
                )
            })?;
        }
        if !(1..=62).contains(&self.horizon_days) {
            return Err(ConfigError::new(
                "publish_horizon_days",
                format!("{} is out of range; use 1 to 62", self.horizon_days),
            ));
        }
        if let Some(u) = &self.booking_url {
            check_url("publish_booking_url", u)?;
            let unknown = u
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
                .find(|name| !["slot", "schedule", "start"].contains(name));
            if let Some(name) = unknown {
                return Err(ConfigError::new(
                    "publish_booking_url",
                    format!(
                        "`{{{name}}}` is not a placeholder; use {{slot}}, {{schedule}} or {{start}}"
                    ),
                ));
            }
        }
        if self
            .booking_phone
            .as_ref()
            .is_some_and(|p| p.trim().is_empty())
        {
            return Err(ConfigError::new(
                "publish_booking_phone",
                "is blank; give a phone number or leave it unset",
            ));
        }
        for (name, l) in &self.locations {
            let setting = format!("publish_locations.\"{name}\"");
            let blank = [
                ("city", &l.city),
                ("state", &l.state),
                ("postal_code", &l.postal_code),
            ]
            .into_iter()
            .find(|(_, v)| v.trim().is_empty());
            if let Some((key, _)) = blank {
                return Err(ConfigError::new(
                    &setting,
                    format!("`{key}` must not be blank"),
                ));
            }
            if l.line.is_empty() || l.line.iter().any(|x| x.trim().is_empty()) {
                return Err(ConfigError::new(
                    &setting,
                    "`line`: give the street lines, none blank",
                ));
            }
            if let Some(u) = &l.url {
                check_url(&setting, u)?;
            }
        }
        Ok(())
    }
}

fn parse_database(url: &str) -> Result<Database, ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Database::Postgres(url.to_string()))
    } else {
        Err(ConfigError::new(
            "database_url",
            "must be a postgres:// URL (leave it unset for SQLite in `data_dir`)",
        ))
    }
}

fn check_url(setting: &str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.contains(char::is_whitespace) => Ok(()),
        _ => Err(ConfigError::new(
            setting,
            format!("`{url}` is not an http(s):// URL"),
        )),
    }
}

fn parse_num<T: std::str::FromStr>(setting: &str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError::new(setting, format!("`{v}` is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_then_file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hcas.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 2048\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[("HCAS_MAX_BODY_BYTES", "4096")])).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.max_body_bytes, 4096);
        assert_eq!(c.database, Database::Sqlite);
    }

    #[test]
    fn reminder_settings_load_and_are_checked() {
        use hcas_core::reminder::Lead;
        let c = Config::load(None, env(&[])).unwrap();
        let n = &c.notifications;
        assert_eq!(n.reminder_leads, vec![Lead::Days(1), Lead::Minutes(120)]);
        let q = n.quiet_hours.unwrap();
        assert_eq!((q.start().hour(), q.end().hour()), (21, 8));
        let c = Config::load(
            None,
            env(&[
                ("HCAS_REMINDER_LEADS", " 2d, 30m ,1d"),
                ("HCAS_REMINDER_QUIET_HOURS", "22:30-07:15"),
                ("HCAS_NOTIFY_TIMEOUT_MS", "1000"),
            ]),
        )
        .unwrap();
        let n = &c.notifications;
        assert_eq!(
            n.reminder_leads,
            vec![Lead::Days(2), Lead::Minutes(30), Lead::Days(1)]
        );
        let q = n.quiet_hours.unwrap();
        assert_eq!(
            (
                q.start().hour(),
                q.start().minute(),
                q.end().hour(),
                q.end().minute()
            ),
            (22, 30, 7, 15)
        );
        assert_eq!(n.retry.timeout_ms, 1000);
        let c = Config::load(
            None,
            env(&[
                ("HCAS_REMINDER_LEADS", ""),
                ("HCAS_REMINDER_QUIET_HOURS", "none"),
            ]),
        )
        .unwrap();
        assert!(c.notifications.reminder_leads.is_empty());
        assert!(c.notifications.quiet_hours.is_none());
        for (key, value, setting) in [
            ("HCAS_REMINDER_LEADS", "2h", "reminder_leads"),
            ("HCAS_REMINDER_LEADS", "d", "reminder_leads"),
            ("HCAS_REMINDER_LEADS", "1é", "reminder_leads"),
            ("HCAS_REMINDER_LEADS", "-1d", "reminder_leads"),
            ("HCAS_REMINDER_LEADS", "0m", "reminder_leads"),
            ("HCAS_REMINDER_LEADS", "61d", "reminder_leads"),
            (
                "HCAS_REMINDER_LEADS",
                "1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m,12m,13m,14m,15m,16m,17m",
                "reminder_leads",
            ),
            ("HCAS_REMINDER_QUIET_HOURS", "21:00", "reminder_quiet_hours"),
            (
                "HCAS_REMINDER_QUIET_HOURS",
                "25:00-08:00",
                "reminder_quiet_hours",
            ),
            (
                "HCAS_REMINDER_QUIET_HOURS",
                "08:00-08:00",
                "reminder_quiet_hours",
            ),
            ("HCAS_NOTIFY_TIMEOUT_MS", "99", "notify_timeout_ms"),
        ] {
            let e = Config::load(None, env(&[(key, value)])).unwrap_err();
            assert_eq!(e.setting, setting, "{key}={value}: {e}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn self_registration_is_off_unless_on() {
        assert!(!Config::with_data_dir("d").self_registration_on());
        for (value, on) in [
            ("on", true),
            ("ON", true),
            ("1", true),
            ("off", false),
            ("0", false),
        ] {
            let c = Config::load(None, env(&[("HCAS_SELF_REGISTRATION", value)])).unwrap();
            assert_eq!(c.self_registration_on(), on, "{value}");
        }
        let e = Config::load(None, env(&[("HCAS_SELF_REGISTRATION", "yes please")])).unwrap_err();
        assert_eq!(e.setting, "self_registration");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hcas.toml");
        std::fs::write(&file, "self_registration = \"on\"\n").unwrap();
        assert!(
            Config::load(Some(&file), env(&[]))
                .unwrap()
                .self_registration_on()
        );
        // The environment wins over the file.
        let c = Config::load(Some(&file), env(&[("HCAS_SELF_REGISTRATION", "off")])).unwrap();
        assert!(!c.self_registration_on());
        // --demo turns an unset one on, and leaves an explicit `off` off.
        let mut c = Config::with_data_dir("d");
        crate::demo::configure(&mut c);
        assert!(c.self_registration_on());
        let mut c = Config::load(None, env(&[("HCAS_SELF_REGISTRATION", "off")])).unwrap();
        crate::demo::configure(&mut c);
        assert!(!c.self_registration_on());
    }

    #[test]
    fn publish_settings_load_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hcas.toml");
        std::fs::write(
            &file,
            "publish_org = \"clinic\"\npublish_booking_url = \"https://b.example/{slot}?at={start}\"\n\
             [publish_locations.\"Main St\"]\nline = [\"1 Main St\"]\ncity = \"S\"\nstate = \"MA\"\npostal_code = \"01101\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[("HCAS_PUBLISH_HORIZON_DAYS", "7")])).unwrap();
        assert_eq!(c.publish.org.as_deref(), Some("clinic"));
        assert_eq!(c.publish.horizon_days, 7);
        assert_eq!(c.publish.locations["Main St"].postal_code, "01101");
        assert_eq!(Config::with_data_dir("d").publish.horizon_days, 14);
        for (key, value) in [
            ("HCAS_PUBLISH_HORIZON_DAYS", "0"),
            ("HCAS_PUBLISH_HORIZON_DAYS", "63"),
            ("HCAS_PUBLISH_ORG", "Clinic A"),
            ("HCAS_PUBLISH_BOOKING_URL", "https://b.example/{id}"),
            ("HCAS_PUBLISH_BOOKING_URL", "book.example"),
            ("HCAS_PUBLISH_BOOKING_PHONE", " "),
        ] {
            let e = Config::load(None, env(&[(key, value)])).unwrap_err();
            assert_eq!(
                e.setting,
                key.trim_start_matches("HCAS_").to_lowercase(),
                "{value}"
            );
        }
        std::fs::write(
            &file,
            "[publish_locations.\"Annex\"]\nline = []\ncity = \"S\"\nstate = \"MA\"\npostal_code = \"1\"\n",
        )
        .unwrap();
        let e = Config::load(Some(&file), env(&[])).unwrap_err();
        assert_eq!(e.setting, "publish_locations.\"Annex\"");
    }

    #[test]
    fn mistakes_name_the_setting() {
        let e = Config::load(None, env(&[("HCAS_LISTEN", "localhost")])).unwrap_err();
        assert_eq!(e.setting, "listen");
        let e = Config::load(None, env(&[("HCAS_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert_eq!(e.setting, "database_url");
        let e = Config::load(None, env(&[("HCAS_MAX_BODY_BYTES", "10")])).unwrap_err();
        assert_eq!(e.setting, "max_body_bytes");
        let e = Config::load(None, env(&[("HCAS_LOG_FORMAT", "xml")])).unwrap_err();
        assert_eq!(e.setting, "log_format");
        let e = Config::load(None, env(&[("HCAS_RATE_LIMIT_PER_SECOND", "-1")])).unwrap_err();
        assert_eq!(e.setting, "rate_limit_per_second");
        let e = Config::load(None, env(&[("HCAS_RATE_LIMIT_BURST", "0")])).unwrap_err();
        assert_eq!(e.setting, "rate_limit_burst");
        let e = Config::load(None, env(&[("HCAS_CORS_ORIGINS", "app.example")])).unwrap_err();
        assert_eq!(e.setting, "cors_origins");
        let e = Config::load(None, env(&[("HCAS_TLS_CERT", "/x.pem")])).unwrap_err();
        assert_eq!(e.setting, "tls_key");
        for bad in [
            "collector:4318",
            "http://",
            "http://c:4318/?x=1",
            "ftp://c:4318",
        ] {
            let e = Config::load(None, env(&[("HCAS_OTLP_ENDPOINT", bad)])).unwrap_err();
            assert_eq!(e.setting, "otlp_endpoint", "{bad}");
        }
        let c = Config::load(
            None,
            env(&[("HCAS_OTLP_ENDPOINT", "http://127.0.0.1:4318")]),
        );
        assert_eq!(
            c.unwrap().otlp_endpoint.as_deref(),
            Some("http://127.0.0.1:4318")
        );
        let c = Config::load(
            None,
            env(&[
                (
                    "HCAS_CORS_ORIGINS",
                    "https://a.example, http://b.example:8080",
                ),
                ("HCAS_RATE_LIMIT_PER_SECOND", "0"),
                ("HCAS_RATE_LIMIT_BURST", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(
            c.cors_origins,
            ["https://a.example", "http://b.example:8080"]
        );
        assert_eq!(c.rate_limit_per_second, 0);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hcas.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let e = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(e.message.contains("lisen"), "{e}");
    }

    #[test]
    fn auth_settings() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!((c.access_token_seconds, c.oidc.is_none()), (900, true));
        let e = Config::load(None, env(&[("HCAS_ACCESS_TOKEN_SECONDS", "86400")])).unwrap_err();
        assert_eq!(e.setting, "access_token_seconds");
        let e = Config::load(None, env(&[("HCAS_OIDC_ISSUER", "http://idp")])).unwrap_err();
        assert_eq!(e.setting, "oidc_audience");
        let e = Config::load(None, env(&[("HCAS_OIDC_AUDIENCE", "hcas")])).unwrap_err();
        assert_eq!(e.setting, "oidc_issuer");
        let both = [
            ("HCAS_OIDC_ISSUER", "http://idp"),
            ("HCAS_OIDC_AUDIENCE", "hcas"),
        ];
        let c = Config::load(None, env(&both)).unwrap();
        let o = c.oidc.unwrap();
        assert_eq!(
            (o.algorithm.as_str(), o.org_claim.as_str()),
            ("RS256", "org")
        );
        let mut bad = both.to_vec();
        bad.push(("HCAS_OIDC_ALGORITHM", "HS256"));
        let e = Config::load(None, env(&bad)).unwrap_err();
        assert_eq!(e.setting, "oidc_algorithm");
        let e = Config::load(
            None,
            env(&[("HCAS_OIDC_ISSUER", "idp"), ("HCAS_OIDC_AUDIENCE", "a")]),
        )
        .unwrap_err();
        assert_eq!(e.setting, "oidc_issuer");
    }
}
