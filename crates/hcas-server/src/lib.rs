#![doc = "The hcas reference server: the gateway and the services in one process."]
//!
//! `hcas-server` runs the API gateway and every service of the system design
//! in one process (embedded mode), on SQLite files in a data directory by
//! default or on PostgreSQL by configuration ([`config`]). Each service is a
//! module with its own routes and store ports, and reaches the others only
//! through their typed client interfaces, so running them as separate
//! processes later is a deployment change.
//!
//! # Layout
//!
//! | module | what |
//! |---|---|
//! | [`config`] | settings: defaults, file, environment, validated at start |
//! | [`error`] | every error as `application/problem+json` (RFC 9457) with the stable code |
//! | `extract.rs` | JSON, path and query extractors whose rejections are problems |
//! | `gateway.rs` | request ids, trace context, metrics by route, time limits, panics, unknown routes, CORS |
//! | [`metrics`] | Prometheus metrics (`/metrics`) and the [`metrics::Metrics`] handle services count with |
//! | [`ratelimit`] | a token bucket per client: 429 `rate_limited` with `Retry-After` |
//! | [`tls`] | HTTPS with rustls when `tls_cert` and `tls_key` are set |
//! | `telemetry.rs` | W3C `traceparent`: continued or started, logged, echoed |
//! | `otlp.rs` | one span per sampled request, exported over OTLP/HTTP (JSON) when `otlp_endpoint` is set |
//! | [`tenants`] | organizations and their stores (a SQLite file or a PostgreSQL schema each) |
//! | [`auth`] | the [`auth::Principal`] of a verified token, the [`auth::Verifier`] that checks tokens, the own issuer and the OpenID Connect mode |
//! | [`access`] | the gate before patient data: the consent engine's decision, audited, fail closed |
//! | [`audit`] | the tamper-evident audit log (a SHA-256 hash chain) and its `verify` |
//! | `engine.rs` | the engine API: the core as a stateless service (`POST /v1/engine/{kind}`) |
//! | `health.rs` | `/healthz`, `/readyz` |
//! | [`demo`] | `--demo`: a sample clinic loaded through the API |
//! | [`events`] | the in-process event bus: an outbox relay per organization, a broadcast channel |
//! | [`readmodel`] | slot search's cache of providers' availability, kept fresh by the bus |
//! | [`notifications`] | notifications to patients: from the outbox, a durable queue per event, channel and patient, consent-gated, templated, sent to the dev sink, SMTP or an SMS provider; the staff API |
//! | [`webhooks`] | webhooks: events from the outbox, a durable queue per subscription, signed POSTs with retries, the admin API |
//! | [`services`] | the services: doctors (providers, schedules), appointments (slots, bookings) |
//! | [`fhir`] | the FHIR R4 read and search API under `/fhir/r4` (errors as `OperationOutcome`) |
//! | [`web`] | the web frontend (`web/dist`, embedded at compile time) at `/` and `/assets/*`, with its security headers |
//!
//! Start a server in a test or an embedding program with [`start`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = hcas_server::config::Config::with_data_dir("/tmp/hcas-example");
//! config.listen = "127.0.0.1:0".parse()?;
//! let server = hcas_server::start(config).await?;
//! println!("listening on http://{}", server.addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub mod access;
pub mod audit;
pub mod auth;
pub mod config;
pub mod demo;
mod engine;
pub mod error;
pub mod events;
mod extract;
pub mod fhir;
mod gateway;
mod health;
pub mod metrics;
pub mod notifications;
pub(crate) mod org_workers;
mod otlp;
pub mod ratelimit;
pub mod readmodel;
pub mod services;
mod telemetry;
pub mod tenants;
pub mod tls;
pub mod web;
pub mod webhooks;

