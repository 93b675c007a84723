//! SMART App Launch 2.x discovery (`/.well-known/smart-configuration`, at
//! the server root and under the FHIR base): public, the fields the spec
//! requires, and every endpoint it advertises answers as advertised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_support;

use auth_support::{Db, Server};
use serde_json::{Value, json};

const PATHS: [&str; 2] = [
    "/.well-known/smart-configuration",
    "/fhir/r4/.well-known/smart-configuration",
];

async fn discovery(server: &Server, path: &str) -> Value {
    let res = server.get(path, None).await;
    assert_eq!(res.status(), 200, "{path} is public");
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/json"), "{path}: {kind}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn discovery_names_the_own_issuer_and_its_endpoints_answer() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    let doc = discovery(&server, PATHS[0]).await;
    assert_eq!(discovery(&server, PATHS[1]).await, doc, "the same document");

    // Required by SMART App Launch 2.x: token_endpoint, grant types, capabilities.
    assert_eq!(doc["issuer"], server.base);
    assert!(doc["grant_types_supported"].is_array(), "{doc}");
    assert!(doc["capabilities"].is_array(), "{doc}");
    // Truthful: hcas has no authorization endpoint, no PKCE, no OAuth grant,
    // and claims no SMART capability.
    for absent in [
        "authorization_endpoint",
        "code_challenge_methods_supported",
        "scopes_supported",
    ] {
        assert!(doc.get(absent).is_none(), "{absent} advertised: {doc}");
    }
    assert_eq!(doc["grant_types_supported"], json!([]));
    assert_eq!(doc["capabilities"], json!([]));

    // Each endpoint advertised answers.
    let jwks_uri = doc["jwks_uri"].as_str().unwrap();
    let jwks: Value = reqwest::get(jwks_uri).await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1), "{jwks}");
    server.account("acme", "dr.x", &["doctor"], "staff-1").await;
    let http = reqwest::Client::new();
    let login = json!({"org": "acme", "username": "dr.x", "password": auth_support::PASSWORD});
    let tokens: Value = http
        .post(doc["token_endpoint"].as_str().unwrap())
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().expect("an access token");
    assert_eq!(server.whoami(access).await.status(), 200);
    let refresh = http
        .post(doc["hcas_refresh_endpoint"].as_str().unwrap())
        .json(&json!({"refresh_token": tokens["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 200);
    server.stop().await;
}
