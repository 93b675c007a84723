//! The `uniffi-bindgen` executable starts and offers the `generate` command
//! that `bindings/mobile/generate` runs. Beyond that check, this test makes the
//! workspace's test build (`cargo test --workspace`) build the executable, so
//! scripts/test runs that one (found by `scripts/test-artifact bin
//! uniffi-bindgen`) instead of building it again with another feature set.

use std::process::Command;

#[test]
fn help_lists_the_generate_command() -> Result<(), Box<dyn std::error::Error>> {
    let out = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--help")
        .output()?;
    assert!(
        out.status.success(),
        "uniffi-bindgen --help failed: {out:?}"
    );
    let help = String::from_utf8(out.stdout)?;
    assert!(
        help.lines().any(|l| l.trim_start().starts_with("generate")),
        "no `generate` command in:\n{help}"
    );
    Ok(())
}
