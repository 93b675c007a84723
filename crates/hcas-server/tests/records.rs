//! The records service over HTTP, on a real server with its real encrypted
//! document store: upload, list, download (ranges), the size limit while
//! streaming, type checks, the gate (a denied read answers like a missing
//! one, both audited; lists hide and do not count denied records), delete
//! as crypto-shredding, and no plaintext in any file under the data dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use hcas_server::tenants::OrgId;
use serde_json::{Value, json};
use support::{Backend, ORG, Server, patient, upload_record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A PDF-looking body of `n` bytes whose content carries `marker` often.
fn pdf(marker: &str, n: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    while v.len() < n {
        v.extend_from_slice(marker.as_bytes());
        v.push(b'\n');
    }
    v.truncate(n);
    v
}

async fn raw_get(s: &Server, path: &str, token: &str, range: Option<&str>) -> reqwest::Response {
    let mut rb = s.req(reqwest::Method::GET, path, token);
    if let Some(r) = range {
        rb = rb.header("range", r);
    }
    rb.send().await.unwrap()
}

async fn setup(s: &Server) {
    let admin = s.token("desk1", &[Role::Admin]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
}

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

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The body of a problem without its `instance` (the request id).
fn without_instance(v: &Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("instance");
    v
}

#[tokio::test]
async fn upload_list_download_range_delete() {
    round_trip(Server::sqlite().await).await;
}

#[tokio::test]
async fn upload_list_download_range_delete_postgres() {
    // The documents' metadata and wrapped keys in PostgreSQL, the
    // ciphertext under the data dir.
    if let Some(s) = Server::postgres("records_round_trip").await {
        round_trip(s).await;
    }
}

async fn round_trip(s: Server) {
    setup(&s).await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    let marker = "PLAINTEXT-MARKER-5f1c9a";
    let body = pdf(marker, 200_000);
    let res = upload_record(
        &s,
        &doctor,
        "category=labs&title=Blood%20panel&labels=N,LAB",
        "application/pdf",
        body.clone(),
    )
    .await;
    let created = res.ok(201).clone();
    let rid = created["record"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        res.headers["location"].to_str().unwrap(),
        format!("/v1/records/{rid}")
    );
    assert_eq!(created["version"], 1);
    assert_eq!(created["record"]["patient"], "P1");
    assert_eq!(created["record"]["author"], "dr1");
    assert_eq!(created["record"]["category"], "labs");
    assert_eq!(created["record"]["labels"], json!(["N", "LAB"]));
    assert_eq!(created["content"]["size"], body.len());
    assert_eq!(created["content"]["content_type"], "application/pdf");
    use sha2::Digest;
    let sha = sha2::Sha256::digest(&body);
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(created["content"]["sha256"], hex);

    // Listed, with its metadata; read alone.
    let list = s.get("/v1/patients/P1/records", &doctor).await;
    let list = list.ok(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["records"][0]["record"]["id"], rid.as_str());
    let one = s.get(&format!("/v1/records/{rid}"), &doctor).await;
    assert_eq!(one.ok(200)["record"], created["record"]);

    // The whole content.
    let path = format!("/v1/records/{rid}/content");
    let res = raw_get(&s, &path, &doctor, None).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), body.as_slice());

    // Ranges: a middle slice across a chunk boundary, a suffix, an open end.
    let res = raw_get(&s, &path, &doctor, Some("bytes=65530-65545")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 65530-65545/{}", body.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &body[65530..=65545]);
    let res = raw_get(&s, &path, &doctor, Some("bytes=-7")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &body[body.len() - 7..]);
    let res = raw_get(&s, &path, &doctor, Some("bytes=199990-")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &body[199_990..]);
    let res = raw_get(&s, &path, &doctor, Some("bytes=200000-200010")).await;
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", body.len()).as_str()
    );
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["code"], "range_not_satisfiable");

    // No file under the data dir holds the plaintext (documents, database).
    let all = files(s.dir.path());
    let objects = files(&s.dir.path().join("documents"));
    assert_eq!(objects.len(), 1, "{objects:?}");
    for f in &all {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "plaintext in {}",
            f.display()
        );
    }
    let kek = s.dir.path().join("keys/kek.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kek).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Delete: metadata and content gone; the old ciphertext, put back, is
    // unreadable (its data key no longer exists).
    let ciphertext = std::fs::read(&objects[0]).unwrap();
    let nurse = s.token("n1", &[Role::Nurse]);
    assert_eq!(
        s.delete(&format!("/v1/records/{rid}"), &nurse).await.status,
        204
    );
    assert_eq!(files(&s.dir.path().join("documents")).len(), 0);
    s.get(&path, &doctor).await.problem(404, "not_found");
    s.get(&format!("/v1/records/{rid}"), &doctor)
        .await
        .problem(404, "not_found");
    assert_eq!(
        s.get("/v1/patients/P1/records", &doctor).await.ok(200)["total"],
        0
    );
    std::fs::write(&objects[0], &ciphertext).unwrap();
    let docs = s
        .state()
        .tenants
        .documents(&OrgId::parse(ORG).unwrap())
        .await
        .unwrap();
    let err = docs.read(&rid).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    s.stop().await;
}