use config::Config;
use tenants::Tenants;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The organizations and their stores.
    pub tenants: Arc<Tenants>,
    /// Checks bearer tokens ([`auth::DenyAll`] until an issuer is configured).
    pub verifier: auth::SharedVerifier,
    /// The doctors service, as other services call it.
    pub doctors: Arc<dyn services::doctors::DoctorsClient>,
    /// The in-process event bus (outbox relays per organization).
    pub bus: Arc<events::Bus>,
    /// The slot search read model.
    pub slots: Arc<readmodel::ReadModel>,
    /// hcas as its own token issuer (login, refresh, JWKS), when it is one.
    pub issuer: Option<Arc<auth::Issuer>>,
    /// The metrics: services count bookings, conflicts, consent denials
    /// and break-glass uses here.
    pub metrics: Arc<metrics::Metrics>,
    /// The per-client rate limiter (`None`: off).
    pub rate_limiter: Option<Arc<ratelimit::RateLimiter>>,
    /// The OTLP span exporter (`None`: `otlp_endpoint` unset, or not
    /// started yet: [`start_with_signal`] starts it).
    pub(crate) otlp: Option<Arc<otlp::Exporter>>,
}

impl AppState {
    /// The state for `config`: its tenants, and a verifier that refuses
    /// every token (replace it with [`AppState::with_verifier`]).
    #[must_use]
    pub fn new(config: Config) -> Self {
        let tenants = Arc::new(Tenants::new(&config));
        let doctors: Arc<dyn services::doctors::DoctorsClient> =
            Arc::new(services::doctors::LocalDoctors::new(Arc::clone(&tenants)));
        Self {
            slots: Arc::new(readmodel::ReadModel::new(Arc::clone(&doctors))),
            doctors,
            bus: Arc::new(events::Bus::with_services(
                Arc::new(webhooks::Dispatcher::new(config.webhooks)),
                Arc::new(notifications::Notifier::new(
                    config.notifications.clone(),
                    &config.data_dir,
                )),
            )),
            tenants,
            metrics: Arc::new(metrics::Metrics::new()),
            rate_limiter: ratelimit::RateLimiter::new(
                config.rate_limit_per_second,
                config.rate_limit_burst,
            )
            .map(Arc::new),
            config: Arc::new(config),
            verifier: Arc::new(auth::DenyAll),
            issuer: None,
            otlp: None,
        }
    }

    /// The state [`start`] serves: with `oidc_issuer` set, a verifier of that
    /// provider's tokens; otherwise hcas as its own issuer (its key loaded
    /// from, or created in, `<data_dir>/keys/`).
    ///
    /// # Errors
    /// [`StartError::Auth`] for an unreadable or corrupt key, or an HTTP
    /// client that cannot be built.
    pub fn configured(config: Config) -> Result<Self, StartError> {
        config.validate()?;
        if let Some(o) = config.oidc.clone() {
            let alg = auth::algorithm(&o.algorithm).ok_or_else(|| {
                config::ConfigError::new("oidc_algorithm", "not an asymmetric JWS algorithm")
            })?;
            let keys = auth::OidcKeys::new(o.issuer.clone()).map_err(StartError::Http)?;
            let verifier = auth::JwtVerifier::new(Arc::new(keys), alg, o.issuer, o.audience)
                .with_claims(o.org_claim, o.roles_claim);
            return Ok(Self::new(config).with_verifier(Arc::new(verifier)));
        }
        let issuer = auth::Issuer::open(&config)?;
        Ok(Self::new(config).with_issuer(Arc::new(issuer)))
    }

    /// This state with `issuer` issuing tokens and its verifier checking them.
    #[must_use]
    pub fn with_issuer(mut self, issuer: Arc<auth::Issuer>) -> Self {
        self.verifier = Arc::new(issuer.verifier());
        self.issuer = Some(issuer);
        self
    }

