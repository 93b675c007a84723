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

mod support;

use support::{DOCS_SETUP_LINE, docs_sh_blocks, docs_shown_answers, docs_unchecked_curls};

#[test]
fn the_pages_conventions_hold() {
    let blocks = docs_sh_blocks("api.md");
    assert!(
        blocks.len() >= 10,
        "docs/api.md has {} sh blocks",
        blocks.len()
    );
    assert!(
        blocks[0].lines().any(|l| l == DOCS_SETUP_LINE),
        "the first block sets HCAS with `{DOCS_SETUP_LINE}`"
    );
    let script = blocks.concat();
    let unchecked = docs_unchecked_curls(&script);
    assert!(
        unchecked.is_empty(),
        "every curl in docs/api.md needs --fail-with-body, or `expect STATUS` to show a refusal:\n{}",
        unchecked.join("\n")
    );
    assert!(
        docs_shown_answers(&script).len() >= 20,
        "docs/api.md shows the answers as `# ` lines"
    );
}

#[test]
fn every_example_of_the_api_page_runs_and_answers_as_shown() {
    if !support::have_jq("docs/api.md") {
        return;
    }
    support::docs_run_against_demo("api.md", &docs_sh_blocks("api.md").concat());
}
