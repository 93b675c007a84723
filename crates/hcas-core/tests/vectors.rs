//! Conformance vector runner: `cargo test -p hcas-core --test vectors`.
//!
//! Loads every `*.json` below `$HCAS_VECTORS` (default: the repository's
//! `tests/vectors/`; a relative path is taken from the repository root), runs
//! each by its `kind`, prints one line per failure (id, expected, got) and
//! ends with `N passed, N failed`. An unknown kind is a failure.

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

/// Run one vector file; `Err` is the failure line.
fn run(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: unreadable: {e}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let id = v["id"].as_str().unwrap_or("<no id>").to_string();
    let kind = v["kind"].as_str().unwrap_or("");
    if !hcas_core::wire::KINDS.contains(&kind) {
        return Err(format!(
            "{id}: unknown kind `{kind}` (file {})",
            path.display()
        ));
    }
    match hcas_core::wire::evaluate(kind, &v["input"]) {
        Ok(out) => hcas_core::wire::check(&v, Ok(&out)),
        // The failure line names the code; the message says more.
        Err(e) => hcas_core::wire::check(&v, Err(e.code().as_str()))
            .map_err(|line| format!("{line} ({e})")),
    }
}

fn main() -> ExitCode {
    #[allow(clippy::disallowed_methods)]
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
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in &files {
        match run(f) {
            Ok(()) => passed += 1,
            Err(line) => {
                failed += 1;
                println!("FAIL {line}");
            }
        }
    }
    if files.is_empty() {
        println!("no *.json vectors below {}", dir.display());
        failed += 1;
    }
    println!("vectors from {}", dir.display());
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