    /// This state with `verifier` checking tokens.
    #[must_use]
    pub fn with_verifier(mut self, verifier: auth::SharedVerifier) -> Self {
        self.verifier = verifier;
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hcas",
        description = "Healthcare appointment scheduling: the reference server's API. Errors are application/problem+json (RFC 9457) with a stable `code`."
    ),
    tags(
        (name = "engine", description = "The scheduling engine as a stateless service"),
        (name = "providers", description = "The doctors service: provider profiles and schedules"),
        (name = "appointments", description = "Slot search, holds, bookings and their lifecycle"),
        (name = "rooms", description = "The rooms providers see patients in, and each room's appointments (staff)"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "patients", description = "Patients' registration and profiles, and the access gate"),
        (name = "consents", description = "Patients' consents: grant, list, revoke"),
        (name = "records", description = "Medical-record documents, encrypted at rest: upload, list, read, download, delete"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "auth", description = "Log in, refresh, who am I, and the issuer's keys"),
        (name = "webhooks", description = "Webhook subscriptions, their deliveries, replay (administrators)"),
        (name = "notifications", description = "Notifications to patients: an appointment's delivery log, resend (staff)"),
        (name = "feeds", description = "Calendar feeds (iCalendar) behind unguessable, revocable tokens"),
    ),
    components(schemas(error::Problem))
)]
struct ApiDoc;

/// The application: every route and layer, and the OpenAPI document
/// generated from the same routes.
pub fn app(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(engine::routes())
        .merge(health::routes())
        .merge(services::routes())
        .merge(auth::routes::routes())
        .merge(metrics::routes())
        .merge(webhooks::routes::routes())
        .merge(notifications::routes::routes())
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut doc = serde_json::to_value(&api).unwrap_or_default();
    gateway::document_gateway_responses(&mut doc);
    if let Ok(documented) = serde_json::from_value(doc.clone()) {
        api = documented;
    }
    let router = router
        .route(
            "/openapi.json",
            axum::routing::get(move || std::future::ready(axum::Json(doc.clone()))),
        )
        .merge(fhir::routes())
        .merge(web::routes())
        .fallback(gateway::not_found)
        .method_not_allowed_fallback(gateway::method_not_allowed)
        .layer(axum::middleware::from_fn(access::purpose_header))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            gateway::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .layer(axum::middleware::from_fn(fhir::outcomes))
        .layer(tower::util::option_layer(gateway::cors_layer(
            &state.config.cors_origins,
        )))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gateway::request_context,
        ))
        .with_state(state);
    (router, api)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A configuration mistake.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The token issuer or verifier could not be set up.
    #[error(transparent)]
    Auth(#[from] auth::AuthSetupError),
    /// The HTTP client for the OpenID Connect provider could not be built.
    #[error("cannot build the HTTP client for the OpenID Connect provider: {0}")]
    Http(String),
    /// The OTLP exporter's HTTP client could not be built.
    #[error("cannot set up the OTLP exporter: {0}")]
    Otlp(String),
    /// The documents' key file could not be created or read.
    #[error("the documents' key file: {0}")]
    Documents(String),
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A running server.
pub struct Running {
    addr: SocketAddr,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    state: AppState,
    /// The archive job (with `HCAS_ARCHIVE_AFTER_*`), aborted on shutdown.
    archiver: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(a) = self.archiver.take() {
            a.abort();
        }
    }
}

/// Documents the archive job moves per call of `archive_older_than`.
const ARCHIVE_BATCH: usize = 100;

/// The archive job: every `age / 4` (1 s to 1 h), move the documents
/// older than `age` of every organization to the archive tier.
fn start_archiver(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let age = state.config.documents.archive_after?;
    let chrono_age = chrono::Duration::from_std(age).ok()?;
    let every = (age / 4).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(3600),
    );
    let tenants = Arc::clone(&state.tenants);
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let moved = tenants
                .archive_pass(chrono::Utc::now() - chrono_age, ARCHIVE_BATCH)
                .await;
            if moved > 0 {
                tracing::info!(moved, "archive: documents moved to the archive tier");
            }
        }
    }))
}

