//! Google Cloud Storage (feature `documents-gcs`).
//!
//! [`GcsConfig`] turns `gs://bucket/prefix` plus [`GcsCredentials`] into an
//! `object_store` GCS client ([`GcsConfig::object_store`]). An endpoint
//! (`HCAS_GCS_ENDPOINT`) points it at another GCS-protocol server, e.g. an
//! emulator on loopback.
//!
//! Credentials are never printed: `Debug` shows a credential file's path,
//! never its content.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::StoreError;

/// How long one storage request may take before it counts as unavailable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

use super::invalid_setting as invalid;

/// How requests to Cloud Storage are authorized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcsCredentials {
    /// Google's default chain: `GOOGLE_APPLICATION_CREDENTIALS` if set (a
    /// service-account key or `gcloud auth application-default login`
    /// file), else the metadata server of the VM / Cloud Run instance.
    Default,
    /// A service-account key file (JSON) at this path.
    ServiceAccountFile(PathBuf),
    /// Unsigned requests: only for an emulator or a public bucket.
    Anonymous,
}

impl GcsCredentials {
    /// From the environment, read through `var`: `HCAS_GCS_ANONYMOUS=1`
    /// gives [`GcsCredentials::Anonymous`]; `GOOGLE_APPLICATION_CREDENTIALS`
    /// a [`GcsCredentials::ServiceAccountFile`]; otherwise
    /// [`GcsCredentials::Default`] (the metadata server).
    ///
    /// # Errors
    /// `Invalid` (at the variable) for a value that is not `0`/`1`, or
    /// both set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        let anonymous = match var("HCAS_GCS_ANONYMOUS").as_deref().map(str::trim) {
            None | Some("" | "0") => false,
            Some("1") => true,
            Some(_) => {
                return Err(invalid(
                    "HCAS_GCS_ANONYMOUS",
                    "HCAS_GCS_ANONYMOUS must be 1 (unsigned requests, for an emulator) or 0",
                ));
            }
        };
        let file = var("GOOGLE_APPLICATION_CREDENTIALS").filter(|v| !v.trim().is_empty());
        match (anonymous, file) {
            (true, Some(_)) => Err(invalid(
                "HCAS_GCS_ANONYMOUS",
                "HCAS_GCS_ANONYMOUS=1 and GOOGLE_APPLICATION_CREDENTIALS are both set; unset one",
            )),
            (true, None) => Ok(Self::Anonymous),
            (false, Some(f)) => Ok(Self::ServiceAccountFile(PathBuf::from(f.trim()))),
            (false, None) => Ok(Self::Default),
        }
    }
}

/// Where documents go in Cloud Storage: `gs://bucket/prefix`.
#[derive(Clone, Debug)]
pub struct GcsConfig {
    /// The bucket.
    pub bucket: String,
    /// The object prefix inside the bucket (no leading or trailing `/`; may be empty).
    pub prefix: String,
    /// A GCS-protocol endpoint (`http://127.0.0.1:9023`); `None` for Google's.
    pub endpoint: Option<String>,
    /// How requests are authorized.
    pub credentials: GcsCredentials,
}

impl GcsConfig {
    /// Parse `url` (`gs://bucket[/prefix]`) with an optional `endpoint`.
    ///
    /// # Errors
    /// `Invalid` (`invalid_request`, at `HCAS_DOCUMENTS_URL` or
    /// `HCAS_GCS_ENDPOINT`) saying what to fix.
    pub fn parse(
        url: &str,
        endpoint: Option<&str>,
        credentials: GcsCredentials,
    ) -> Result<Self, StoreError> {
        const AT: &str = "HCAS_DOCUMENTS_URL";
        let rest = url.strip_prefix("gs://").ok_or_else(|| {
            invalid(
                AT,
                "a Cloud Storage location must start with gs:// (e.g. gs://hospital-records/documents)",
            )
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // Cloud Storage bucket names: 3-63 characters (up to 222 with dots),
        // lowercase letters, digits, '-', '_' and '.', starting and ending
        // with a letter or digit.
        let max = if bucket.contains('.') { 222 } else { 63 };
        let edge_ok =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let bucket_ok = (3..=max).contains(&bucket.len())
            && bucket.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            })
            && edge_ok(bucket.chars().next())
            && edge_ok(bucket.chars().last());
        if !bucket_ok {
            return Err(invalid(
                AT,
                "the bucket name must be 3 to 63 lowercase letters, digits, '-', '_' or '.', \
                 starting and ending with a letter or digit",
            ));
        }
        let prefix = super::check_bucket_prefix(AT, prefix)?;
        let endpoint = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(check_endpoint(e)?),
            None => None,
        };
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            endpoint,
            credentials,
        })
    }

    /// The GCS client for the bucket, under the prefix.
    ///
    /// # Errors
    /// `Unavailable` if the client cannot be built (e.g. an unreadable
    /// credential file).
    pub fn object_store(&self) -> Result<Arc<dyn object_store::ObjectStore>, StoreError> {
        Ok(super::under_prefix(self.bucket_store()?, &self.prefix))
    }

    /// The GCS client for the whole bucket (no prefix).
    ///
    /// # Errors
    /// `Unavailable` if the client cannot be built.
    pub fn bucket_store(&self) -> Result<Arc<dyn object_store::ObjectStore>, StoreError> {
        super::install_crypto_provider();
        let mut options = object_store::ClientOptions::new().with_timeout(REQUEST_TIMEOUT);
        if let Some(e) = &self.endpoint {
            options = options.with_allow_http(e.starts_with("http://"));
        }
        let mut b = object_store::gcp::GoogleCloudStorageBuilder::new()
            .with_bucket_name(&self.bucket)
            .with_client_options(options);
        if let Some(e) = &self.endpoint {
            b = b.with_base_url(e);
        }
        b = match &self.credentials {
            GcsCredentials::Default => b,
            GcsCredentials::ServiceAccountFile(p) => {
                b.with_service_account_path(p.to_string_lossy())
            }
            // object_store skips the token only on reads with
            // skip_signature; uploads ask the credential provider anyway,
            // so give it an empty token instead of the metadata server.
            GcsCredentials::Anonymous => b.with_skip_signature(true).with_credentials(Arc::new(
                object_store::StaticCredentialProvider::new(object_store::gcp::GcpCredential {
                    bearer: String::new(),
                }),
            )),
        };
        let gcs = b.build().map_err(|e| {
            StoreError::Unavailable(format!("Cloud Storage bucket {}: {e}", self.bucket))
        })?;
        Ok(Arc::new(gcs))
    }
}

