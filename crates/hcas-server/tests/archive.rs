//! The archive tier through the server: with `HCAS_ARCHIVE_AFTER_SECONDS`
//! the background job moves an uploaded document's ciphertext from
//! `data_dir/documents/<org>/` to `data_dir/archive/<org>/`, and the REST
//! API still reads it, whole and by range, byte for byte. The settings are
//! validated with errors naming the variable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use hcas_server::config::DocumentsConfig;
use support::{Backend, ORG, Server, env_of, patient, upload_record};

/// Every regular file below `dir`.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn old_documents_move_to_the_archive_and_read_the_same() {
    let docs = DocumentsConfig::from_env(&env_of(&[("HCAS_ARCHIVE_AFTER_SECONDS", "1")])).unwrap();
    let s = Server::start_with(Backend::Sqlite, "archive", move |c| c.documents = docs)
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
    let mut body = b"%PDF-1.7\n".to_vec();
    let mut i = 0u32;
    while body.len() < 150_000 {
        body.extend_from_slice(format!("line {i}\n").as_bytes());
        i += 1;
    }
    let created = upload_record(
        &s,
        &doctor,
        "category=labs&title=Old%20panel",
        "application/pdf",
        body.clone(),
    )
    .await;
    let rid = created.ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Wait (up to a generous deadline) until the job has moved the object.
    let primary = s.dir.path().join("documents").join(ORG);
    let archive = s.dir.path().join("archive").join(ORG);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if files(&primary).is_empty() && files(&archive).len() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not archived: primary {:?}, archive {:?}",
            files(&primary),
            files(&archive)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Read back through the API, whole and by ranges, byte for byte.
    let path = format!("/v1/records/{rid}/content");
    let res = s
        .req(reqwest::Method::GET, &path, &doctor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), body.as_slice());
    let res = s
        .req(reqwest::Method::GET, &path, &doctor)
        .header("range", "bytes=65530-70000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 65530-70000/{}", body.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &body[65530..=70000]);

    // Still listed with its content; delete clears the archived object.
    let one = s.get(&format!("/v1/records/{rid}"), &doctor).await;
    assert_eq!(one.ok(200)["content"]["size"], body.len());
    let nurse = s.token("n1", &[Role::Nurse]);
    assert_eq!(
        s.delete(&format!("/v1/records/{rid}"), &nurse).await.status,
        204
    );
    assert!(files(&archive).is_empty(), "{:?}", files(&archive));
    s.stop().await;
}

#[test]
fn archive_settings_are_validated() {
    let err = |pairs: &[(&str, &str)]| {
        DocumentsConfig::from_env(&env_of(pairs))
            .unwrap_err()
            .to_string()
    };
    let e = err(&[("HCAS_ARCHIVE_AFTER_DAYS", "0")]);
    assert!(
        e.contains("HCAS_ARCHIVE_AFTER_DAYS") && e.contains("1 to 36500"),
        "{e}"
    );
    let e = err(&[("HCAS_ARCHIVE_AFTER_DAYS", "a year")]);
    assert!(e.contains("HCAS_ARCHIVE_AFTER_DAYS"), "{e}");
    let e = err(&[
        ("HCAS_ARCHIVE_AFTER_DAYS", "365"),
        ("HCAS_ARCHIVE_AFTER_SECONDS", "60"),
    ]);
    assert!(e.contains("set one of them"), "{e}");
    let e = err(&[("HCAS_ARCHIVE_URL", "s3://bucket/archive")]);
    assert!(
        e.contains("HCAS_ARCHIVE_URL") && e.contains("HCAS_ARCHIVE_AFTER_DAYS"),
        "{e}"
    );

    let ok = DocumentsConfig::from_env(&env_of(&[("HCAS_ARCHIVE_AFTER_DAYS", "365")])).unwrap();
    assert_eq!(
        ok.archive_after,
        Some(std::time::Duration::from_secs(365 * 86_400))
    );
    assert!(ok.archive.is_none());
    let off = DocumentsConfig::from_env(&env_of(&[])).unwrap();
    assert_eq!(off.archive_after, None);
}