#[tokio::test]
async fn types_are_checked() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    let q = "category=records&title=Scan";
    upload_record(&s, &doctor, q, "image/gif", b"GIF89a".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    upload_record(
        &s,
        &doctor,
        q,
        "application/pdf",
        b"hello, not a pdf".to_vec(),
    )
    .await
    .problem(422, "content_mismatch");
    upload_record(&s, &doctor, q, "image/png", b"%PDF-1.7 ...".to_vec())
        .await
        .problem(422, "content_mismatch");
    upload_record(&s, &doctor, q, "application/pdf", Vec::new())
        .await
        .problem(422, "content_mismatch");
    upload_record(
        &s,
        &doctor,
        q,
        "application/fhir+json",
        br#"{"id":"x"}"#.to_vec(),
    )
    .await
    .problem(422, "content_mismatch");
    upload_record(&s, &doctor, q, "text/plain", b"\xFF\xFEbad".to_vec())
        .await
        .problem(422, "content_mismatch");
    upload_record(&s, &doctor, "title=x", "text/plain", b"x".to_vec())
        .await
        .problem(422, "invalid_request");
    upload_record(
        &s,
        &doctor,
        "category=appointments&title=x",
        "text/plain",
        b"x".to_vec(),
    )
    .await
    .problem(422, "invalid_request");
    assert!(files(&s.dir.path().join("documents")).is_empty());

    // The accepted ones.
    let res = upload_record(
        &s,
        &doctor,
        q,
        "application/fhir+json; charset=utf-8",
        br#"{"resourceType":"Observation","status":"final"}"#.to_vec(),
    )
    .await;
    assert_eq!(
        res.ok(201)["content"]["content_type"],
        "application/fhir+json"
    );
    upload_record(
        &s,
        &doctor,
        q,
        "image/jpeg",
        b"\xFF\xD8\xFF\xE0rest".to_vec(),
    )
    .await
    .ok(201);
    upload_record(&s, &doctor, q, "text/plain", b"note".to_vec())
        .await
        .ok(201);
    s.stop().await;
}

