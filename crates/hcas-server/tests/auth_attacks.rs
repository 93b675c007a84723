//! Forged and altered access tokens against a protected route
//! (`GET /v1/auth/whoami`) over HTTP: every one is the same 401 problem, and
//! a well-formed token signed with the server's own key passes (so each
//! refusal is about the one thing the case changed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_support;

use auth_support::{Db, Server, problem};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

struct Forge {
    key: EncodingKey,
    kid: String,
    iss: String,
}

impl Forge {
    fn new(server: &Server) -> Self {
        let pem = std::fs::read(server.dir.path().join("keys/ed25519.pem")).unwrap();
        let issuer = server.state().issuer.clone().unwrap();
        Self {
            key: EncodingKey::from_ed_pem(&pem).unwrap(),
            kid: issuer.kid().to_string(),
            iss: issuer.name().unwrap().to_string(),
        }
    }

    /// Claims a real token of this server would carry.
    fn claims(&self) -> Map<String, Value> {
        let t = now();
        json!({
            "iss": self.iss, "aud": "hcas", "sub": "staff-1", "org": "acme",
            "roles": ["doctor"], "exp": t + 300, "iat": t, "nbf": t, "jti": "j1",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn sign(&self, claims: &Map<String, Value>) -> String {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&h, claims, &self.key).unwrap()
    }

    fn with(&self, key: &str, value: Value) -> String {
        let mut c = self.claims();
        c.insert(key.to_string(), value);
        self.sign(&c)
    }

    fn without(&self, key: &str) -> String {
        let mut c = self.claims();
        c.remove(key);
        self.sign(&c)
    }
}

fn b64json(v: &Value) -> String {
    B64.encode(serde_json::to_vec(v).unwrap())
}

#[tokio::test]
async fn forged_and_altered_tokens_are_refused_alike() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    let forge = Forge::new(&server);

    // The control: a token with good claims, signed with the server's key, passes.
    let good = forge.sign(&forge.claims());
    let res = server.whoami(&good).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(
        me,
        json!({"subject": "staff-1", "org": "acme", "roles": ["doctor"]})
    );
    // So does one the issuer mints for tools and tests.
    let minted = server
        .state()
        .issuer
        .as_ref()
        .unwrap()
        .mint(
            &hcas_server::tenants::OrgId::parse("acme").unwrap(),
            "P1",
            &[hcas_core::consent::Role::Patient],
            hcas_core::Timestamp::from_unix(now()).unwrap(),
        )
        .unwrap();
    let me: Value = server.whoami(&minted).await.json().await.unwrap();
    assert_eq!(
        me,
        json!({"subject": "P1", "org": "acme", "roles": ["patient"]})
    );

    let t = now();
    let parts: Vec<&str> = good.split('.').collect();
    let payload = Value::Object(forge.claims());

    // alg none, no signature.
    let none = format!(
        "{}.{}.",
        b64json(&json!({"alg": "none", "typ": "JWT"})),
        b64json(&payload)
    );
    // HS256 keyed with the server's public key (x of its JWK, and the raw bytes).
    let jwks: Value = server
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_string();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(forge.kid.clone());
    let hs_x = jsonwebtoken::encode(
        &hs,
        &forge.claims(),
        &EncodingKey::from_secret(x.as_bytes()),
    )
    .unwrap();
    let hs_raw = jsonwebtoken::encode(
        &hs,
        &forge.claims(),
        &EncodingKey::from_secret(&B64.decode(&x).unwrap()),
    )
    .unwrap();
    // The payload altered after signing (roles: admin), signature kept.
    let mut altered = payload.clone();
    altered["roles"] = json!(["admin"]);
    let tampered = format!("{}.{}.{}", parts[0], b64json(&altered), parts[2]);
    // Another key, with the server's kid, and with a kid of its own.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let other_pem = {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        other
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap()
    };
    let other_key = EncodingKey::from_ed_pem(other_pem.as_bytes()).unwrap();
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some(forge.kid.clone());
    let wrong_key = jsonwebtoken::encode(&h, &forge.claims(), &other_key).unwrap();
    h.kid = Some("someone-elses-key".into());
    let unknown_kid = jsonwebtoken::encode(&h, &forge.claims(), &forge.key).unwrap();
    h.kid = None;
    let no_kid = jsonwebtoken::encode(&h, &forge.claims(), &forge.key).unwrap();

