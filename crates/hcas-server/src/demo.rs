//! `--demo`: a sample clinic to try the API with, loaded through the API
//! itself (the gateway, the gate and the audit log see every write). Run
//! `hcas-server --demo` and follow what it prints (also in the README).
//!
//! Organization `demo`, in America/New_York: three providers (two in
//! general practice, one dermatologist) working weekdays 09:00-12:00 and
//! 13:00-17:00, in two rooms (Dr Lee in `room-1`; Dr Okafor and Dr Santos
//! share `room-2`, so one of them booked there keeps the other out), two
//! patients, and three logins. The passwords are printed
//! and documented: this organization is for trying things out only.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hcas_core::consent::Role;
use hcas_store::Account;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::AppState;
use crate::error::ApiError;
use crate::tenants::OrgId;

/// The demo organization's id.
pub const ORG: &str = "demo";

/// One demo login.
#[derive(Debug, Clone)]
pub struct Login {
    /// The username.
    pub username: &'static str,
    /// The password (demo only).
    pub password: &'static str,
    /// What the account is.
    pub what: &'static str,
}

/// The demo logins.
pub const LOGINS: [Login; 3] = [
    Login {
        username: "frontdesk",
        password: "demo-frontdesk",
        what: "front desk (admin): providers, schedules, patients, any booking",
    },
    Login {
        username: "dr.lee",
        password: "demo-dr.lee",
        what: "Dr Maya Lee (doctor, provider id dr-lee)",
    },
    Login {
        username: "alice",
        password: "demo-alice",
        what: "Alice Moreno (patient pat-alice): books for herself",
    },
];

/// The demo clinic's settings, where not set: self-registration on (the
/// web page's register form), and the publication: `$bulk-publish`
/// publishes organization `demo`, and its one location, "Main St Clinic",
/// gets a (fictional) address, phone and web page.
pub fn configure(config: &mut crate::config::Config) {
    // Patients may sign up in the demo clinic (the web page's register form),
    // unless `self_registration = off` was set explicitly.
    config.self_registration.get_or_insert(true);
    let p = &mut config.publish;
    p.org.get_or_insert_with(|| ORG.to_string());
    p.locations.entry(LOCATION.to_string()).or_insert_with(|| {
        crate::config::LocationDetails::new(&["1 Main St"], "Springfield", "MA", "01101")
            .with_contact(Some("555-0100"), Some("https://clinic.example/main-st"))
    });
}

/// The demo providers' location.
pub const LOCATION: &str = "Main St Clinic";

/// Create organization `demo` with its providers, patients and logins, if
/// it is not there yet (a second start leaves it as it is).
///
/// # Errors
/// 503 when the database cannot be written; 500 if the server is not its
/// own token issuer (the demo logins need it).
pub async fn load(state: &AppState) -> Result<(), ApiError> {
    let Some(issuer) = state.issuer.clone() else {
        tracing::error!("--demo needs hcas as its own issuer (unset oidc_issuer)");
        return Err(ApiError::internal());
    };
    let org = OrgId::parse(ORG)?;
    let store = state.tenants.create(&org).await?;
    if store.account("frontdesk").await.is_ok() {
        tracing::info!("demo organization already loaded");
        return Ok(());
    }
    let now = crate::access::now();
    let token = issuer.mint(&org, "frontdesk", &[Role::Admin], now)?;
    let (router, _) = crate::app(state.clone());
    let call = |method: &'static str, path: String, body: Value| {
        let router = router.clone();
        let token = token.clone();
        async move {
            let req = Request::builder()
                .method(method)
                .uri(&path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .map_err(|_| ApiError::internal())?;
            let res = router
                .oneshot(req)
                .await
                .map_err(|_| ApiError::internal())?;
            if res.status().is_success() {
                Ok(())
            } else {
                tracing::error!(%path, status = res.status().as_u16(), "demo step refused");
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("demo step {method} {path} answered {}", res.status()),
                ))
            }
        }
    };
    let week = json!([
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "dtstart": "2026-01-05", "start": "09:00", "end": "12:00"},
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "dtstart": "2026-01-05", "start": "13:00", "end": "17:00"}
    ]);
    for (id, name, specialty, languages, room) in [
        (
            "dr-lee",
            "Dr Maya Lee",
            "general-practice",
            json!(["en", "ko"]),
            "room-1",
        ),
        (
            "dr-okafor",
            "Dr Chidi Okafor",
            "general-practice",
            json!(["en", "fr"]),
            "room-2",
        ),
        (
            "dr-santos",
            "Dr Rita Santos",
            "dermatology",
            json!(["en", "pt"]),
            "room-2",
        ),
    ] {
        call(
            "POST",
            "/v1/providers".into(),
            json!({"id": id, "name": name, "specialties": [specialty],
                   "location": LOCATION, "room": room, "languages": languages,
                   "timezone": "America/New_York"}),
        )
        .await?;
        call(
            "PUT",
            format!("/v1/providers/{id}/schedule"),
            json!({"timezone": "America/New_York", "rules": week}),
        )
        .await?;
    }
    for (id, name, email) in [
        ("pat-alice", "Alice Moreno", "alice@example.org"),
        ("pat-bob", "Bob Nguyen", "bob@example.org"),
    ] {
        call(
            "POST",
            "/v1/patients".into(),
            json!({"id": id, "name": name, "email": email, "channels": ["email"],
                   "language": "en", "timezone": "America/New_York"}),
        )
        .await?;
    }
    for (login, subject, role) in [
        (&LOGINS[0], "frontdesk", Role::Admin),
        (&LOGINS[1], "dr-lee", Role::Doctor),
        (&LOGINS[2], "pat-alice", Role::Patient),
    ] {
        let hash = crate::auth::hash_password(login.password).map_err(|e| {
            tracing::error!(error = %e, "cannot hash a demo password");
            ApiError::internal()
        })?;
        store
            .create_account(Account {
                username: login.username.to_string(),
                subject: subject.to_string(),
                roles: vec![role.as_str().to_string()],
                password_hash: hash,
                created: now,
                disabled: false,
            })
            .await?;
    }
    tracing::info!("demo organization loaded");
    Ok(())
}

/// What `--demo` prints once the server listens: the URL, the logins and a
/// few `curl` lines to search and book.
#[must_use]
pub fn welcome(url: &str) -> String {
    let mut out =
        format!("\nhcas demo clinic at {url}  (organization `{ORG}`)\n\nLogins (demo only):\n");
    for l in &LOGINS {
        out.push_str(&format!(
            "  {:<10} {:<16} {}\n",
            l.username, l.password, l.what
        ));
    }
    out.push_str(&format!(
        r#"
Try it (needs curl and jq):
  export HCAS={url}
  TOKEN=$(curl -sS -X POST "$HCAS/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{{"org":"demo","username":"alice","password":"demo-alice"}}' | jq -r .access_token)
  curl -sS "$HCAS/v1/slots?specialty=general-practice&from=2030-01-07T13:00:00Z&to=2030-01-08T00:00:00Z&duration=30" \
    -H "Authorization: Bearer $TOKEN" | jq '.slots[0:3]'
  curl -sS -X POST "$HCAS/v1/appointments" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $(date +%s)" \
    -d '{{"provider":"dr-lee","patient":"pat-alice","start":"2030-01-07T14:00:00Z","duration":30}}' | jq .
API: {url}/openapi.json   Docs: docs/api.md, docs/security.md, docs/operations.md
"#
    ));
    out
}