/// A chunked upload (no `Content-Length`) over a raw connection; the status.
async fn chunked_upload(s: &Server, token: &str, total: usize) -> u16 {
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/patients/P1/records?category=records&title=Big HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let body = pdf("stream", total);
    for piece in body.chunks(16 * 1024) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        // The server may answer and close before everything is sent.
        if conn.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn size_limit_while_streaming() {
    let s = Server::start_with(Backend::Sqlite, "sqlite", |c| c.max_upload_bytes = 100_000)
        .await
        .unwrap();
    setup(&s).await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    // Announced too large: refused before reading.
    upload_record(
        &s,
        &doctor,
        "category=records&title=Big",
        "application/pdf",
        pdf("x", 100_001),
    )
    .await
    .problem(413, "payload_too_large");
    // Streamed without a length: refused once past the limit.
    assert_eq!(chunked_upload(&s, &doctor, 300_000).await, 413);
    assert!(files(&s.dir.path().join("documents")).is_empty());
    assert_eq!(
        s.get("/v1/patients/P1/records", &doctor).await.ok(200)["total"],
        0
    );
    // At the limit exactly: stored.
    assert_eq!(chunked_upload(&s, &doctor, 100_000).await, 201);
    assert_eq!(
        s.get("/v1/patients/P1/records", &doctor).await.ok(200)["total"],
        1
    );
    s.stop().await;
}

#[tokio::test]
async fn denied_is_missing_and_lists_hide() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    let me = s.token("P1", &[Role::Patient]);
    let other = s.token("P2", &[Role::Patient]);
    let open = upload_record(
        &s,
        &doctor,
        "category=records&title=Discharge",
        "text/plain",
        b"discharged".to_vec(),
    )
    .await
    .ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = upload_record(
        &s,
        &doctor,
        "category=records&title=Restricted&labels=R",
        "text/plain",
        b"restricted".to_vec(),
    )
    .await
    .ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The patient permits everything except records labelled R (a
    // provision is an exception to the base decision).
    s.post(
        "/v1/patients/P1/consents",
        &me,
        json!({
            "id": "K1", "status": "active", "decision": "permit",
            "provisions": [ { "labels": ["R"] } ]
        }),
    )
    .await
    .ok(201);

    // The doctor's list hides and does not count the restricted record.
    let list = s.get("/v1/patients/P1/records", &doctor).await;
    let list = list.ok(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["records"].as_array().unwrap().len(), 1);
    assert_eq!(list["records"][0]["record"]["id"], open.as_str());
    assert!(!list.to_string().contains(&secret));
    // Another patient sees nothing of P1's.
    assert_eq!(
        s.get("/v1/patients/P1/records", &other).await.ok(200)["total"],
        0
    );

    // Denied and missing: the same status and body (but the request id).
    let before = s.audit(ORG).await.len();
    let denied = s.get(&format!("/v1/records/{secret}"), &doctor).await;
    let missing = s.get("/v1/records/no-such-record", &doctor).await;
    let denied_body = denied.problem(404, "not_found").clone();
    let missing_body = missing.problem(404, "not_found").clone();
    assert_eq!(
        without_instance(&denied_body),
        without_instance(&missing_body)
    );
    let denied_content = s
        .get(&format!("/v1/records/{secret}/content"), &doctor)
        .await;
    let missing_content = s.get("/v1/records/no-such-record/content", &doctor).await;
    assert_eq!(denied_content.status, missing_content.status);
    assert_eq!(
        without_instance(&denied_content.json),
        without_instance(&missing_content.json)
    );
    let audit = s.audit(ORG).await;
    let new: Vec<_> = audit[before..].iter().map(|r| &r.event).collect();
    assert_eq!(new.len(), 4, "one audit record per request: {new:?}");
    assert_eq!(new[0].target, format!("record:{secret}"));
    assert_eq!(new[0].outcome, "deny");
    assert_eq!(new[0].action, "record.read");
    assert_eq!(new[1].target, "record:no-such-record");
    assert_eq!(new[1].outcome, "deny");
    assert_eq!(new[2].action, "record.content");
    assert_eq!(new[3].target, "record:no-such-record");

    // Deleting it is refused the same way, and it stays.
    s.delete(&format!("/v1/records/{secret}"), &doctor)
        .await
        .problem(404, "not_found");
    // The patient still reads their own restricted record.
    let res = raw_get(&s, &format!("/v1/records/{secret}/content"), &me, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"restricted");
    s.stop().await;
}

#[tokio::test]
async fn fhir_document_reference() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    let me = s.token("P1", &[Role::Patient]);
    let body = pdf("fhir-doc", 70_000);
    let rid = upload_record(
        &s,
        &doctor,
        "category=labs&title=Panel&labels=N,PSY",
        "application/pdf",
        body.clone(),
    )
    .await
    .ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hidden = upload_record(
        &s,
        &doctor,
        "category=records&title=Hidden&labels=R",
        "text/plain",
        b"hidden".to_vec(),
    )
    .await
    .ok(201)["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.post(
        "/v1/patients/P1/consents",
        &me,
        json!({
            "id": "K1", "status": "active", "decision": "permit",
            "provisions": [ { "labels": ["R"] } ]
        }),
    )
    .await
    .ok(201);

    let res = s
        .get(&format!("/fhir/r4/DocumentReference/{rid}"), &doctor)
        .await;
    let d = res.ok(200);
    assert_eq!(
        res.headers["content-type"].to_str().unwrap(),
        "application/fhir+json"
    );
    assert_eq!(d["resourceType"], "DocumentReference");
    assert_eq!(d["status"], "current");
    assert_eq!(d["subject"]["reference"], "Patient/P1");
    assert_eq!(d["category"][0]["coding"][0]["code"], "labs");
    assert_eq!(d["securityLabel"][0]["coding"][0]["code"], "N");
    assert_eq!(d["securityLabel"][1]["coding"][0]["code"], "PSY");
    assert_eq!(d["author"][0]["identifier"]["value"], "dr1");
    let a = &d["content"][0]["attachment"];
    assert_eq!(a["contentType"], "application/pdf");
    assert_eq!(a["size"], body.len());
    use base64::Engine;
    use sha1::Digest;
    let want = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&body));
    assert_eq!(a["hash"], want);
    let url = a["url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/v1/records/{rid}/content")),
        "{url}"
    );
    let got = s.client.get(url).bearer_auth(&doctor).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), body.as_slice());

    // Search: only what the doctor may read, and total counts only that.
    let b = s
        .get("/fhir/r4/DocumentReference?patient=P1", &doctor)
        .await;
    let b = b.ok(200);
    assert_eq!(b["type"], "searchset");
    assert_eq!(b["total"], 1);
    assert_eq!(b["entry"].as_array().unwrap().len(), 1);
    assert_eq!(b["entry"][0]["resource"]["id"], rid.as_str());
    assert!(!b.to_string().contains(&hidden));
    // The patient sees both.
    let b = s
        .get("/fhir/r4/DocumentReference?patient=Patient/P1", &me)
        .await;
    assert_eq!(b.ok(200)["total"], 2);
    // A denied read is a missing one.
    let denied = s
        .get(&format!("/fhir/r4/DocumentReference/{hidden}"), &doctor)
        .await;
    let missing = s.get("/fhir/r4/DocumentReference/nope", &doctor).await;
    assert_eq!(denied.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(denied.json["resourceType"], "OperationOutcome");
    assert_eq!(
        denied.json["issue"][0]["code"],
        missing.json["issue"][0]["code"]
    );
    s.stop().await;
}