    let cases: Vec<(&str, String)> = vec![
        ("alg none", none),
        ("HS256 keyed with the JWK's x", hs_x),
        ("HS256 keyed with the public key bytes", hs_raw),
        ("payload altered", tampered),
        ("signed by another key under our kid", wrong_key),
        ("unknown kid", unknown_kid),
        ("no kid", no_kid),
        (
            "expired beyond the leeway",
            forge.with("exp", json!(t - 120)),
        ),
        (
            "not yet valid beyond the leeway",
            forge.with("nbf", json!(t + 600)),
        ),
        ("wrong aud", forge.with("aud", json!("another-api"))),
        ("wrong iss", forge.with("iss", json!("http://evil.example"))),
        ("missing sub", forge.without("sub")),
        ("empty sub", forge.with("sub", json!(""))),
        ("missing exp", forge.without("exp")),
        ("missing iss", forge.without("iss")),
        ("missing aud", forge.without("aud")),
        ("missing org", forge.without("org")),
        ("malformed org", forge.with("org", json!("ACME/../x"))),
        (
            "unknown role",
            forge.with("roles", json!(["doctor", "superuser"])),
        ),
        ("no roles", forge.with("roles", json!([]))),
        ("unknown purpose", forge.with("purpose", json!("SNOOP"))),
        ("not a JWT", "garbage".to_string()),
        ("two parts", format!("{}.{}", parts[0], parts[1])),
    ];
    let mut detail = None;
    for (name, token) in &cases {
        let res = server.whoami(token).await;
        assert_eq!(res.status(), 401, "{name}");
        let body = problem(res, 401, "unauthorized").await;
        // The same detail whatever failed: it tells the caller nothing about which check.
        let d = body["detail"].as_str().unwrap().to_string();
        assert_eq!(detail.get_or_insert_with(|| d.clone()), &d, "{name}");
    }
    // Within the leeway still passes (30 s of clock skew).
    let res = server.whoami(&forge.with("exp", json!(t - 5))).await;
    assert_eq!(res.status(), 200);
    // No header, or not a bearer token.
    problem(
        server.get("/v1/auth/whoami", None).await,
        401,
        "unauthorized",
    )
    .await;
    let res = server
        .http
        .get(format!("{}/v1/auth/whoami", server.base))
        .header("authorization", format!("Basic {good}"))
        .send()
        .await
        .unwrap();
    problem(res, 401, "unauthorized").await;
    server.stop().await;
}

/// A token of organization A says A, whatever B's accounts look like: whoami
/// shows the org the token was issued for (routes then reach only its store).
#[tokio::test]
async fn a_token_names_its_own_organization() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    server.account("org-a", "sam", &["doctor"], "staff-a").await;
    server.account("org-b", "sam", &["nurse"], "staff-b").await;
    let a = server.tokens("org-a", "sam").await;
    let me: Value = server
        .whoami(a["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"subject": "staff-a", "org": "org-a", "roles": ["doctor"]})
    );
    let b = server.tokens("org-b", "SAM").await;
    let me: Value = server
        .whoami(b["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"subject": "staff-b", "org": "org-b", "roles": ["nurse"]})
    );
    // An organization this server does not have: the same 401 as a wrong password.
    problem(
        server.login("org-c", "sam", auth_support::PASSWORD).await,
        401,
        "unauthorized",
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_tokens_smart_scopes_narrow_the_fhir_api() {
    let server = Server::start(Db::Sqlite).await.unwrap();
    server.account("acme", "dr.x", &["doctor"], "staff-1").await;
    let forge = Forge::new(&server);
    // No such practitioner: 404 when the token may read Practitioners at all.
    let path = "/fhir/r4/Practitioner/nobody";
    let answer = |token: String| {
        let server = &server;
        async move {
            let res = server.get(path, Some(&token)).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (
                status,
                body["issue"][0]["details"]["coding"][0]["code"].clone(),
            )
        }
    };
    let not_found = (404, json!("not_found"));
    let refused = (403, json!("insufficient_scope"));
    assert_eq!(
        answer(forge.sign(&forge.claims())).await,
        not_found,
        "roles alone"
    );
    let cases = [
        ("scope", json!("openid api"), not_found.clone()),
        ("scope", json!("user/Practitioner.r"), not_found.clone()),
        (
            "scope",
            json!("user/Slot.rs patient/Appointment.rs"),
            refused.clone(),
        ),
        ("scp", json!(["user/Slot.rs"]), refused.clone()),
        ("scp", json!(["user/*.read"]), not_found),
    ];
    for (claim, value, want) in cases {
        assert_eq!(
            answer(forge.with(claim, value.clone())).await,
            want,
            "{claim}: {value}"
        );
    }
    // A malformed scope claim: the token is refused altogether.
    for (claim, value) in [("scope", json!(5)), ("scp", json!("user/Slot.rs"))] {
        problem(
            server.whoami(&forge.with(claim, value)).await,
            401,
            "unauthorized",
        )
        .await;
    }
    server.stop().await;
}
