//! `docs/fhir.md` as a reader follows it: every ```` ```sh ```` block, in
//! order, run as one bash script (`set -euo pipefail`) against the built
//! binary with `--demo`; its standard output must be exactly the page's
//! `# ` answer lines, and every `curl` either has `--fail-with-body` or goes
//! through the page's `expect STATUS` helper (as `tests/api_docs.rs` does
//! for `docs/api.md`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

mod support;

const SETUP_LINE: &str = "export HCAS=http://127.0.0.1:8080";

fn sh_blocks() -> Vec<String> {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/fhir.md"))
        .unwrap();
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
        "docs/fhir.md: a ```sh block is not closed"
    );
    blocks
}

fn shown_answers(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_pages_conventions_hold() {
    let script = sh_blocks().concat();
    assert!(script.lines().any(|l| l == SETUP_LINE));
    let mut joined = String::new();
    let mut unchecked = Vec::new();
    for line in script.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            continue;
        }
        joined.push_str(line);
        let l = std::mem::take(&mut joined);
        if l.contains("curl ") && !l.contains("--fail-with-body") && !l.contains("%{http_code}") {
            unchecked.push(l);
        }
    }
    assert!(
        unchecked.is_empty(),
        "unchecked curls:\n{}",
        unchecked.join("\n")
    );
    assert!(shown_answers(&script).len() >= 20);
}

#[test]
fn every_example_of_the_fhir_page_runs_and_answers_as_shown() {
    if !support::have_jq("docs/fhir.md") {
        return;
    }
    let script = sh_blocks().concat();
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let (mut server, url) = support::demo_process(&dir.path().join("data"), log.into());
    let script = script.replace(SETUP_LINE, &format!("export HCAS={url}"));
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "docs/fhir.md's examples failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    let shown = shown_answers(&script);
    let got: Vec<&str> = stdout.lines().collect();
    for (i, (want, have)) in shown.iter().zip(&got).enumerate() {
        assert_eq!(
            want,
            have,
            "docs/fhir.md answer line {} differs\n--- stdout\n{stdout}",
            i + 1
        );
    }
    assert_eq!(
        shown.len(),
        got.len(),
        "answer lines shown vs printed:\n{stdout}"
    );
}
