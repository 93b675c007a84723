//! `hcas-server user add`, run as the built binary: the password comes from
//! standard input (never argv), the account can then log in over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_support;

use std::io::Write;
use std::process::{Command, Stdio};

use auth_support::{Server, config, problem};
use serde_json::{Value, json};

fn hcas(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hcas-server"))
        .args(args)
        .env("HCAS_DATA_DIR", dir)
        .env("HCAS_LOG_FORMAT", "json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn user_add_then_login() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = "s3cret-from-stdin";
    // The organization must exist first.
    let (ok, _, err) = hcas(
        d,
        &[
            "user",
            "add",
            "--org",
            "acme",
            "--username",
            "dr.x",
            "--role",
            "doctor",
        ],
        &format!("{secret}\n"),
    );
    assert!(!ok);
    assert!(err.contains("org-add acme"), "{err}");
    assert!(hcas(d, &["org-add", "acme"], "").0);

    let (ok, out, err) = hcas(
        d,
        &[
            "user",
            "add",
            "--org",
            "acme",
            "--username",
            "Dr.X",
            "--role",
            "doctor",
            "--role",
            "admin",
            "--subject",
            "staff-42",
        ],
        &format!("{secret}\n"),
    );
    assert!(ok, "{err}");
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        line,
        json!({"org": "acme", "username": "Dr.X", "subject": "staff-42", "roles": ["doctor", "admin"]})
    );
    assert!(
        !out.contains(secret) && !err.contains(secret),
        "the password is never echoed or logged"
    );

    // Refusals: taken (ignoring case), unknown role, short password, patient without subject.
    for (args, stdin, says) in [
        (
            vec!["--username", "DR.X", "--role", "nurse"],
            "another-password\n",
            "already exists",
        ),
        (
            vec!["--username", "y", "--role", "wizard"],
            "another-password\n",
            "unknown role",
        ),
        (
            vec!["--username", "y", "--role", "nurse"],
            "short\n",
            "at least 8",
        ),
        (
            vec!["--username", "p", "--role", "patient"],
            "another-password\n",
            "--subject",
        ),
    ] {
        let mut all = vec!["user", "add", "--org", "acme"];
        all.extend(args);
        let (ok, _, err) = hcas(d, &all, stdin);
        assert!(!ok, "{all:?}");
        assert!(err.contains(says), "{all:?}: {err}");
    }
    // A patient account with the patient's id as subject.
    let (ok, out, err) = hcas(
        d,
        &[
            "user",
            "add",
            "--org",
            "acme",
            "--username",
            "pat",
            "--role",
            "patient",
            "--subject",
            "P1",
        ],
        "patient-password\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("\"P1\""));

    // The server on the same data directory lets them log in.
    let server = Server::with_config(tempfile::tempdir().unwrap(), config(d), None).await;
    let t = server.login("acme", "dr.x", secret).await;
    assert_eq!(t.status(), 200);
    let t: Value = t.json().await.unwrap();
    let me: Value = server
        .whoami(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"subject": "staff-42", "org": "acme", "roles": ["doctor", "admin"]})
    );
    let p: Value = server
        .login("acme", "PAT", "patient-password")
        .await
        .json()
        .await
        .unwrap();
    let me: Value = server
        .whoami(p["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"subject": "P1", "org": "acme", "roles": ["patient"]})
    );
    problem(
        server.login("acme", "dr.x", "another-password").await,
        401,
        "unauthorized",
    )
    .await;
    server.stop().await;
}
