//! S3-compatible object storage and an AWS-KMS-protocol key-encryption
//! adapter (feature `documents-s3`).
//!
//! - [`S3Config`] turns `s3://bucket/prefix` plus the standard AWS variables
//!   into an `object_store` S3 client ([`S3Config::object_store`]); an
//!   endpoint makes it talk to any S3-compatible server (path-style).
//! - [`AwsKms`] implements [`Kms`] over the KMS JSON 1.1 API (`Encrypt`,
//!   `Decrypt`, `ReEncrypt`), signed with AWS Signature Version 4
//!   ([`sigv4`], hand-written on `hmac` + `sha2`). The document id is bound
//!   as the KMS encryption context, so a wrapped key only unwraps for its
//!   document.
//!
//! Secrets (the secret access key, a session token) are never printed: the
//! `Debug` impls show the access key id and region only.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::Mac;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::aead::{self, KEY_LEN};
use super::kms::{DataKey, Kms, WrappedKey};
use crate::StoreError;

/// How long one KMS or S3 request may take before it counts as unavailable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The KMS encryption-context key that binds a wrapped key to its document.
const CONTEXT_KEY: &str = "hcas:document";

use super::invalid_setting as invalid;

pub use super::install_crypto_provider;

/// AWS credentials and region, from the standard variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional
/// `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION`).
#[derive(Clone)]
pub struct AwsCredentials {
    /// The access key id (not secret; shown in `Debug`).
    pub access_key_id: String,
    secret_access_key: Arc<Zeroizing<String>>,
    session_token: Option<Arc<Zeroizing<String>>>,
    /// The region requests are signed for (e.g. `eu-central-1`).
    pub region: String,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

impl AwsCredentials {
    /// Credentials from explicit values.
    #[must_use]
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: Arc::new(Zeroizing::new(secret_access_key.into())),
            session_token: session_token.map(|t| Arc::new(Zeroizing::new(t))),
            region: region.into(),
        }
    }

    /// Credentials from the standard AWS variables, read through `var`
    /// (`std::env::var(..).ok()` in a server; a map in tests).
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`) naming the missing or empty variable.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let need = |name: &str| {
            var(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                invalid(
                    name,
                    format!("{name} is not set: S3 and KMS need AWS credentials and a region"),
                )
            })
        };
        let access = need("AWS_ACCESS_KEY_ID")?;
        let secret = need("AWS_SECRET_ACCESS_KEY")?;
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                invalid(
                    "AWS_REGION",
                    "AWS_REGION is not set: name the region of the bucket and key (e.g. eu-central-1)",
                )
            })?;
        if !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(
                "AWS_REGION",
                "AWS_REGION may hold only lowercase letters, digits and '-' (e.g. eu-central-1)",
            ));
        }
        let token = var("AWS_SESSION_TOKEN").filter(|v| !v.trim().is_empty());
        Ok(Self::new(access, secret, token, region))
    }
}

/// Check an `http(s)://host[:port]` endpoint; `at` names the setting.
fn check_endpoint(at: &str, endpoint: &str) -> Result<reqwest::Url, StoreError> {
    let url = reqwest::Url::parse(endpoint).map_err(|e| {
        invalid(
            at,
            format!("{at} is not a URL ({e}); write e.g. https://s3.example.net or http://127.0.0.1:9000"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(
            at,
            format!("{at} must be an http:// or https:// URL with a host"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            at,
            format!(
                "{at} must not carry credentials; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
        ));
    }
    Ok(url)
}

/// Where documents go in S3-compatible storage: `s3://bucket/prefix`.
#[derive(Clone, Debug)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The key prefix inside the bucket (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Credentials and region.
    pub credentials: AwsCredentials,
}

impl S3Config {
    /// Parse `url` (`s3://bucket[/prefix]`) with an optional `endpoint`.
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`, at `HCAS_DOCUMENTS_URL` or
    /// `HCAS_S3_ENDPOINT`) saying what to fix.
    pub fn parse(
        url: &str,
        endpoint: Option<&str>,
        credentials: AwsCredentials,
    ) -> Result<Self, StoreError> {
        const AT: &str = "HCAS_DOCUMENTS_URL";
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            invalid(
                AT,
                "an S3 location must start with s3:// (e.g. s3://hospital-records/documents)",
            )
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(invalid(
                AT,
                "the bucket name must be 3 to 63 lowercase letters, digits, '-' or '.', \
                 starting and ending with a letter or digit",
            ));
        }
        let prefix = super::check_bucket_prefix(AT, prefix)?;
        let endpoint = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => {
                check_endpoint("HCAS_S3_ENDPOINT", e)?;
                Some(e.trim_end_matches('/').to_string())
            }
            None => None,
        };
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint,
            credentials,
        })
    }

    /// The S3 client for the bucket, under the prefix.
    ///
    /// # Errors
    /// `Unavailable` if the client cannot be built.
    pub fn object_store(&self) -> Result<Arc<dyn object_store::ObjectStore>, StoreError> {
        Ok(super::under_prefix(self.bucket_store()?, &self.prefix))
    }

    /// The S3 client for the whole bucket (no prefix).
    ///
    /// # Errors
    /// `Unavailable` if the client cannot be built.
    pub fn bucket_store(&self) -> Result<Arc<dyn object_store::ObjectStore>, StoreError> {
        install_crypto_provider();
        let c = &self.credentials;
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&c.region)
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(c.secret_access_key.as_str())
            .with_client_options(object_store::ClientOptions::new().with_timeout(REQUEST_TIMEOUT));
        if let Some(t) = &c.session_token {
            b = b.with_token(t.as_str());
        }
        if let Some(e) = &self.endpoint {
            b = b
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let s3 = b
            .build()
            .map_err(|e| StoreError::Unavailable(format!("S3 bucket {}: {e}", self.bucket)))?;
        Ok(Arc::new(s3))
    }
}

/// AWS Signature Version 4 for one request.
pub mod sigv4 {
    use super::{Digest, Mac, Sha256, aead};

    type HmacSha256 = hmac::Hmac<Sha256>;

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length: this cannot fail.
        let mut m = <HmacSha256 as hmac::KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// What is signed.
    #[derive(Debug)]
    pub struct Request<'a> {
        /// `GET`, `POST`, ...
        pub method: &'a str,
        /// The URI-encoded path (`/`).
        pub path: &'a str,
        /// The canonical (sorted, encoded) query string, or empty.
        pub query: &'a str,
        /// Headers to sign as (lowercase name, value), sorted by name.
        pub headers: &'a [(&'a str, &'a str)],
        /// SHA-256 of the body, lowercase hex.
        pub payload_sha256: &'a str,
        /// `YYYYMMDDTHHMMSSZ` (the `x-amz-date` header's value).
        pub amz_date: &'a str,
        /// Region and service (`us-east-1`, `kms`).
        pub region: &'a str,
        /// The service name in the scope (`kms`, `iam`).
        pub service: &'a str,
    }

    /// The canonical request (step 1 of SigV4).
    #[must_use]
    pub fn canonical_request(r: &Request<'_>) -> String {
        let mut s = format!("{}\n{}\n{}\n", r.method, r.path, r.query);
        for (k, v) in r.headers {
            s.push_str(k);
            s.push(':');
            s.push_str(v.trim());
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&signed_headers(r));
        s.push('\n');
        s.push_str(r.payload_sha256);
        s
    }

    fn signed_headers(r: &Request<'_>) -> String {
        r.headers
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(";")
    }

    fn scope(r: &Request<'_>) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            r.amz_date.get(..8).unwrap_or(""),
            r.region,
            r.service
        )
    }

    /// The string to sign (step 2).
    #[must_use]
    pub fn string_to_sign(r: &Request<'_>) -> String {
        format!(
            "AWS4-HMAC-SHA256\n{}\n{}\n{}",
            r.amz_date,
            scope(r),
            aead::hex(&Sha256::digest(canonical_request(r).as_bytes()))
        )
    }

    /// The signing key (step 3), derived from the secret access key.
    #[must_use]
    pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        hmac(&k_service, b"aws4_request")
    }

    /// The signature, lowercase hex (step 4).
    #[must_use]
    pub fn signature(r: &Request<'_>, secret: &str) -> String {
        let key = signing_key(
            secret,
            r.amz_date.get(..8).unwrap_or(""),
            r.region,
            r.service,
        );
        aead::hex(&hmac(&key, string_to_sign(r).as_bytes()))
    }

    /// The `Authorization` header's value.
    #[must_use]
    pub fn authorization(r: &Request<'_>, access_key_id: &str, secret: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={access_key_id}/{}, SignedHeaders={}, Signature={}",
            scope(r),
            signed_headers(r),
            signature(r, secret)
        )
    }
}

/// A [`Kms`] speaking the AWS KMS JSON 1.1 API (AWS KMS itself, or a
/// compatible server at an endpoint). The key-encryption key never leaves
/// the KMS: data keys are sent to `Encrypt`, come back from `Decrypt`, and
/// rotation uses `ReEncrypt` (the data key stays inside the KMS).
///
/// Rotation: create a new KMS key, then [`AwsKms::set_current_key`] (or
/// restart with the new `HCAS_KMS=aws:<key-id>`) and run
/// [`super::Documents::rewrap_all`]; old wrapped keys keep unwrapping under
/// their own key until it is disabled or deleted in the KMS.
pub struct AwsKms {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    credentials: AwsCredentials,
    current: RwLock<String>,
}

impl fmt::Debug for AwsKms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AwsKms");
        d.field("endpoint", &self.endpoint.as_str());
        if let Ok(c) = self.current.read() {
            d.field("current", &*c);
        }
        d.field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// Parse `HCAS_KMS`'s `aws:<key-id>` form; `None` if it is not that form.
///
/// # Errors
/// `Invalid` (at `HCAS_KMS`) for an empty or malformed key id.
pub fn parse_aws_kms_setting(setting: &str) -> Result<Option<String>, StoreError> {
    let Some(id) = setting.strip_prefix("aws:") else {
        return Ok(None);
    };
    check_key_id(id)?;
    Ok(Some(id.to_string()))
}

fn check_key_id(id: &str) -> Result<(), StoreError> {
    if id.is_empty()
        || id.len() > 2048
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_/:.".contains(c))
    {
        return Err(invalid(
            "HCAS_KMS",
            "the KMS key must be a key id, key ARN, alias/<name> or alias ARN \
             (letters, digits, '-', '_', '/', ':', '.'), e.g. aws:alias/hcas-records",
        ));
    }
    Ok(())
}

/// The `__type` of a KMS error without its namespace.
fn error_type(body: &serde_json::Value) -> String {
    let t = body
        .get("__type")
        .and_then(|v| v.as_str())
        .unwrap_or("UnknownError");
    t.rsplit('#').next().unwrap_or(t).to_string()
}

impl AwsKms {
    /// A client for the KMS at `endpoint` (`None`: AWS's
    /// `https://kms.<region>.amazonaws.com`) wrapping under `key_id`.
    ///
    /// # Errors
    /// `Invalid` (at `HCAS_KMS` / `HCAS_KMS_ENDPOINT`) for a bad key id or
    /// endpoint; `Unavailable` if the HTTP client cannot be built.
    pub fn new(
        key_id: &str,
        endpoint: Option<&str>,
        credentials: AwsCredentials,
    ) -> Result<Self, StoreError> {
        check_key_id(key_id)?;
        let endpoint = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => check_endpoint("HCAS_KMS_ENDPOINT", e)?,
            None => check_endpoint(
                "AWS_REGION",
                &format!("https://kms.{}.amazonaws.com/", credentials.region),
            )?,
        };
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("KMS client: {e}")))?;
        Ok(Self {
            client,
            endpoint,
            credentials,
            current: RwLock::new(key_id.to_string()),
        })
    }

    /// Wrap new data keys under `key_id` from now on (after creating a new
    /// key in the KMS); then re-wrap old ones with
    /// [`super::Documents::rewrap_all`].
    ///
    /// # Errors
    /// `Invalid` (at `HCAS_KMS`) for a malformed key id.
    pub fn set_current_key(&self, key_id: &str) -> Result<(), StoreError> {
        check_key_id(key_id)?;
        let mut c = self
            .current
            .write()
            .map_err(|_| StoreError::Internal("KMS key lock poisoned".into()))?;
        *c = key_id.to_string();
        Ok(())
    }

    fn current(&self) -> Result<String, StoreError> {
        self.current
            .read()
            .map(|c| c.clone())
            .map_err(|_| StoreError::Internal("KMS key lock poisoned".into()))
    }

    fn host_header(&self) -> String {
        let host = self.endpoint.host_str().unwrap_or_default();
        match self.endpoint.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }

    /// One signed KMS call: `TrentService.<action>` with a JSON body.
    /// Returns the JSON answer, or the error's type and message.
    async fn call(
        &self,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, (String, String)> {
        let payload = Zeroizing::new(serde_json::to_vec(body).map_err(|e| {
            (
                "Internal".to_string(),
                format!("cannot encode the request: {e}"),
            )
        })?);
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let host = self.host_header();
        let target = format!("TrentService.{action}");
        let payload_sha = aead::hex(&Sha256::digest(payload.as_slice()));
        let c = &self.credentials;
        let mut headers: Vec<(&str, &str)> = vec![
            ("content-type", "application/x-amz-json-1.1"),
            ("host", &host),
            ("x-amz-date", &amz_date),
        ];
        if let Some(t) = &c.session_token {
            headers.push(("x-amz-security-token", t.as_str()));
        }
        headers.push(("x-amz-target", &target));
        let path = self.endpoint.path().to_string();
        let req = sigv4::Request {
            method: "POST",
            path: &path,
            query: "",
            headers: &headers,
            payload_sha256: &payload_sha,
            amz_date: &amz_date,
            region: &c.region,
            service: "kms",
        };
        let auth = sigv4::authorization(&req, &c.access_key_id, &c.secret_access_key);
        let mut http = self
            .client
            .post(self.endpoint.clone())
            .header("authorization", auth)
            .body(payload.to_vec());
        for (k, v) in &headers {
            http = http.header(*k, *v);
        }
        let resp = http
            .send()
            .await
            .map_err(|e| ("Unavailable".to_string(), e.without_url().to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ("Unavailable".to_string(), e.without_url().to_string()))?;
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            // KMS answers errors in JSON; an authentication layer in front
            // of it (or a compatible server) may answer XML: keep its code.
            let text = String::from_utf8_lossy(&bytes);
            let code = text
                .split_once("<Code>")
                .and_then(|(_, rest)| rest.split_once("</Code>"))
                .map(|(code, _)| code.to_string());
            return Err(match (status.as_u16(), code) {
                (400..=499, Some(code)) => (code, format!("HTTP {status}")),
                (401 | 403, None) => ("AccessDeniedException".into(), format!("HTTP {status}")),
                _ => (
                    "Unavailable".into(),
                    format!("the KMS answered {status} with a body that is not JSON"),
                ),
            });
        };
        if status.is_success() {
            Ok(json)
        } else {
            let msg = json
                .get("message")
                .or_else(|| json.get("Message"))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            Err((error_type(&json), msg))
        }
    }

    fn context(context: &[u8]) -> serde_json::Value {
        serde_json::json!({ CONTEXT_KEY: aead::hex(context) })
    }

    fn blob(json: &serde_json::Value, field: &str) -> Result<Vec<u8>, StoreError> {
        json.get(field)
            .and_then(|v| v.as_str())
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| StoreError::Unavailable(format!("the KMS answer has no base64 {field}")))
    }
}

