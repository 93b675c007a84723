//! SMART App Launch 2.x discovery: `GET /.well-known/smart-configuration`
//! (also under the FHIR base). It advertises only what hcas does:
//!
//! - Own issuer: `issuer`, `jwks_uri`, and as `token_endpoint` the login
//!   (`/v1/auth/login`, a JSON body, with `hcas_refresh_endpoint` for
//!   refresh). hcas is no OAuth 2.0 authorization server: it has no
//!   authorization endpoint, no form-encoded grant and no PKCE, so
//!   `grant_types_supported` is empty and `code_challenge_methods_supported`
//!   is left out.
//! - External OpenID Connect provider: its `issuer`, `jwks_uri`,
//!   `authorization_endpoint`, `token_endpoint`, grant and response types,
//!   and PKCE methods (only `S256`: SMART forbids `plain`), read from its
//!   discovery document (cached per issuer once read).
//!
//! `capabilities`: with an external provider, `permission-v1`,
//! `permission-v2` and `permission-user`, because the FHIR API honours the
//! SMART resource scopes of the provider's tokens (`super::Scopes`: they
//! narrow what the roles allow); as its own issuer, none (its tokens carry
//! roles, never scopes). No launch context, client authentication profile or
//! patient-level scope (hcas has no launch patient) is claimed.
//! `scopes_supported` is left out (optional; any resource scope is parsed).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;

/// Bound on the request for the provider's discovery document.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// What hcas does with an external provider's tokens, as SMART capabilities.
const PROVIDER_CAPABILITIES: [&str; 3] = ["permission-user", "permission-v1", "permission-v2"];

/// The provider discovery documents read so far, by issuer.
fn cache() -> &'static Mutex<HashMap<String, Value>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `GET /.well-known/smart-configuration` (public).
pub(crate) async fn smart_configuration(
    State(state): State<AppState>,
) -> Result<axum::Json<Value>, ApiError> {
    if let Some(oidc) = &state.config.oidc {
        let provider = provider_discovery(&oidc.issuer).await?;
        return Ok(axum::Json(from_provider(&provider)));
    }
    let issuer = state.issuer.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "this server has no token issuer configured, so there is nothing to discover",
        )
    })?;
    let name = issuer.name().ok_or_else(ApiError::internal)?;
    Ok(axum::Json(own_issuer(name)))
}

/// The document for hcas as its own issuer named `name`.
fn own_issuer(name: &str) -> Value {
    json!({
        "issuer": name,
        "jwks_uri": format!("{name}/.well-known/jwks.json"),
        "token_endpoint": format!("{name}/v1/auth/login"),
        "hcas_refresh_endpoint": format!("{name}/v1/auth/refresh"),
        "grant_types_supported": [],
        "token_endpoint_auth_methods_supported": [],
        "capabilities": [],
    })
}

/// The document for tokens from the provider whose discovery is `provider`.
fn from_provider(provider: &Value) -> Value {
    let mut doc = Map::new();
    for key in [
        "issuer",
        "jwks_uri",
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "response_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        if let Some(v) = provider.get(key) {
            doc.insert(key.to_string(), v.clone());
        }
    }
    // RFC 8414: grant types default to these when the provider omits them.
    let grants = provider
        .get("grant_types_supported")
        .cloned()
        .unwrap_or_else(|| json!(["authorization_code", "implicit"]));
    doc.insert("grant_types_supported".into(), grants);
    let s256 = provider["code_challenge_methods_supported"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m == "S256"));
    if s256 {
        doc.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    }
    doc.insert("capabilities".into(), json!(PROVIDER_CAPABILITIES));
    Value::Object(doc)
}

/// The provider's discovery document (read once, then cached); 503 while
/// it cannot be read.
async fn provider_discovery(issuer: &str) -> Result<Value, ApiError> {
    if let Some(doc) = cache().lock().ok().and_then(|c| c.get(issuer).cloned()) {
        return Ok(doc);
    }
    let unavailable = || {
        ApiError::unavailable(
            "the OpenID Connect provider's discovery document cannot be read now; retry later",
        )
    };
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|_| ApiError::internal())?;
    let doc: Value = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|_| unavailable())?
        .json()
        .await
        .map_err(|_| unavailable())?;
    if doc["issuer"].as_str() != Some(issuer) {
        return Err(unavailable());
    }
    if let Ok(mut c) = cache().lock() {
        c.insert(issuer.to_string(), doc.clone());
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_document_keeps_only_s256_and_defaults_grants() {
        let doc = from_provider(&json!({
            "issuer": "https://idp.example",
            "token_endpoint": "https://idp.example/token",
            "code_challenge_methods_supported": ["plain", "S256"],
            "userinfo_endpoint": "https://idp.example/me",
        }));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            doc["grant_types_supported"],
            json!(["authorization_code", "implicit"])
        );
        assert!(doc.get("userinfo_endpoint").is_none());
        let plain = from_provider(&json!({"code_challenge_methods_supported": ["plain"]}));
        assert!(plain.get("code_challenge_methods_supported").is_none());
    }
}
