//! Organizations (tenants) and their stores. Every record belongs to one
//! organization, and each organization's data lives apart: its own SQLite
//! file below `data_dir/orgs/<org>/` (the embedded default) or its own
//! PostgreSQL schema `org_<org>` (with `database_url`). A request can only
//! reach the store of the organization in its token, so no query can read
//! or write across organizations: the isolation is structural, not a
//! `WHERE org = ?` that one forgotten clause would break.
//!
//! Each organization's medical-record documents are encrypted files below
//! `data_dir/documents/<org>/` (their wrapped keys in the organization's
//! database), under the deployment's key file `data_dir/keys/kek.json`
//! (created with mode 0600 on first start); or, by configuration, objects
//! below `<prefix>/<org>/` in an S3 bucket and/or keys in AWS KMS: see
//! docs/records.md.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use hcas_store::Store;
use hcas_store::documents::{AwsKms, ContentStore, DataKey, Documents, Kms, LocalKms};
use hcas_store::postgres::{PgStore, PgStoreOptions};
use hcas_store::sqlite::SqliteStore;
use tokio::sync::Mutex;

use crate::config::{Config, Database};
use crate::error::ApiError;

/// An organization id: 1 to 40 characters of `a-z`, `0-9` and `-`,
/// starting with a letter or digit (it names a directory and a schema).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    /// Check and wrap an organization id.
    ///
    /// # Errors
    /// 422 `invalid_request` naming the rule.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let ok = (1..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!(
                    "organization id `{}`: use 1 to 40 of a-z, 0-9 and -, not starting with -",
                    s.chars().take(60).collect::<String>()
                ),
            ))
        }
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

enum Backend {
    Sqlite { dir: PathBuf },
    Postgres { url: String },
}

/// The organizations of this deployment and their open stores.
pub struct Tenants {
    backend: Backend,
    open: Mutex<HashMap<OrgId, Opened>>,
    documents_dir: PathBuf,
    key_file: PathBuf,
    max_upload: u64,
    documents: crate::config::DocumentsConfig,
    kms: tokio::sync::OnceCell<Arc<dyn Kms>>,
    s3: tokio::sync::OnceCell<Arc<dyn hcas_store::documents::object_store::ObjectStore>>,
    archive_dir: PathBuf,
    archive_s3: tokio::sync::OnceCell<Arc<dyn hcas_store::documents::object_store::ObjectStore>>,
}

/// One open organization: its store, and the same database as the store
/// of its documents' metadata.
struct Opened {
    store: Arc<dyn Store>,
    contents: Arc<dyn ContentStore>,
}

/// Where the key-encryption keys of documents are, below `data_dir`.
pub const KEY_FILE: &str = "keys/kek.json";

/// Connections per organization's PostgreSQL pool.
const PG_POOL: u32 = 8;
/// Connections per organization's SQLite pool.
const SQLITE_POOL: u32 = 8;

impl Tenants {
    /// The tenants of this configuration (nothing is opened yet).
    #[must_use]
    pub fn new(config: &Config) -> Self {
        let backend = match &config.database {
            Database::Sqlite => Backend::Sqlite {
                dir: config.data_dir.join("orgs"),
            },
            Database::Postgres(url) => Backend::Postgres { url: url.clone() },
        };
        Self {
            backend,
            open: Mutex::new(HashMap::new()),
            documents_dir: config.data_dir.join("documents"),
            key_file: config.data_dir.join(KEY_FILE),
            max_upload: config.max_upload_bytes,
            documents: config.documents.clone(),
            kms: tokio::sync::OnceCell::new(),
            s3: tokio::sync::OnceCell::new(),
            archive_dir: config.data_dir.join("archive"),
            archive_s3: tokio::sync::OnceCell::new(),
        }
    }