/// Map a KMS error for a call on key `kek`.
fn kms_error(kek: &str, (kind, msg): (String, String)) -> StoreError {
    match kind.as_str() {
        "InvalidCiphertextException" | "IncorrectKeyException" => StoreError::Integrity(format!(
            "the wrapped data key (under {kek}) failed authentication in the KMS: it was \
             altered or belongs to another document"
        )),
        "NotFoundException"
        | "DisabledException"
        | "KMSInvalidStateException"
        | "AccessDeniedException"
        | "KeyUnavailableException"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "InvalidKeyUsageException" => StoreError::KeyUnavailable(format!(
            "KMS key {kek}: {kind}: {msg}; check that the key exists, is enabled and that \
             the credentials may use it"
        )),
        _ => StoreError::Unavailable(format!("KMS key {kek}: {kind}: {msg}")),
    }
}

#[async_trait]
impl Kms for AwsKms {
    async fn current_key_id(&self) -> Result<String, StoreError> {
        self.current()
    }

    async fn wrap(&self, key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let kek = self.current()?;
        let plaintext = Zeroizing::new(B64.encode(key.expose()));
        let body = serde_json::json!({
            "KeyId": kek,
            "Plaintext": plaintext.as_str(),
            "EncryptionContext": Self::context(context),
        });
        let json = self
            .call("Encrypt", &body)
            .await
            .map_err(|e| kms_error(&kek, e))?;
        drop(body);
        Ok(WrappedKey {
            bytes: Self::blob(&json, "CiphertextBlob")?,
            kek_id: kek,
        })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<DataKey, StoreError> {
        let body = serde_json::json!({
            "KeyId": wrapped.kek_id,
            "CiphertextBlob": B64.encode(&wrapped.bytes),
            "EncryptionContext": Self::context(context),
        });
        let json = self
            .call("Decrypt", &body)
            .await
            .map_err(|e| kms_error(&wrapped.kek_id, e))?;
        let plain = Zeroizing::new(Self::blob(&json, "Plaintext")?);
        let key: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| {
            StoreError::Integrity(format!(
                "the KMS returned {} bytes for a {KEY_LEN}-byte data key (under {})",
                plain.len(),
                wrapped.kek_id
            ))
        })?;
        Ok(DataKey::from_bytes(key))
    }