/// Check an `http(s)://host[:port]` endpoint; returns it without a trailing `/`.
fn check_endpoint(endpoint: &str) -> Result<String, StoreError> {
    const AT: &str = "HCAS_GCS_ENDPOINT";
    let url = reqwest::Url::parse(endpoint).map_err(|e| {
        invalid(
            AT,
            format!("{AT} is not a URL ({e}); write e.g. http://127.0.0.1:9023"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(
            AT,
            format!("{AT} must be an http:// or https:// URL with a host"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(invalid(
            AT,
            format!(
                "{AT} must not carry credentials or a query; use GOOGLE_APPLICATION_CREDENTIALS"
            ),
        ));
    }
    Ok(endpoint.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn credentials_come_from_the_environment() {
        assert_eq!(
            GcsCredentials::from_env(env(&[])).unwrap(),
            GcsCredentials::Default
        );
        assert_eq!(
            GcsCredentials::from_env(env(&[("HCAS_GCS_ANONYMOUS", "1")])).unwrap(),
            GcsCredentials::Anonymous
        );
        assert_eq!(
            GcsCredentials::from_env(env(&[("GOOGLE_APPLICATION_CREDENTIALS", "/k/sa.json")]))
                .unwrap(),
            GcsCredentials::ServiceAccountFile("/k/sa.json".into())
        );
        let e = GcsCredentials::from_env(env(&[("HCAS_GCS_ANONYMOUS", "yes")])).unwrap_err();
        assert!(e.to_string().contains("HCAS_GCS_ANONYMOUS"), "{e}");
        let e = GcsCredentials::from_env(env(&[
            ("HCAS_GCS_ANONYMOUS", "1"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/k/sa.json"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("both"), "{e}");
    }

    #[test]
    fn locations_are_validated_with_what_to_fix() {
        let c = GcsConfig::parse(
            "gs://records_bucket/a/b/",
            Some("http://127.0.0.1:9/"),
            GcsCredentials::Anonymous,
        )
        .unwrap();
        assert_eq!(
            (c.bucket.as_str(), c.prefix.as_str()),
            ("records_bucket", "a/b")
        );
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        let c = GcsConfig::parse("gs://bucket", None, GcsCredentials::Default).unwrap();
        assert_eq!((c.prefix.as_str(), c.endpoint), ("", None));
        for (url, endpoint, what) in [
            ("s3://bucket/x", None, "gs://"),
            ("gs://B", None, "bucket name"),
            ("gs://-bucket", None, "bucket name"),
            ("gs://ab", None, "bucket name"),
            ("gs://bucket/../x", None, "prefix"),
            ("gs://bucket/a//b", None, "prefix"),
            ("gs://bucket", Some("ftp://host"), "HCAS_GCS_ENDPOINT"),
            ("gs://bucket", Some("not a url"), "HCAS_GCS_ENDPOINT"),
            ("gs://bucket", Some("http://u:p@host"), "credentials"),
        ] {
            let e = GcsConfig::parse(url, endpoint, GcsCredentials::Anonymous).unwrap_err();
            assert_eq!(e.core_code(), Some(hcas_core::ErrorCode::InvalidRequest));
            assert!(e.to_string().contains(what), "{url}: {e}");
        }
    }

    #[test]
    fn a_missing_service_account_file_is_reported_when_building() {
        let c = GcsConfig::parse(
            "gs://bucket/p",
            None,
            GcsCredentials::ServiceAccountFile("/nonexistent/hcas-sa.json".into()),
        )
        .unwrap();
        let e = c.object_store().err().unwrap();
        assert_eq!(e.code(), "unavailable", "{e}");
        assert!(e.to_string().contains("bucket"), "{e}");
    }
}
