//! [`OidcKeys`]: the signing keys of an external OpenID Connect provider.
//!
//! On the first token (not at start, so hcas starts while the provider is
//! down) it reads the provider's discovery document
//! (`<issuer>/.well-known/openid-configuration`), checks that its `issuer` is
//! exactly the configured one, fetches `jwks_uri` and caches every key that
//! has a `kid`. A token naming a `kid` not in the cache triggers one refetch,
//! at most once per [`MIN_REFETCH`] (so a flood of made-up `kid`s cannot make
//! hcas hammer the provider): the provider can rotate its keys and tokens
//! signed with the new key verify as soon as it publishes it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::{Mutex, RwLock};

use super::jwt::KeySource;

/// Least time between two fetches of the provider's keys.
pub const MIN_REFETCH: Duration = Duration::from_secs(30);

/// Bound on each request to the provider.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The keys of the provider at `issuer`, cached.
pub struct OidcKeys {
    issuer: String,
    client: reqwest::Client,
    min_refetch: Duration,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the keys were last fetched (successfully or not); held while fetching.
    last_fetch: Mutex<Option<Instant>>,
}

impl OidcKeys {
    /// The keys of the provider whose issuer URL is `issuer` (fetched on first use).
    ///
    /// # Errors
    /// A message when the HTTP client cannot be built (no TLS roots).
    pub fn new(issuer: impl Into<String>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            issuer: issuer.into(),
            client,
            min_refetch: MIN_REFETCH,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
        })
    }

    /// With another least time between fetches (tests; the default is [`MIN_REFETCH`]).
    #[must_use]
    pub fn with_min_refetch(mut self, min_refetch: Duration) -> Self {
        self.min_refetch = min_refetch;
        self
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc: serde_json::Value = self.get_json(&discovery).await?;
        let issuer = doc.get("issuer").and_then(|v| v.as_str()).unwrap_or("");
        if issuer != self.issuer {
            return Err(format!(
                "the discovery document names issuer `{issuer}`, not the configured `oidc_issuer`"
            ));
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or("the discovery document has no jwks_uri")?;
        let set: JwkSet =
            serde_json::from_value(self.get_json(jwks_uri).await?).map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = &jwk.common.key_id else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(k) => {
                    keys.insert(kid.clone(), k);
                }
                Err(e) => tracing::warn!(kid, error = %e, "provider key skipped"),
            }
        }
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        let res = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("{url}: HTTP {}", res.status()));
        }
        res.json().await.map_err(|e| format!("{url}: {e}"))
    }
}

#[async_trait]
impl KeySource for OidcKeys {
    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(k) = self.keys.read().await.get(kid) {
            return Some(k.clone());
        }
        // One fetch at a time; the others wait and then look again.
        let mut last = self.last_fetch.lock().await;
        if let Some(k) = self.keys.read().await.get(kid) {
            return Some(k.clone());
        }
        if last.is_some_and(|t| t.elapsed() < self.min_refetch) {
            return None;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "fetched the OpenID provider's keys");
                let found = keys.get(kid).cloned();
                *self.keys.write().await = keys;
                found
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch the OpenID provider's keys");
                None
            }
        }
    }
}
