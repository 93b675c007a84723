//! `docs/api.md` as a reader follows it: every ```` ```sh ```` block of the
//! page, in order, run as one bash script (`set -euo pipefail`) against the
//! built binary with `--demo` (fresh data directory, any free port). The
//! page's conventions, checked here so it cannot drift from what works:
//!
//! - every `curl` either has `--fail-with-body` (a refusal fails the
//!   script) or goes through the page's `expect STATUS ...` helper, which
//!   fails unless the answer has that status;
//! - every `# ` comment line in a block is an answer line shown to the
//!   reader: the script's standard output must be exactly those lines, in
//!   order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

mod support;

const SETUP_LINE: &str = "export HCAS=http://127.0.0.1:8080";

/// The ```sh blocks of `docs/api.md`, in order.
fn sh_blocks() -> Vec<String> {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "docs/api.md: a ```sh block is not closed"
    );
    blocks
}

/// Shell commands with their `\` continuation lines joined.
fn logical_lines(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::new();
    for line in script.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
        } else {
            acc.push_str(line);
            out.push(std::mem::take(&mut acc));
        }
    }
    out
}

/// The answer lines the page shows: every `# ` comment line, in order.
fn shown_answers(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_pages_conventions_hold() {
    let blocks = sh_blocks();
    assert!(
        blocks.len() >= 10,
        "docs/api.md has {} sh blocks",
        blocks.len()
    );
    assert!(
        blocks[0].lines().any(|l| l == SETUP_LINE),
        "the first block sets HCAS with `{SETUP_LINE}`"
    );
    let script = blocks.concat();
    let mut unchecked = Vec::new();
    for line in logical_lines(&script) {
        if line.contains("curl ")
            && !line.contains("--fail-with-body")
            && !line.contains("%{http_code}")
        {
            unchecked.push(line);
        }
    }
    assert!(
        unchecked.is_empty(),
        "every curl in docs/api.md needs --fail-with-body, or `expect STATUS` to show a refusal:\n{}",
        unchecked.join("\n")
    );
    assert!(
        shown_answers(&script).len() >= 20,
        "docs/api.md shows the answers as `# ` lines"
    );
}

#[test]
fn every_example_of_the_api_page_runs_and_answers_as_shown() {
    if !support::have_jq("docs/api.md") {
        return;
    }
    let script = sh_blocks().concat();
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let (mut server, url) = support::demo_process(&dir.path().join("data"), log.into());
    // The page sets HCAS to the default port; point it at this server.
    let script = script.replace(SETUP_LINE, &format!("export HCAS={url}"));
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_remove("TOKEN")
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "docs/api.md's examples failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- the server's log\n{log}",
        out.status
    );
    let shown = shown_answers(&script);
    let got: Vec<&str> = stdout.lines().collect();
    for (i, (want, have)) in shown.iter().zip(&got).enumerate() {
        assert_eq!(
            want,
            have,
            "docs/api.md shows answer line {} as\n  {want}\nbut the server answered\n  {have}\n--- stdout\n{stdout}",
            i + 1
        );
    }
    assert_eq!(
        shown.len(),
        got.len(),
        "docs/api.md shows {} answer lines, the examples printed {}:\n{stdout}",
        shown.len(),
        got.len()
    );
}
