//! The records service with its documents in S3 and their keys in a KMS,
//! configured as an operator would (`HCAS_DOCUMENTS_URL`, `HCAS_S3_ENDPOINT`,
//! `HCAS_KMS=aws:<key>`, `HCAS_KMS_ENDPOINT`, `AWS_*`), against a real moto
//! server on loopback (S3 and KMS APIs). Skipped with a note when
//! `HCAS_MOTO_PYTHON` is unset, unless `HCAS_REQUIRE_MOTO=1`.
//! Also: the settings' validation, which needs no server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod support;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hcas_core::consent::Role;
use hcas_server::config::{Config, DocumentsConfig};
use hcas_store::documents::object_store::{ObjectStore, ObjectStoreExt};
use support::{Backend, ORG, Server, env_of, patient, upload_record};

const CREDS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIDMOTOTEST"),
    ("AWS_SECRET_ACCESS_KEY", "moto-secret-never-shown"),
    ("AWS_REGION", "us-east-1"),
];

#[test]
fn document_settings_are_validated_and_secrets_not_shown() {
    // Defaults: local directory, key file; no AWS variables needed.
    let d = DocumentsConfig::from_env(&env_of(&[])).unwrap();
    assert!(d.s3.is_none() && d.kms.is_none());

    let mut all = CREDS.to_vec();
    all.extend([
        ("HCAS_DOCUMENTS_URL", "s3://records-bucket/hcas"),
        ("HCAS_S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("HCAS_KMS", "aws:alias/hcas-records"),
        ("HCAS_KMS_ENDPOINT", "http://127.0.0.1:9000"),
    ]);
    let c = Config::load(None, env_of(&all)).unwrap();
    let s3 = c.documents.s3.as_ref().unwrap();
    assert_eq!(
        (s3.bucket.as_str(), s3.prefix.as_str()),
        ("records-bucket", "hcas")
    );
    assert_eq!(
        c.documents.kms.as_ref().unwrap().key_id,
        "alias/hcas-records"
    );
    let shown = format!("{c:?}");
    assert!(shown.contains("AKIDMOTOTEST"), "{shown}");
    assert!(
        !shown.contains("moto-secret"),
        "the secret key is in Debug: {shown}"
    );

    for (bad, setting, hint) in [
        (
            vec![("HCAS_DOCUMENTS_URL", "s3://x")],
            "documents",
            "AWS_ACCESS_KEY_ID",
        ),
        (
            [&CREDS[..], &[("HCAS_DOCUMENTS_URL", "/srv/docs")]].concat(),
            "HCAS_DOCUMENTS_URL",
            "s3://",
        ),
        (
            [&CREDS[..], &[("HCAS_DOCUMENTS_URL", "s3://Bad_Bucket")]].concat(),
            "HCAS_DOCUMENTS_URL",
            "bucket name",
        ),
        (
            vec![("HCAS_S3_ENDPOINT", "http://127.0.0.1:9000")],
            "HCAS_S3_ENDPOINT",
            "HCAS_DOCUMENTS_URL",
        ),
        (
            [&CREDS[..], &[("HCAS_KMS", "vault:x")]].concat(),
            "HCAS_KMS",
            "aws:<key-id>",
        ),
        (
            [&CREDS[..], &[("HCAS_KMS", "aws:")]].concat(),
            "HCAS_KMS",
            "key id",
        ),
        (
            vec![("HCAS_KMS_ENDPOINT", "http://127.0.0.1:1")],
            "HCAS_KMS_ENDPOINT",
            "HCAS_KMS",
        ),
        (
            [&CREDS[..2], &[("HCAS_KMS", "aws:k1")]].concat(),
            "documents",
            "AWS_REGION",
        ),
    ] {
        let e = Config::load(None, env_of(&bad)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(setting) && text.contains(hint),
            "{bad:?}: {text}"
        );
        assert!(!text.contains("moto-secret"), "{text}");
    }
}

/// A moto server on a free loopback port, killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Option<Self> {
        let Some(python) = std::env::var_os("HCAS_MOTO_PYTHON") else {
            assert!(
                std::env::var("HCAS_REQUIRE_MOTO").as_deref() != Ok("1"),
                "HCAS_REQUIRE_MOTO=1 but HCAS_MOTO_PYTHON is not set"
            );
            eprintln!("note: HCAS_MOTO_PYTHON is not set: skipping the S3/KMS records test");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto.server with HCAS_MOTO_PYTHON");
        let moto = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not listen within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

#[tokio::test]
async fn records_in_s3_with_keys_in_kms() {
    let Some(moto) = Moto::start() else { return };
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/hcas-records", moto.endpoint()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "CreateBucket: {}", r.status());
    let r = http
        .post(moto.endpoint())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "TrentService.CreateKey")
        // moto routes by the credential scope's service and checks no signature.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDMOTOTEST/20260101/us-east-1/kms/aws4_request, \
             SignedHeaders=host, Signature=00",
        )
        .body(r#"{"Description":"hcas records"}"#)
        .send()
        .await
        .unwrap();
    let key: serde_json::Value = r.json().await.unwrap();
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();

    let endpoint = moto.endpoint();
    let kms_setting = format!("aws:{key_id}");
    let mut vars = CREDS.to_vec();
    vars.extend([
        ("HCAS_DOCUMENTS_URL", "s3://hcas-records/prod"),
        ("HCAS_S3_ENDPOINT", endpoint.as_str()),
        ("HCAS_KMS", kms_setting.as_str()),
        ("HCAS_KMS_ENDPOINT", endpoint.as_str()),
    ]);
    let documents = DocumentsConfig::from_env(&env_of(&vars)).unwrap();
    let bucket = documents.s3.as_ref().unwrap().bucket_store().unwrap();
    let s = Server::start_with(Backend::Sqlite, "records_s3", |c| {
        c.documents = documents.clone();
    })
    .await
    .unwrap();

    let admin = s.token("desk1", &[Role::Admin]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    let doctor = s.token("dr1", &[Role::Doctor]);
    let marker = b"PLAINTEXT-MARKER-s3-77a1";
    let mut body = b"%PDF-1.7\n".to_vec();
    while body.len() < 150_000 {
        body.extend_from_slice(marker);
    }
    let created = upload_record(
        &s,
        &doctor,
        "category=labs&title=Scan",
        "application/pdf",
        body.clone(),
    )
    .await;
    let rid = created.ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/records/{rid}/content");
    let res = s
        .req(reqwest::Method::GET, &path, &doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), body.as_slice());

    // The object is in the bucket below <prefix>/<org>/, as ciphertext;
    // nothing of the document is under the data dir.
    let objects: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(bucket.list(None))
        .await
        .into_iter()
        .map(|m| m.unwrap().location)
        .collect();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(
        objects[0]
            .as_ref()
            .starts_with(&format!("prod/{ORG}/documents/")),
        "{objects:?}"
    );
    let raw = bucket
        .get(&objects[0])
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(raw.len() > body.len());
    assert!(!raw.windows(marker.len()).any(|w| w == marker));
    assert!(!s.dir.path().join("documents").exists());
    assert!(
        !s.dir.path().join("keys/kek.json").exists(),
        "a key file was made"
    );

    // Delete: the object goes too, and the record is gone.
    let nurse = s.token("n1", &[Role::Nurse]);
    assert_eq!(
        s.delete(&format!("/v1/records/{rid}"), &nurse).await.status,
        204
    );
    let left: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(bucket.list(None)).await;
    assert!(left.is_empty(), "{left:?}");
    let res = s
        .req(reqwest::Method::GET, &path, &doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    s.stop().await;
    drop(moto);
}

/// A KMS key that does not exist stops the server at start, naming it.
#[tokio::test]
async fn an_unusable_kms_key_stops_the_start() {
    let Some(moto) = Moto::start() else { return };
    let endpoint = moto.endpoint();
    let mut vars = CREDS.to_vec();
    vars.extend([
        ("HCAS_KMS", "aws:alias/does-not-exist"),
        ("HCAS_KMS_ENDPOINT", endpoint.as_str()),
    ]);
    let documents = DocumentsConfig::from_env(&env_of(&vars)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.documents = documents;
    let state = hcas_server::AppState::new(config);
    let e = hcas_server::start_state(state).await.err().unwrap();
    let text = e.to_string();
    assert!(text.contains("alias/does-not-exist"), "{text}");
    assert!(!text.contains("moto-secret"), "{text}");
    drop(moto);
}
