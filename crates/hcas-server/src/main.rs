//! `hcas-server`: run the reference server, or one of its maintenance commands.

use std::io::Write as _;
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
    /// Load the demo clinic (organization `demo`, sample logins) and print
    /// how to use it.
    #[arg(long, global = true)]
    demo: bool,
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
    /// The audit log's maintenance commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Accounts of hcas's own token issuer.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Apply pending migrations to every organization's database (every
    /// directory below `data_dir/orgs/`, or every `org_*` schema) and exit.
    Migrate,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute organization ORG's audit hash chain: prints `ok N records`
    /// and the head (exit 0), or the first record that breaks it (exit 1).
    Verify {
        /// The organization id.
        #[arg(long)]
        org: String,
        /// The head hash noted at an earlier verify: also fail when the log
        /// no longer contains it (records deleted at the end).
        #[arg(long)]
        head: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input (one
    /// line), never from the command line. Prints the account (without the
    /// password) as one JSON line.
    Add {
        /// The organization (it must exist: `org-add`).
        #[arg(long)]
        org: String,
        /// The login name (unique in the organization, ignoring case).
        #[arg(long)]
        username: String,
        /// A role: patient, doctor, nurse, admin or researcher (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The token's `sub`: the patient's id for a patient (required then),
        /// a staff id otherwise (default: a new random id).
        #[arg(long)]
        subject: Option<String>,
    },
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
            Command::Serve => serve(config, cli.demo).await,
            Command::OrgAdd { org } => org_add(config, &org).await,
            Command::User {
                command:
                    UserCommand::Add {
                        org,
                        username,
                        roles,
                        subject,
                    },
            } => user_add(config, &org, username, roles, subject).await,
            Command::Audit {
                command: AuditCommand::Verify { org, head },
            } => audit_verify(config, &org, head.as_deref()).await,
            Command::Migrate => migrate(config).await,
        }
    })
}

async fn serve(mut config: Config, demo: bool) -> ExitCode {
    if demo {
        hcas_server::demo::configure(&mut config);
    }
    let state = match hcas_server::AppState::configured(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::from(2);
        }
    };
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
    if demo {
        if let Err(e) = hcas_server::demo::load(running.state()).await {
            tracing::error!(code = e.code(), "cannot load the demo clinic");
            running.shutdown().await;
            return ExitCode::FAILURE;
        }
        #[allow(clippy::print_stdout)]
        {
            // Not println!: a closed stdout (`--demo | head`) must not take
            // the server down; the welcome is a courtesy, the server goes on.
            let welcome = hcas_server::demo::welcome(&running.url());
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{welcome}").and_then(|()| out.flush());
            drop(out);
            tracing::info!("demo clinic ready");
        }
    }
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

/// Shortest password `user add` accepts, in characters (NIST SP 800-63B).
const MIN_PASSWORD_CHARS: usize = 8;

async fn user_add(
    config: Config,
    org: &str,
    username: String,
    roles: Vec<String>,
    subject: Option<String>,
) -> ExitCode {
    let fail = |message: String| {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("hcas-server user add: {message}");
        }
        ExitCode::FAILURE
    };
    let org = match hcas_server::tenants::OrgId::parse(org) {
        Ok(o) => o,
        Err(e) => return fail(e.problem(None).detail),
    };
    for r in &roles {
        if hcas_core::consent::Role::parse(r).is_none() {
            return fail(format!(
                "unknown role `{r}`; use patient, doctor, nurse, admin or researcher"
            ));
        }
    }
    let subject = match subject {
        Some(s) => s,
        None if roles.iter().any(|r| r == "patient") => {
            return fail("a patient's account needs --subject <the patient's id>".to_string());
        }
        None => uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        return fail(format!("cannot read the password from standard input: {e}"));
    }
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return fail(format!(
            "give a password of at least {MIN_PASSWORD_CHARS} characters on standard input"
        ));
    }
    let hash = match tokio::task::spawn_blocking(move || {
        hcas_server::auth::hash_password(&password)
    })
    .await
    {
        Ok(Ok(h)) => h,
        _ => return fail("cannot hash the password".to_string()),
    };
    let tenants = hcas_server::tenants::Tenants::new(&config);
    let store = match tenants.store(&org).await {
        Ok(s) => s,
        Err(e) if e.code() == "forbidden" => {
            return fail(format!(
                "no organization `{org}` here; create it first with `hcas-server org-add {org}`"
            ));
        }
        Err(e) => return fail(e.problem(None).detail),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or_default())
        .unwrap_or_default();
    let account = hcas_store::Account {
        username,
        subject,
        roles,
        password_hash: hash,
        created: match hcas_core::Timestamp::from_unix(now) {
            Ok(t) => t,
            Err(e) => return fail(e.to_string()),
        },
        disabled: false,
    };
    match store.create_account(account).await {
        Ok(a) => {
            tracing::info!(%org, subject = %a.subject, "account created");
            let line = serde_json::json!({
                "org": org.as_str(),
                "username": a.username,
                "subject": a.subject,
                "roles": a.roles,
            });
            #[allow(clippy::print_stdout)]
            {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(hcas_server::error::ApiError::from(e).problem(None).detail),
    }
}

#[allow(clippy::print_stdout)]
async fn audit_verify(config: Config, org: &str, head: Option<&str>) -> ExitCode {
    let tenants = hcas_server::tenants::Tenants::new(&config);
    let result = async {
        let org = hcas_server::tenants::OrgId::parse(org)?;
        let store = tenants.store(&org).await?;
        hcas_server::audit::verify(&store).await
    }
    .await;
    match result {
        Ok(v) => {
            if let Some(b) = &v.first_break {
                println!("broken at seq {}: {}", b.seq, b.reason);
                return ExitCode::FAILURE;
            }
            if let Some(h) = head
                && h != v.head
                && !contains_head(&config, org, h).await
            {
                println!(
                    "broken: the head {h} noted earlier is no longer in the log (it ends at seq {})",
                    v.last_seq
                );
                return ExitCode::FAILURE;
            }
            println!("ok {} records, head {}", v.records, v.head);
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("cannot verify: {} ({})", e.code(), e.status());
            ExitCode::FAILURE
        }
    }
}

/// Whether some record of `org`'s log has hash `head`.
async fn contains_head(config: &Config, org: &str, head: &str) -> bool {
    let tenants = hcas_server::tenants::Tenants::new(config);
    let Ok(org) = hcas_server::tenants::OrgId::parse(org) else {
        return false;
    };
    let Ok(store) = tenants.store(&org).await else {
        return false;
    };
    let mut after = 0;
    loop {
        let Ok(page) = store.audit_after(after, 500).await else {
            return false;
        };
        for r in &page {
            if r.event.detail.get("hash").and_then(|h| h.as_str()) == Some(head) {
                return true;
            }
            after = r.seq;
        }
        if page.len() < 500 {
            return false;
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
