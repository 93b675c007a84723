//! `uniffi-bindgen` at the workspace's `uniffi` version, so the generated
//! Kotlin and Swift match the scaffolding compiled into `hcas-mobile`
//! (`bindings/mobile/generate` runs it).

fn main() {
    uniffi::uniffi_bindgen_main();
}
