//! hcas as its own issuer over HTTP: the key on disk, JWKS and discovery,
//! login (same 401 for every wrong answer), refresh rotation and reuse
//! detection, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_support;

use auth_support::{Db, PASSWORD, Server, config, problem};
use serde_json::{Value, json};
use sha2::Digest;

#[tokio::test]
async fn key_is_created_once_private_and_published_with_its_thumbprint() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    let path = server.dir.path().join("keys/ed25519.pem");
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let jwks: Value = server
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert!(k.get("d").is_none(), "no private part published");
    // RFC 7638: SHA-256 of the required members in lexicographic order, base64url.
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        k["x"].as_str().unwrap()
    );
    use base64::Engine;
    let thumb = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(canonical.as_bytes()));
    assert_eq!(k["kid"], thumb);

    let oidc: Value = server
        .get("/.well-known/openid-configuration", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(oidc["issuer"], server.base);
    assert_eq!(
        oidc["jwks_uri"],
        format!("{}/.well-known/jwks.json", server.base)
    );
    assert_eq!(
        oidc["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );

    // A restart keeps the key (tokens issued before still verify).
    server.account("acme", "dr.x", &["doctor"], "staff-1").await;
    let tokens = server.tokens("acme", "dr.x").await;
    let dir = {
        let mut s = server;
        let r = s.running.take().unwrap();
        r.shutdown().await;
        s.dir
    };
    let again = Server::with_config(tempfile::tempdir().unwrap(), config(dir.path()), None).await;
    let jwks2: Value = again
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks2["keys"][0]["kid"], thumb);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    // The issuer name follows the new port, so the old token's `iss` differs:
    // with a fixed `issuer` setting it would verify. Check that it does.
    again.stop().await;
    let mut c = config(dir.path());
    c.issuer = Some("https://hcas.example".into());
    let fixed = Server::with_config(tempfile::tempdir().unwrap(), c.clone(), None).await;
    let t = fixed.tokens("acme", "dr.x").await;
    fixed.stop().await;
    let fixed2 = Server::with_config(tempfile::tempdir().unwrap(), c, None).await;
    assert_eq!(
        fixed2
            .whoami(t["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(
        fixed2
            .whoami(tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        401,
        "a token of another issuer name"
    );
    fixed2.stop().await;
}

#[tokio::test]
async fn a_corrupt_or_unreadable_key_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    let path = dir.path().join("keys/ed25519.pem");
    std::fs::write(
        &path,
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let err = hcas_server::start(config(dir.path())).await.err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("ed25519.pem") && msg.contains("PKCS#8"),
        "{msg}"
    );
    // Not replaced: the operator decides.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("not a key")
    );
    // A directory where the file should be: unreadable.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = hcas_server::start(config(dir.path())).await.err().unwrap();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

async fn login_and_refresh(db: Db) {
    let Some(server) = Server::start(db).await else {
        return;
    };
    server
        .account("acme", "Dr.X", &["doctor", "admin"], "staff-1")
        .await;
    server
        .account("acme", "locked", &["nurse"], "staff-2")
        .await;
    let store = server
        .state()
        .tenants
        .store(&hcas_server::tenants::OrgId::parse("acme").unwrap())
        .await
        .unwrap();
    store.set_account_disabled("locked", true).await.unwrap();

    // Login (username case does not matter), then the token works.
    let res = server.login("acme", "dr.x", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    let access = t["access_token"].as_str().unwrap();
    let me: Value = server.whoami(access).await.json().await.unwrap();
    assert_eq!(
        me,
        json!({"subject": "staff-1", "org": "acme", "roles": ["doctor", "admin"]})
    );
    // The claims the brief asks for.
    let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(access)
        .unwrap()
        .claims;
    for c in [
        "iss", "aud", "sub", "org", "roles", "exp", "iat", "nbf", "jti",
    ] {
        assert!(claims.get(c).is_some(), "claim {c}: {claims}");
    }
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["aud"], "hcas");

    // Every wrong answer is the same 401.
    let wrong = problem(
        server.login("acme", "dr.x", "wrong password").await,
        401,
        "unauthorized",
    )
    .await;
    for (org, user, pw) in [
        ("acme", "nobody", PASSWORD),
        ("acme", "locked", PASSWORD),
        ("no-such-org", "dr.x", PASSWORD),
        ("acme", "dr.x", ""),
    ] {
        let body = problem(server.login(org, user, pw).await, 401, "unauthorized").await;
        assert_eq!(body["detail"], wrong["detail"], "{org} {user}");
    }
    let long = "x".repeat(5000);
    problem(
        server.login("acme", "dr.x", &long).await,
        401,
        "unauthorized",
    )
    .await;
    // Malformed input is a 4xx naming the problem, never a 5xx.
    problem(
        server.login("ACME!", "dr.x", PASSWORD).await,
        422,
        "invalid_request",
    )
    .await;
    let res = server
        .post("/v1/auth/login", json!({"org": "acme", "username": "dr.x"}))
        .await;
    problem(res, 422, "invalid_request").await;

    // Refresh: one-time use, rotation, reuse revokes the family.
    let r1 = t["refresh_token"].as_str().unwrap().to_string();
    let res = server
        .post("/v1/auth/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(res.status(), 200);
    let t2: Value = res.json().await.unwrap();
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(
        server
            .whoami(t2["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let res = server
        .post("/v1/auth/refresh", json!({"refresh_token": r2}))
        .await;
    let t3: Value = res.json().await.unwrap();
    let r3 = t3["refresh_token"].as_str().unwrap().to_string();
    // r1 again: reuse. Refused, and the whole family is revoked: r3 no longer works.
    let reuse = problem(
        server
            .post("/v1/auth/refresh", json!({"refresh_token": r1}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    let revoked = problem(
        server
            .post("/v1/auth/refresh", json!({"refresh_token": r3}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(reuse["detail"], revoked["detail"]);
    // Another login is a new family and works.
    let t4 = server.tokens("acme", "DR.X").await;
    let res = server
        .post(
            "/v1/auth/refresh",
            json!({"refresh_token": t4["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A disabled account cannot refresh either.
    let t5 = server.tokens("acme", "dr.x").await;
    store.set_account_disabled("dr.x", true).await.unwrap();
    problem(
        server
            .post(
                "/v1/auth/refresh",
                json!({"refresh_token": t5["refresh_token"]}),
            )
            .await,
        401,
        "unauthorized",
    )
    .await;
    for bad in ["", "x", "acme.a.b.c", "acme..", "no-org.f.j", "ACME.f.j"] {
        problem(
            server
                .post("/v1/auth/refresh", json!({"refresh_token": bad}))
                .await,
            401,
            "unauthorized",
        )
        .await;
    }
    server.stop().await;
}

#[tokio::test]
async fn login_and_refresh_sqlite() {
    login_and_refresh(Db::Sqlite).await;
}

#[tokio::test]
async fn login_and_refresh_postgres() {
    login_and_refresh(Db::Postgres).await;
}

#[tokio::test]
async fn the_routes_are_in_the_openapi_document() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    let doc: Value = server
        .get("/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/whoami",
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    server.stop().await;
}