    /// The documents' KMS, opened once: the key file (created, mode 0600,
    /// in a 0700 `keys/` directory, if missing) or, with `HCAS_KMS=aws:..`,
    /// the AWS KMS key, checked by wrapping and unwrapping a throwaway key.
    ///
    /// # Errors
    /// 503 `unavailable` when it cannot be created, read or reached, or
    /// group or others may read the key file (the log says which and what
    /// to do; never a secret).
    pub async fn kms(&self) -> Result<Arc<dyn Kms>, ApiError> {
        if let Some(aws) = self.documents.kms.clone() {
            return self
                .kms
                .get_or_try_init(|| async move {
                    let kms = AwsKms::new(&aws.key_id, aws.endpoint.as_deref(), aws.credentials)
                        .map_err(|e| {
                            tracing::error!(error = %e, "the documents' KMS is misconfigured");
                            ApiError::unavailable("the document store's keys are unavailable")
                        })?;
                    let probe = async {
                        let key = DataKey::generate()?;
                        let wrapped = kms.wrap(&key, b"hcas-startup-check").await?;
                        kms.unwrap(&wrapped, b"hcas-startup-check").await
                    };
                    match probe.await {
                        Ok(_) => Ok(Arc::new(kms) as Arc<dyn Kms>),
                        Err(e) => {
                            tracing::error!(error = %e, key = %aws.key_id, "the documents' KMS key cannot wrap and unwrap");
                            Err(ApiError::unavailable("the document store's keys are unavailable"))
                        }
                    }
                })
                .await
                .cloned();
        }
        let path = self.key_file.clone();
        self.kms
            .get_or_try_init(|| async move {
                let opened = tokio::task::spawn_blocking(move || {
                    if let Some(dir) = path.parent() {
                        create_private_dir(dir)?;
                    }
                    LocalKms::open_or_create(path)
                })
                .await
                .map_err(|_| ApiError::internal())?;
                opened.map(|k| Arc::new(k) as Arc<dyn Kms>).map_err(|e| {
                    tracing::error!(error = %e, "the documents' key file is unusable");
                    ApiError::unavailable("the document store's keys are unavailable")
                })
            })
            .await
            .cloned()
    }