    async fn rewrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let kek = self.current()?;
        let ctx = Self::context(context);
        let body = serde_json::json!({
            "CiphertextBlob": B64.encode(&wrapped.bytes),
            "SourceKeyId": wrapped.kek_id,
            "SourceEncryptionContext": ctx,
            "DestinationKeyId": kek,
            "DestinationEncryptionContext": ctx,
        });
        let json = self
            .call("ReEncrypt", &body)
            .await
            .map_err(|e| kms_error(&wrapped.kek_id, e))?;
        Ok(WrappedKey {
            bytes: Self::blob(&json, "CiphertextBlob")?,
            kek_id: kek,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// AWS's worked Signature Version 4 example (AWS General Reference,
    /// "Examples of how to derive a signing key for Signature Version 4" and
    /// "Create a canonical request / string to sign / calculate the
    /// signature": `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`
    /// at 20150830T123600Z, region us-east-1, service iam, access key
    /// `AKIDEXAMPLE`, secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`).
    /// The expected values are the ones published there.
    #[test]
    fn sigv4_matches_the_published_aws_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let empty = aead::hex(&Sha256::digest(b""));
        assert_eq!(
            empty,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let r = sigv4::Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            payload_sha256: &empty,
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "iam",
        };
        assert_eq!(
            aead::hex(&Sha256::digest(sigv4::canonical_request(&r).as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            sigv4::string_to_sign(&r),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
             f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            aead::hex(&sigv4::signing_key(secret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(
            sigv4::authorization(&r, "AKIDEXAMPLE", secret),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn configuration_is_validated_with_what_to_fix() {
        let full = [
            ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret-value"),
            ("AWS_REGION", "eu-central-1"),
        ];
        let creds = AwsCredentials::from_env(env(&full)).unwrap();
        let shown = format!("{creds:?}");
        assert!(
            shown.contains("AKIDTEST") && !shown.contains("very-secret"),
            "{shown}"
        );

        let e = AwsCredentials::from_env(env(&full[..2])).unwrap_err();
        assert!(e.to_string().contains("AWS_REGION"), "{e}");
        let e = AwsCredentials::from_env(env(&full[1..])).unwrap_err();
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");

        let c = S3Config::parse(
            "s3://records-bucket/a/b/",
            Some("http://127.0.0.1:9"),
            creds.clone(),
        )
        .unwrap();
        assert_eq!(
            (c.bucket.as_str(), c.prefix.as_str()),
            ("records-bucket", "a/b")
        );
        assert!(!format!("{c:?}").contains("very-secret"));
        for (url, endpoint, what) in [
            ("https://bucket/x", None, "s3://"),
            ("s3://B", None, "bucket name"),
            ("s3://bucket/../x", None, "prefix"),
            ("s3://bucket", Some("ftp://host"), "HCAS_S3_ENDPOINT"),
            ("s3://bucket", Some("http://u:p@host"), "credentials"),
        ] {
            let e = S3Config::parse(url, endpoint, creds.clone()).unwrap_err();
            assert_eq!(e.core_code(), Some(hcas_core::ErrorCode::InvalidRequest));
            assert!(e.to_string().contains(what), "{url}: {e}");
        }

        assert_eq!(parse_aws_kms_setting("local").unwrap(), None);
        assert_eq!(
            parse_aws_kms_setting("aws:alias/hcas").unwrap().as_deref(),
            Some("alias/hcas")
        );
        assert!(parse_aws_kms_setting("aws:").is_err());
        assert!(parse_aws_kms_setting("aws:key id").is_err());
        let kms = AwsKms::new("alias/hcas", Some("http://127.0.0.1:9"), creds).unwrap();
        let shown = format!("{kms:?}");
        assert!(
            shown.contains("alias/hcas") && !shown.contains("very-secret"),
            "{shown}"
        );
    }
}