impl Running {
    /// The address it listens on (the real port when `listen` had port 0).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL: `http://` or, with TLS, `https://` and the address.
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The shared state (tests and embedders create organizations with it).
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stop accepting connections, let in-flight requests finish, send
    /// the trace spans still queued (with `otlp_endpoint`), and wait.
    pub async fn shutdown(mut self) {
        if let Some(a) = self.archiver.take() {
            a.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server ended with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        self.flush_spans().await;
    }

    /// Wait until the server ends (after `shutdown_signal` resolves), then
    /// send the trace spans still queued (with `otlp_endpoint`).
    pub async fn wait(mut self) {
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server ended with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        self.flush_spans().await;
    }

    async fn flush_spans(&self) {
        if let Some(exporter) = &self.state.otlp {
            exporter.shutdown().await;
        }
    }
}

/// Validate `config`, create the data directory, bind and serve in the
/// background until [`Running::shutdown`].
///
/// # Errors
/// [`StartError`] naming what to fix.
pub async fn start(config: Config) -> Result<Running, StartError> {
    start_with_signal(AppState::configured(config)?, std::future::pending()).await
}

/// As [`start`], with a prepared state (a verifier, say).
///
/// # Errors
/// [`StartError`] naming what to fix.
pub async fn start_state(state: AppState) -> Result<Running, StartError> {
    start_with_signal(state, std::future::pending()).await
}

/// As [`start`], also stopping gracefully when `signal` resolves (the binary
/// passes SIGTERM and Ctrl-C). With `otlp_endpoint` set, it also starts
/// exporting a span per request (sent on until [`Running::shutdown`] or
/// [`Running::wait`] ends).
///
/// # Errors
/// [`StartError`] naming what to fix.
pub async fn start_with_signal(
    mut state: AppState,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let config = Arc::clone(&state.config);
    config.validate()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    // The documents' key file: created (0600) on first start, checked on
    // every start, so a bad one stops the server rather than an upload.
    // With HCAS_KMS=aws:.. the key must wrap and unwrap; with
    // HCAS_DOCUMENTS_URL the bucket must answer.
    state.tenants.kms().await.map_err(|e| {
        StartError::Documents(format!(
            "{} ({}): see the log",
            e.problem(None).detail,
            match &config.documents.kms {
                Some(k) => format!("KMS key {}", k.key_id),
                None => format!("key file under {}", config.data_dir.display()),
            }
        ))
    })?;
    state
        .tenants
        .check_document_storage()
        .await
        .map_err(|e| StartError::Documents(format!("{}: see the log", e.problem(None).detail)))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    if let Some(issuer) = &state.issuer {
        issuer.bound(addr);
    }
    if state.otlp.is_none()
        && let Some(endpoint) = &config.otlp_endpoint
    {
        let exporter = otlp::Exporter::start(endpoint, Arc::clone(&state.metrics))
            .map_err(StartError::Otlp)?;
        state.otlp = Some(Arc::new(exporter));
    }
    // Resume every organization's outbox relay and webhook deliveries now,
    // not at its first request (events committed before a crash go out).
    let resume = state.clone();
    tokio::spawn(async move {
        for org in resume.tenants.list().await.unwrap_or_default() {
            if let Ok(store) = resume.tenants.store(&org).await {
                resume.bus.ensure(&org, store);
                resume.slots.listen(&resume.bus);
            }
        }
    });
    let (router, _) = app(state.clone());
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = stopped => {}
            () = signal => {}
        }
    };
    let is_tls = tls.is_some();
    let task = match tls {
        Some(tls) => {
            let listener = tls::TlsListener::new(listener, tls)
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?
                .tap_io(|io| {
                    let _ = io.get_ref().0.set_nodelay(true);
                });
            tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            })
        }
        None => tokio::spawn(async move {
            // Small JSON answers: send them now, not after Nagle's delay.
            let listener = listener.tap_io(|io| {
                let _ = io.set_nodelay(true);
            });
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
        }),
    };
    let archiver = start_archiver(&state);
    Ok(Running {
        addr,
        tls: is_tls,
        stop: Some(stop),
        task,
        state,
        archiver,
    })
}
