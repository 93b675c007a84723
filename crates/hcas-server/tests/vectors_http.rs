//! The `server` front door: every conformance vector under `$HCAS_VECTORS`
//! (default: the repository's `tests/vectors/`) through the engine API over
//! real HTTP (`POST /v1/engine/{kind}` on a server started on port 0). Prints
//! one line per failure and ends with `N passed, N failed`, like every door.
//! Run it with `scripts/vectors server`.

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Run one vector file through the API; `Err` is the failure line.
async fn run(client: &reqwest::Client, base: &str, path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: unreadable: {e}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let id = v["id"].as_str().unwrap_or("<no id>").to_string();
    let kind = v["kind"].as_str().unwrap_or("");
    let res = client
        .post(format!("{base}/v1/engine/{kind}"))
        .json(&v["input"])
        .send()
        .await
        .map_err(|e| format!("{id}: request failed: {e}"))?;
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = res
        .json()
        .await
        .map_err(|e| format!("{id}: the answer is not JSON: {e}"))?;
    if status.is_success() {
        hcas_core::wire::check(&v, Ok(&body))
    } else {
        if content_type != "application/problem+json" {
            return Err(format!("{id}: error {status} without a problem body"));
        }
        if status.is_server_error() {
            return Err(format!("{id}: server error {status}: {body}"));
        }
        hcas_core::wire::check(&v, Err(body["code"].as_str().unwrap_or("")))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let dir = match std::env::var_os("HCAS_VECTORS") {
        Some(d) => {
            let p = PathBuf::from(d);
            if p.is_absolute() {
                p
            } else {
                repo_root().join(p)
            }
        }
        None => repo_root().join("tests/vectors"),
    };
    let mut files = Vec::new();
    if let Err(e) = collect(&dir, &mut files) {
        println!("cannot read vectors in {}: {e}", dir.display());
        println!("0 passed, 1 failed");
        return ExitCode::FAILURE;
    }
    files.sort();
    let data = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            println!("no temporary directory: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let mut config = hcas_server::config::Config::with_data_dir(data.path());
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    // Hundreds of requests from one client as fast as it can: not what the
    // per-client rate limit is for (tests/operations.rs tests that).
    config.rate_limit_per_second = 0;
    let server = match hcas_server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            println!("the server did not start: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let base = format!("http://{}", server.addr());
    let client = reqwest::Client::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in &files {
        match run(&client, &base, f).await {
            Ok(()) => passed += 1,
            Err(line) => {
                failed += 1;
                println!("FAIL {line}");
            }
        }
    }
    server.shutdown().await;
    if files.is_empty() {
        println!("no *.json vectors below {}", dir.display());
        failed += 1;
    }
    println!(
        "vectors from {} through the engine API over HTTP",
        dir.display()
    );
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
