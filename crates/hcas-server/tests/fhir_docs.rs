//! `docs/fhir.md` as a reader follows it: every ```` ```sh ```` block, in
//! order, run as one bash script (`set -euo pipefail`) against the built
//! binary with `--demo`; its standard output must be exactly the page's
//! `# ` answer lines, and every `curl` either has `--fail-with-body` or goes
//! through the page's `expect STATUS` helper (the runner is shared with
//! `tests/api_docs.rs`, in `tests/support`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{DOCS_SETUP_LINE, docs_sh_blocks, docs_shown_answers, docs_unchecked_curls};

#[test]
fn the_pages_conventions_hold() {
    let script = docs_sh_blocks("fhir.md").concat();
    assert!(script.lines().any(|l| l == DOCS_SETUP_LINE));
    let unchecked = docs_unchecked_curls(&script);
    assert!(
        unchecked.is_empty(),
        "unchecked curls:\n{}",
        unchecked.join("\n")
    );
    assert!(docs_shown_answers(&script).len() >= 20);
}

#[test]
fn every_example_of_the_fhir_page_runs_and_answers_as_shown() {
    if !support::have_jq("docs/fhir.md") {
        return;
    }
    support::docs_run_against_demo("fhir.md", &docs_sh_blocks("fhir.md").concat());
}
