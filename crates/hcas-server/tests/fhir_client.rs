//! A real FHIR client against the running server: `tests/fhir/client_check.py`
//! searches, pages and `_include`s with fhirpy and validates every resource
//! it gets with fhir.resources' R4B models (both from PyPI, pinned in
//! scripts/test, which builds the venv in `~/.cache/hcas-tools/fhir-venv`).
//!
//! The venv's python is `HCAS_FHIR_PYTHON`, else that venv's. Without it the
//! test says so and passes, unless `HCAS_REQUIRE_FHIR_PY=1` (scripts/test
//! sets it): then it fails.
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

async fn run(s: &Server, python: &std::path::Path) {
    setup(s).await;
    let doctor = s.token("D1", &[Role::Doctor]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/client_check.py");
    let base = s.base.clone();
    let (from, to) = (at(2, 0, 0), at(2, 12, 0));
    let python = python.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
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
        "client_check.py failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("validated "), "{stdout}");
    println!("{stdout}");
}

#[tokio::test]
async fn fhirpy_and_fhir_resources_sqlite() {
    let Some(python) = tools_python("fhirpy, fhir.resources", "HCAS_REQUIRE_FHIR_PY") else {
        return;
    };
    let s = Server::sqlite().await;
    run(&s, &python).await;
    s.stop().await;
}

#[tokio::test]
async fn fhirpy_and_fhir_resources_postgres() {
    let Some(python) = tools_python("fhirpy, fhir.resources", "HCAS_REQUIRE_FHIR_PY") else {
        return;
    };
    let Some(s) = Server::postgres("fhir_client_postgres").await else {
        return;
    };
    run(&s, &python).await;
    s.stop().await;
}
