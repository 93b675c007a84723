//! The web frontend (`web/` at the repository root): its built pages,
//! embedded in the binary at compile time from the committed `web/dist`
//! (so building the server needs no npm; `web/check` keeps `web/dist`
//! current), served at `/` and `/assets/*`.
//!
//! The pages are clients of the public API like any other; these routes
//! are public (no token: the pages hold no patient data, they fetch it with
//! the user's token) and are not in the OpenAPI document. Every answer
//! carries a strict Content-Security-Policy (no inline script or style,
//! nothing from other origins, no framing), `nosniff` and
//! `Referrer-Policy: no-referrer`. Hashed assets are cached for a year;
//! `index.html` is revalidated on every load (`no-cache`), so a new build
//! is picked up at once.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use include_dir::{Dir, include_dir};

use crate::AppState;
use crate::extract::Path;

/// `web/dist`, as built by Vite and committed.
static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web/dist");

/// The pages' Content-Security-Policy: everything from this origin only,
/// no inline script or style, no plugins, no `<base>`, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Cache-Control` of the content-hashed files under `/assets/`.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the unhashed icon.
const DAILY: &str = "public, max-age=86400";
/// `Cache-Control` of `index.html`: revalidate on every load.
const NO_CACHE: &str = "no-cache";

/// The frontend's routes: `/`, `/index.html`, `/favicon.svg` and `/assets/{path}`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/favicon.svg", get(favicon))
        .route("/assets/{*path}", get(asset))
}

async fn index() -> Response {
    file("index.html", NO_CACHE)
}

async fn favicon() -> Response {
    file("favicon.svg", DAILY)
}

async fn asset(Path(path): Path<String>) -> Response {
    file(&format!("assets/{path}"), IMMUTABLE)
}

/// The `Content-Type` for a file name (the few kinds Vite emits).
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(name: &str, cache: &'static str) -> Response {
    // Only exact names of embedded files match: `..`, `//` or an absolute
    // path name nothing, so nothing outside `web/dist` can be reached.
    let Some(f) = DIST.get_file(name) else {
        return crate::error::ApiError::not_found("no such page or asset").into_response();
    };
    let mut res = (StatusCode::OK, f.contents()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    security_headers(h);
    res
}

/// The security headers of every page and asset.
fn security_headers(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_embedded_with_an_index_and_hashed_assets() {
        let index = DIST.get_file("index.html").map(|f| f.contents_utf8());
        let Some(Some(index)) = index else {
            panic!("web/dist/index.html is not embedded");
        };
        assert!(index.contains("/assets/"), "{index}");
        // No inline script: every <script> has a src.
        assert_eq!(
            index.matches("<script").count(),
            index
                .matches("<script type=\"module\" crossorigin src=\"/assets/")
                .count()
        );
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type("assets/a-1.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/a-1.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/x"), "application/octet-stream");
    }
}
