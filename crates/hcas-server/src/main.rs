//! `hcas-server`: run the reference server, or one of its maintenance commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hcas_server::config::{Config, LogFormat};

/// The hcas reference server (gateway and services in one process).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file (settings: docs/operations.md); `HCAS_*`
    /// environment variables override it.
    #[arg(long, global = true, env = "HCAS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create organization ORG (its database, migrated) and exit.
    OrgAdd {
        /// The organization id (a-z, 0-9, -).
        org: String,
    },
    /// Apply pending migrations to every organization's database (every
    /// directory below `data_dir/orgs/`, or every `org_*` schema) and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("hcas-server: {e}");
            }
            return ExitCode::from(2);
        }
    };
    init_logs(config.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::OrgAdd { org } => org_add(config, &org).await,
            Command::Migrate => migrate(config).await,
        }
    })
}

async fn serve(config: Config) -> ExitCode {
    if config.otlp_endpoint.is_some() {
        tracing::warn!(
            "otlp_endpoint is set, but this version does not export spans yet; trace ids are in the logs"
        );
    }
    let state = hcas_server::AppState::new(config);
    // Migrations on start: every organization opens (and migrates) now, so
    // a database that cannot be migrated stops the start, not a request.
    if let Err(code) = migrate_all(&state.tenants).await {
        return code;
    }
    let running = match hcas_server::start_with_signal(state, shutdown_signal()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::from(2);
        }
    };
    tracing::info!(url = %running.url(), "hcas-server listening");
    running.wait().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn migrate_all(tenants: &hcas_server::tenants::Tenants) -> Result<usize, ExitCode> {
    match tenants.migrate_all().await {
        Ok(orgs) => {
            tracing::info!(organizations = orgs.len(), "migrations applied");
            Ok(orgs.len())
        }
        Err((org, e)) => {
            tracing::error!(
                org = org.as_ref().map_or("", |o| o.as_str()),
                code = e.code(),
                "cannot migrate"
            );
            Err(ExitCode::FAILURE)
        }
    }
}

async fn migrate(config: Config) -> ExitCode {
    if let Err(e) = config.validate() {
        tracing::error!(error = %e, "cannot migrate");
        return ExitCode::from(2);
    }
    let tenants = hcas_server::tenants::Tenants::new(&config);
    match migrate_all(&tenants).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

async fn org_add(config: Config, org: &str) -> ExitCode {
    let tenants = hcas_server::tenants::Tenants::new(&config);
    let result = async {
        let org = hcas_server::tenants::OrgId::parse(org)?;
        tenants.create(&org).await.map(|_| org)
    }
    .await;
    match result {
        Ok(org) => {
            tracing::info!(%org, "organization ready");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(code = e.code(), "cannot create the organization");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM or Ctrl-C: stop accepting, finish in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal: finishing in-flight requests");
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HCAS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Pretty => builder.init(),
    }
}
