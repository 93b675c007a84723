//! napi-build's setup: the link arguments a Node-API addon needs (on macOS,
//! symbols resolved from the loading node process at run time).

fn main() {
    napi_build::setup();
}
