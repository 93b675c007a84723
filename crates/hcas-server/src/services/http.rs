//! Small HTTP helpers the services share: the clock, `If-Match`, `ETag`,
//! role checks and query rejections as problems.

use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hcas_core::Timestamp;
use hcas_core::consent::Role;
use serde::Serialize;

use crate::auth::Principal;
use crate::error::ApiError;

/// The current instant (the core and the store never read a clock).
pub(crate) fn now() -> Result<Timestamp, ApiError> {
    Timestamp::try_from(std::time::SystemTime::now()).map_err(|e| {
        tracing::error!(error = %e, "the system clock is out of the engine's range");
        ApiError::internal()
    })
}

/// How a route answers an `If-Match` that is not a version: the providers'
/// and appointments' routes published 400 `malformed_request` (a header that
/// does not parse), the patients' and consents' routes 422 `invalid_request`
/// (a field that does not fit). Each keeps its published answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BadIfMatch {
    /// 400 `malformed_request`.
    Malformed,
    /// 422 `invalid_request`.
    Invalid,
}

impl BadIfMatch {
    fn problem(self) -> ApiError {
        match self {
            Self::Malformed => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "If-Match must be the version from the ETag, e.g. `If-Match: \"3\"`",
            ),
            Self::Invalid => invalid("`If-Match` must be a version number (the ETag you read)"),
        }
    }
}

/// The expected version in `If-Match` (`"3"`, `W/"3"` or `3`), if the header
/// is sent; a value that is not a version (a whole number from 1) is `bad`.
pub(crate) fn if_match(headers: &HeaderMap, bad: BadIfMatch) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(Some)
        .ok_or_else(|| bad.problem())
}

/// The expected version in `If-Match`, which this route requires: 428
/// `precondition_required` without one, `bad` for one that is not a version.
pub(crate) fn require_if_match(headers: &HeaderMap, bad: BadIfMatch) -> Result<i64, ApiError> {
    if_match(headers, bad)?.ok_or_else(precondition_required)
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

/// `body` as JSON with `status` and the `ETag` of `version`.
pub(crate) fn with_etag(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
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
