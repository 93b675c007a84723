//! The embedded web frontend over real HTTP: the pages and assets are the
//! committed `web/dist` byte for byte, with their content types, caching
//! and security headers; they need no token, and `/v1` still does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist")
}

fn assert_security_headers(res: &reqwest::Response) {
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
}

#[tokio::test]
async fn pages_and_assets_are_served_with_headers_and_v1_still_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hcas_server::config::Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let running = hcas_server::start(config).await.unwrap();
    let base = format!("http://{}", running.addr());
    let http = reqwest::Client::new();

    let on_disk = std::fs::read_to_string(dist().join("index.html")).unwrap();
    for path in ["/", "/index.html"] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(res.headers()["cache-control"], "no-cache");
        assert_security_headers(&res);
        assert_eq!(res.text().await.unwrap(), on_disk, "{path}");
    }

    // Every hashed asset Vite wrote, byte for byte, cached for a year.
    let mut seen = 0;
    for entry in std::fs::read_dir(dist().join("assets")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let want_type = if name.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if name.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            continue;
        };
        assert!(on_disk.contains(&format!("/assets/{name}")), "{name}");
        let res = http
            .get(format!("{base}/assets/{name}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["content-type"], want_type);
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_security_headers(&res);
        let bytes = res.bytes().await.unwrap();
        assert_eq!(
            bytes.as_ref(),
            std::fs::read(entry.path()).unwrap(),
            "{name}"
        );
        seen += 1;
    }
    assert!(seen >= 2, "a script and a stylesheet");

    let icon = http
        .get(format!("{base}/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");

    // Unknown assets and escapes are problems, never files.
    for path in [
        "/assets/nope.js",
        "/assets/..%2Findex.html",
        "/assets/../../Cargo.toml",
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    // Not a write target.
    let res = http.post(format!("{base}/")).send().await.unwrap();
    assert_eq!(res.status(), 405);

    // The API is as it was: a token is still required.
    let res = http
        .get(format!("{base}/v1/providers"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.headers().contains_key("content-security-policy"));

    running.shutdown().await;
}