    /// With `HCAS_DOCUMENTS_URL`: the bucket answers (a `HEAD` of an object
    /// that need not exist). Nothing to check for the local directory,
    /// which is created on first use.
    ///
    /// # Errors
    /// 503 `unavailable` when the bucket cannot be reached or used (the
    /// log says why).
    pub async fn check_document_storage(&self) -> Result<(), ApiError> {
        use hcas_store::documents::object_store::{Error, ObjectStoreExt, path::Path};
        let Some(bucket) = self.s3_bucket()? else {
            return Ok(());
        };
        match bucket.head(&Path::from("hcas-startup-check")).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "the documents' S3 bucket cannot be used");
                Err(ApiError::unavailable(
                    "the document store's bucket is unavailable",
                ))
            }
        }
    }

    /// The bucket of `HCAS_DOCUMENTS_URL` (S3 or Cloud Storage; one
    /// client, shared), if set.
    fn s3_bucket(
        &self,
    ) -> Result<Option<Arc<dyn hcas_store::documents::object_store::ObjectStore>>, ApiError> {
        let built = if let Some(cfg) = &self.documents.s3 {
            if let Some(s) = self.s3.get() {
                return Ok(Some(Arc::clone(s)));
            }
            cfg.bucket_store()
        } else if let Some(cfg) = &self.documents.gcs {
            if let Some(s) = self.s3.get() {
                return Ok(Some(Arc::clone(s)));
            }
            cfg.bucket_store()
        } else {
            return Ok(None);
        };
        let built = built.map_err(|e| {
            tracing::error!(error = %e, "the documents' bucket is misconfigured");
            ApiError::unavailable("the document store is unavailable")
        })?;
        // Losing a race keeps the other caller's client: both are the same.
        let _ = self.s3.set(built);
        Ok(self.s3.get().cloned())
    }

    /// The prefix of `HCAS_DOCUMENTS_URL` inside its bucket.
    fn bucket_prefix(&self) -> &str {
        match (&self.documents.s3, &self.documents.gcs) {
            (Some(c), _) => &c.prefix,
            (None, Some(c)) => &c.prefix,
            (None, None) => "",
        }
    }

    /// The encrypted documents of organization `org` (files below
    /// `data_dir/documents/<org>/`, metadata in its database), with the
    /// `max_upload_bytes` limit.
    ///
    /// # Errors
    /// As [`Tenants::store`] and [`Tenants::kms`].
    pub async fn documents(&self, org: &OrgId) -> Result<Documents, ApiError> {
        self.open_store(org, false).await?;
        let contents = self
            .open
            .lock()
            .await
            .get(org)
            .map(|o| Arc::clone(&o.contents))
            .ok_or_else(ApiError::internal)?;
        let kms: Arc<dyn Kms> = self.kms().await?;
        if let Some(bucket) = self.s3_bucket()? {
            let prefix = if self.bucket_prefix().is_empty() {
                org.as_str().to_string()
            } else {
                format!("{}/{}", self.bucket_prefix(), org.as_str())
            };
            let objects = Arc::new(
                hcas_store::documents::object_store::prefix::PrefixStore::new(bucket, prefix),
            );
            let docs = Documents::new(objects, kms, contents).with_max_size(self.max_upload);
            return self.with_archive(org, docs).await;
        }
        let dir = self.documents_dir.join(org.as_str());
        let docs = tokio::task::spawn_blocking(move || Documents::local(dir, kms, contents))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(ApiError::from)?;
        self.with_archive(org, docs.with_max_size(self.max_upload))
            .await
    }

    /// With tiering on (`HCAS_ARCHIVE_AFTER_*`): `docs` with the archive of
    /// organization `org` (`<archive prefix>/<org>/` in the bucket of
    /// `HCAS_ARCHIVE_URL`, or files below `data_dir/archive/<org>/`).
    async fn with_archive(&self, org: &OrgId, docs: Documents) -> Result<Documents, ApiError> {
        use hcas_store::documents::object_store::ObjectStore;
        if self.documents.archive_after.is_none() {
            return Ok(docs);
        }
        if let Some(cfg) = &self.documents.archive {
            let bucket = self
                .archive_s3
                .get_or_try_init(|| async {
                    cfg.bucket_store().map_err(|e| {
                        tracing::error!(error = %e, "the documents' archive bucket is misconfigured");
                        ApiError::unavailable("the document archive is unavailable")
                    })
                })
                .await?;
            let prefix = if cfg.prefix.is_empty() {
                org.as_str().to_string()
            } else {
                format!("{}/{}", cfg.prefix, org.as_str())
            };
            let objects = hcas_store::documents::object_store::prefix::PrefixStore::new(
                Arc::clone(bucket),
                prefix,
            );
            return Ok(docs.with_archive(Arc::new(objects)));
        }
        let dir = self.archive_dir.join(org.as_str());
        let fs = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            hcas_store::documents::object_store::local::LocalFileSystem::new_with_prefix(&dir)
                .map(|f| f.with_fsync(true))
                .map_err(std::io::Error::other)
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "the documents' archive directory is unusable");
            ApiError::unavailable("the document archive is unavailable")
        })?;
        Ok(docs.with_archive(Arc::new(fs) as Arc<dyn ObjectStore>))
    }

    /// One pass of the archive rule over every organization: move the
    /// documents written before `cutoff`, `batch` at a time, until none is
    /// left. Returns how many moved. An organization that fails is logged
    /// and skipped (the next pass retries it).
    pub async fn archive_pass(&self, cutoff: chrono::DateTime<chrono::Utc>, batch: usize) -> usize {
        let mut moved = 0;
        for org in self.list().await.unwrap_or_default() {
            let docs = match self.documents(&org).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(org = %org, error = %e.problem(None).detail, "archive: documents unavailable");
                    continue;
                }
            };
            loop {
                match docs.archive_older_than(cutoff, batch).await {
                    Ok(0) => break,
                    Ok(n) => moved += n,
                    Err(e) => {
                        tracing::warn!(org = %org, error = %e, "archive: a move failed");
                        break;
                    }
                }
            }
        }
        moved
    }

    /// Create organization `org` (its database, migrated) if it does not
    /// exist yet, and open it.
    ///
    /// # Errors
    /// 503 `unavailable` when the database cannot be created or migrated.
    pub async fn create(&self, org: &OrgId) -> Result<Arc<dyn Store>, ApiError> {
        if let Backend::Sqlite { dir } = &self.backend {
            let d = dir.join(org.as_str());
            tokio::fs::create_dir_all(&d).await.map_err(|e| {
                tracing::error!(error = %e, "cannot create the organization directory");
                ApiError::unavailable("cannot create the organization's data directory")
            })?;
        }
        self.open_store(org, true).await
    }

    /// The store of organization `org`.
    ///
    /// # Errors
    /// 403 `forbidden` for an organization this deployment does not have
    /// (the same answer as for any other organization one may not use);
    /// 503 `unavailable` when its database cannot be opened.
    pub async fn store(&self, org: &OrgId) -> Result<Arc<dyn Store>, ApiError> {
        self.open_store(org, false).await
    }

    async fn open_store(&self, org: &OrgId, create: bool) -> Result<Arc<dyn Store>, ApiError> {
        let mut open = self.open.lock().await;
        if let Some(s) = open.get(org) {
            return Ok(Arc::clone(&s.store));
        }
        let opened = match &self.backend {
            Backend::Sqlite { dir } => {
                let d = dir.join(org.as_str());
                if !create && !tokio::fs::try_exists(&d).await.unwrap_or(false) {
                    return Err(unknown_org());
                }
                let url = format!("sqlite://{}?mode=rwc", d.join("hcas.sqlite").display());
                let s = Arc::new(
                    SqliteStore::open(&url, SQLITE_POOL)
                        .await
                        .map_err(ApiError::from)?,
                );
                Opened {
                    store: s.clone(),
                    contents: s,
                }
            }
            Backend::Postgres { url } => {
                let options = hcas_store::postgres::sqlx::postgres::PgConnectOptions::from_str(url)
                    .map_err(|_| ApiError::unavailable("database_url is not a valid URL"))?;
                let schema = schema_of(org);
                if !create && !PgStore::schema_exists(options.clone(), &schema).await? {
                    return Err(unknown_org());
                }
                let s = Arc::new(
                    PgStore::open_in_schema(options, &schema, PgStoreOptions::new(PG_POOL))
                        .await
                        .map_err(ApiError::from)?,
                );
                Opened {
                    store: s.clone(),
                    contents: s,
                }
            }
        };
        let store = Arc::clone(&opened.store);
        open.insert(org.clone(), opened);
        Ok(store)
    }

    /// Every organization of this deployment: the directories below
    /// `data_dir/orgs/` (SQLite) or the `org_*` schemas (PostgreSQL), sorted.
    ///
    /// # Errors
    /// 503 `unavailable` when the directory or the database cannot be read.
    pub async fn list(&self) -> Result<Vec<OrgId>, ApiError> {
        let mut orgs = Vec::new();
        match &self.backend {
            Backend::Sqlite { dir } => {
                let mut entries = match tokio::fs::read_dir(dir).await {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(orgs),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the organizations directory");
                        return Err(ApiError::unavailable(
                            "cannot read the organizations directory",
                        ));
                    }
                };
                while let Ok(Some(entry)) = entries.next_entry().await {
                    let is_dir = entry.file_type().await.is_ok_and(|t| t.is_dir());
                    if let (true, Some(name)) = (is_dir, entry.file_name().to_str())
                        && let Ok(org) = OrgId::parse(name)
                    {
                        orgs.push(org);
                    }
                }
            }
            Backend::Postgres { url } => {
                let options = hcas_store::postgres::sqlx::postgres::PgConnectOptions::from_str(url)
                    .map_err(|_| ApiError::unavailable("database_url is not a valid URL"))?;
                for schema in PgStore::schemas_with_prefix(options, "org_").await? {
                    if let Some(name) = schema.strip_prefix("org_")
                        && let Ok(org) = OrgId::parse(&name.replace('_', "-"))
                    {
                        orgs.push(org);
                    }
                }
            }
        }
        orgs.sort();
        Ok(orgs)
    }

    /// Open (and so migrate) every organization of [`Tenants::list`]; the
    /// server does this at start and `hcas-server migrate` does only this.
    ///
    /// # Errors
    /// The organization that failed, and why.
    pub async fn migrate_all(&self) -> Result<Vec<OrgId>, (Option<OrgId>, ApiError)> {
        let orgs = self.list().await.map_err(|e| (None, e))?;
        for org in &orgs {
            self.store(org).await.map_err(|e| (Some(org.clone()), e))?;
        }
        Ok(orgs)
    }

    /// Whether every open store answers (for `/readyz`).
    pub async fn ready(&self) -> bool {
        let open: Vec<Arc<dyn Store>> = self
            .open
            .lock()
            .await
            .values()
            .map(|o| Arc::clone(&o.store))
            .collect();
        for s in open {
            if s.counts().await.is_err() {
                return false;
            }
        }
        true
    }
}

fn schema_of(org: &OrgId) -> String {
    format!("org_{}", org.as_str().replace('-', "_"))
}

fn unknown_org() -> ApiError {
    ApiError::forbidden("this organization is not served here")
}

/// Create `dir` (and its parents) if missing, the directory itself mode 0700.
fn create_private_dir(dir: &std::path::Path) -> Result<(), hcas_store::StoreError> {
    let made = {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
    };
    made.map_err(|e| {
        hcas_store::StoreError::KeyUnavailable(format!(
            "cannot create the key directory {}: {e}",
            dir.display()
        ))
    })
}
