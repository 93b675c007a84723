//! `HCAS_DOCUMENTS_URL=gs://bucket/prefix`: the server's document settings
//! for Google Cloud Storage, validated with errors naming the variable.
//! (No server run against gcp-storage-emulator: the start-up check `HEAD`s
//! the bucket, which that emulator answers 501; see docs/records.md.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_server::config::DocumentsConfig;
use hcas_store::documents::GcsCredentials;
use support::env_of;

#[test]
fn gs_locations_select_cloud_storage() {
    let c = DocumentsConfig::from_env(&env_of(&[
        ("HCAS_DOCUMENTS_URL", "gs://hospital-records/hcas"),
        ("HCAS_GCS_ENDPOINT", "http://127.0.0.1:9023"),
        ("HCAS_GCS_ANONYMOUS", "1"),
    ]))
    .unwrap();
    assert!(c.s3.is_none());
    let g = c.gcs.unwrap();
    assert_eq!(
        (g.bucket.as_str(), g.prefix.as_str()),
        ("hospital-records", "hcas")
    );
    assert_eq!(g.endpoint.as_deref(), Some("http://127.0.0.1:9023"));
    assert_eq!(g.credentials, GcsCredentials::Anonymous);

    let c = DocumentsConfig::from_env(&env_of(&[
        ("HCAS_DOCUMENTS_URL", "gs://hospital-records"),
        ("GOOGLE_APPLICATION_CREDENTIALS", "/etc/hcas/sa.json"),
    ]))
    .unwrap();
    let g = c.gcs.unwrap();
    assert_eq!(
        g.credentials,
        GcsCredentials::ServiceAccountFile("/etc/hcas/sa.json".into())
    );
    assert_eq!(g.endpoint, None);

    // s3:// still means S3 (and needs no Google settings).
    let c = DocumentsConfig::from_env(&env_of(&[
        ("HCAS_DOCUMENTS_URL", "s3://hospital-records/hcas"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "eu-central-1"),
    ]))
    .unwrap();
    assert!(c.s3.is_some() && c.gcs.is_none());
}

#[test]
fn gcs_settings_are_validated() {
    let err = |pairs: &[(&str, &str)]| {
        DocumentsConfig::from_env(&env_of(pairs))
            .unwrap_err()
            .to_string()
    };
    let e = err(&[("HCAS_GCS_ENDPOINT", "http://127.0.0.1:9023")]);
    assert!(
        e.contains("HCAS_GCS_ENDPOINT") && e.contains("gs://"),
        "{e}"
    );
    let e = err(&[("HCAS_DOCUMENTS_URL", "gs://Bad_Bucket")]);
    assert!(
        e.contains("HCAS_DOCUMENTS_URL") && e.contains("bucket name"),
        "{e}"
    );
    let e = err(&[
        ("HCAS_DOCUMENTS_URL", "gs://records"),
        ("HCAS_GCS_ENDPOINT", "ftp://host"),
    ]);
    assert!(e.contains("HCAS_GCS_ENDPOINT"), "{e}");
    let e = err(&[
        ("HCAS_DOCUMENTS_URL", "gs://records"),
        ("HCAS_S3_ENDPOINT", "http://127.0.0.1:9000"),
    ]);
    assert!(
        e.contains("HCAS_S3_ENDPOINT") && e.contains("HCAS_GCS_ENDPOINT"),
        "{e}"
    );
    let e = err(&[
        ("HCAS_DOCUMENTS_URL", "gs://records"),
        ("HCAS_GCS_ANONYMOUS", "yes"),
    ]);
    assert!(e.contains("HCAS_GCS_ANONYMOUS"), "{e}");
}
