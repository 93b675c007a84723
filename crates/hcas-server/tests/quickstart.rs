//! The README's quickstart, as a new user follows it: the built binary with
//! `--demo` (fresh data directory, any free port), then the README's shell
//! block run with bash against it (`--fail-with-body` and `jq -e` make any
//! refusal fail). The block is read from README.md, so the README cannot
//! drift from what works.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod support;

fn readme_block() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let marker = readme
        .find("<!-- quickstart:")
        .expect("README.md has the quickstart marker");
    let rest = &readme[marker..];
    let start = rest.find("```sh\n").expect("a sh block after the marker") + 6;
    let end = rest[start..].find("```").expect("the block ends") + start;
    rest[start..end].to_string()
}

#[test]
fn the_readme_quickstart_books_an_appointment() {
    if !support::have_jq("the README quickstart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = support::demo_process(dir.path(), Stdio::null());
    // The block sets HCAS to the default port; point it at this server.
    let block = readme_block().replace(
        "export HCAS=http://127.0.0.1:8080",
        &format!("export HCAS={url}"),
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README block failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The slot search answered a slot with providers; the booking was booked.
    assert!(stdout.contains("\"providers\":[\"dr-lee\""), "{stdout}");
    assert!(stdout.trim_end().ends_with("true"), "{stdout}");
}

/// `hcas-server --demo | head -1`: the reader goes away before the welcome
/// is written. The welcome is a courtesy; the server must go on serving.
#[test]
fn a_closed_stdout_does_not_stop_the_demo_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_hcas-server"))
        .arg("--demo")
        .env("HCAS_DATA_DIR", dir.path())
        .env("HCAS_LISTEN", "127.0.0.1:0")
        .env("HCAS_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end now: the welcome's write meets a broken pipe.
    drop(server.stdout.take());
    // stderr is read to the end on a thread (logs keep coming); the
    // channel gets the listening URL once the line after the welcome came.
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut url = None;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(u) = v.get("url").and_then(|u| u.as_str()) {
                url.get_or_insert_with(|| u.to_string());
            }
            if line.contains("demo clinic ready") {
                let _ = tx.send(url.take());
            }
        }
    });
    // A server that died on the closed pipe ends stderr without the line.
    let url = rx.recv().ok();
    assert!(
        url.is_some(),
        "the server stopped before the demo was ready"
    );
    let url = url.flatten().expect("the server logged its URL");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{url}/healthz"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert!(server.try_wait().unwrap().is_none(), "the server exited");
    let _ = server.kill();
    let _ = server.wait();
}
