//! Write every zone chrono-tz knows as `.hcz` data (feature `zone-registry`),
//! one file per zone at `OUTDIR/<IANA name>.hcz`, and print how many and how
//! big. Format and use in `docs/zones.md`.
//!
//! ```sh
//! cargo run --release -p hcas-core --features zone-registry --example zonedata -- OUTDIR [NAME PREFIX]
//! ```
//!
//! The optional second argument keeps only the zones whose name starts with it
//! (`Europe/`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use hcas_core::chrono_tz::TZ_VARIANTS;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: zonedata OUTDIR [NAME PREFIX]");
        std::process::exit(2);
    };
    let prefix = args.next().unwrap_or_default();
    let mut sizes = Vec::new();
    for tz in TZ_VARIANTS {
        if !tz.name().starts_with(&prefix) {
            continue;
        }
        let bytes = hcas_core::zone::encode(tz);
        // Every file is read back before it is written: what is on disk
        // passed the same checks a browser page's `register` makes.
        let zone = hcas_core::zone::Registry::new().register(&bytes)?;
        assert_eq!(zone.name(), tz.name());
        let path = out.join(format!("{}.hcz", tz.name()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &bytes)?;
        sizes.push(bytes.len());
    }
    if sizes.is_empty() {
        eprintln!("no zone name starts with `{prefix}`");
        std::process::exit(1);
    }
    sizes.sort_unstable();
    let total: usize = sizes.iter().sum();
    println!(
        "{} files in {}, tzdb {}: total {total} B, median {} B, smallest {} B, largest {} B",
        sizes.len(),
        out.display(),
        hcas_core::TZDB_VERSION,
        sizes[sizes.len() / 2],
        sizes[0],
        sizes[sizes.len() - 1],
    );
    Ok(())
}
