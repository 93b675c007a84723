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

use support::*;

async fn run(s: &Server, python: &std::path::Path) {
    let mut cmd = std::process::Command::new(python);
    cmd.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/client_check.py"));
    fhir_client_check(s, "client_check.py", cmd).await;
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
