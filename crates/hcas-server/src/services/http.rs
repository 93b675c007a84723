//! Small HTTP helpers the services share: the clock, `If-Match`, `ETag`,
//! role checks and query rejections as problems.

use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use hcas_core::Timestamp;
use hcas_core::consent::Role;

use crate::auth::Principal;
use crate::error::ApiError;

/// The current instant (the core and the store never read a clock).
pub(crate) fn now() -> Result<Timestamp, ApiError> {
    Timestamp::try_from(std::time::SystemTime::now()).map_err(|e| {
        tracing::error!(error = %e, "the system clock is out of the engine's range");
        ApiError::internal()
    })
}

/// The version in `If-Match` (`"3"`, `W/"3"` or `3`), if the header is sent.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "If-Match must be the version from the ETag, e.g. `If-Match: \"3\"`",
            )
        })
}

/// The version in `If-Match`, which this route requires.
pub(crate) fn require_if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    if_match(headers)?.ok_or_else(precondition_required)
}

/// 428 `precondition_required`.
pub(crate) fn precondition_required() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "send `If-Match` with the version from the ETag (or the `version` field) you last read",
    )
}

/// An `ETag` header value for `version`.
pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// 403 unless the principal is an administrator.
pub(crate) fn require_admin(principal: &Principal) -> Result<(), ApiError> {
    if principal.has(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only an administrator may change providers' profiles and schedules",
        ))
    }
}

/// A query string that does not fit: 422 naming what.
pub(crate) fn query_rejection(e: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
        format!("the query string does not fit: {}", e.body_text()),
    )
}

/// 422 `invalid_request` with `detail`.
pub(crate) fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", detail)
}
