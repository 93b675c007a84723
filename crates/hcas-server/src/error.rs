//! Every error the API answers, as `application/problem+json` (RFC 9457):
//! `type`, `title`, `status`, `detail`, `instance` (the request id) and the
//! extension members `code` (the stable code, the same as the core's and the
//! store's) and, for a booking conflict, `conflicts` (every conflict the core
//! reported: the resource and the bookings holding it).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hcas_core::ErrorCode;
use hcas_core::booking::Conflict;
use hcas_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem: what went wrong, with a stable `code` to branch on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:hcas:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type (the same for every occurrence).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request and, where it helps, what to fix.
    pub detail: String,
    /// The request id (`x-request-id`), to find the request in the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The stable error code (`invalid_timezone`, `conflict`, `unauthorized`, ...).
    pub code: String,
    /// For `conflict`: every resource that is taken, with the bookings holding it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub conflicts: Option<Vec<Conflict>>,
    /// For `rate_limited`: seconds until a retry may succeed (also the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// An error a handler answers; turned into a [`Problem`] response.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    detail: String,
    conflicts: Option<Vec<Conflict>>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, stable code and detail.
    #[must_use]
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            conflicts: None,
            retry_after: None,
        }
    }

    /// 400 `malformed_request`: the body is not JSON, or not the JSON asked for.
    #[must_use]
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", detail)
    }

    /// 404 `not_found`.
    #[must_use]
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 401 `unauthorized`: no valid credentials. The detail never says which
    /// check failed beyond what the caller can fix.
    #[must_use]
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403 `forbidden`.
    #[must_use]
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 500 `internal`: the detail is generic; the cause goes to the log only.
    #[must_use]
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to answer; the request id finds it in the logs",
        )
    }

    /// 503 `unavailable`: a dependency (the database) is busy or down; retry.
    #[must_use]
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 429 `rate_limited` with a `Retry-After` of `seconds`.
    #[must_use]
    pub fn rate_limited(seconds: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests; retry after {seconds} s"),
        );
        e.retry_after = Some(seconds);
        e
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The problem body, with `instance` set to the request id if known.
    #[must_use]
    pub fn problem(&self, request_id: Option<String>) -> Problem {
        Problem {
            kind: format!("urn:hcas:problem:{}", self.code),
            title: title(&self.code).to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            instance: request_id,
            code: self.code.clone(),
            conflicts: self.conflicts.clone(),
            retry_after: self.retry_after,
        }
    }
}

/// The status for a core error code: input the engine refuses is 422
/// (well-formed JSON, meaningless request); an illegal lifecycle move is 409;
/// a denied consent 403.
#[must_use]
pub fn core_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidTransition => StatusCode::CONFLICT,
        ErrorCode::NotPermitted => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<hcas_core::Error> for ApiError {
    fn from(e: hcas_core::Error) -> Self {
        Self::new(core_status(e.code()), e.code().as_str(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(core) => core.into(),
            StoreError::NotFound { .. } => Self::not_found(e.to_string()),
            StoreError::AlreadyExists { .. } => {
                Self::new(StatusCode::CONFLICT, "already_exists", e.to_string())
            }
            StoreError::VersionMismatch { .. } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                e.to_string(),
            ),
            StoreError::Conflict { ref conflicts } => {
                let mut out = Self::new(StatusCode::CONFLICT, "conflict", e.to_string());
                out.conflicts = Some(conflicts.clone());
                out
            }
            StoreError::Unavailable(ref cause) => {
                tracing::warn!(error = %cause, "store unavailable");
                Self::unavailable("the database is busy or unreachable; retry shortly")
            }
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

fn title(code: &str) -> &'static str {
    match code {
        "malformed_request" => "Malformed request",
        "not_found" => "Not found",
        "unauthorized" => "Unauthorized",
        "forbidden" => "Forbidden",
        "conflict" => "Conflict",
        "already_exists" => "Already exists",
        "username_taken" => "Username taken",
        "registration_disabled" => "Self-registration is off",
        "version_mismatch" => "Version mismatch",
        "rate_limited" => "Too many requests",
        "payload_too_large" => "Payload too large",
        "unavailable" => "Service unavailable",
        "internal" => "Internal error",
        "method_not_allowed" => "Method not allowed",
        "unsupported_media_type" => "Unsupported media type",
        _ => "Invalid request",
    }
}

tokio::task_local! {
    /// The current request's id, for the `instance` of problems.
    pub(crate) static REQUEST_ID: String;
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = REQUEST_ID.try_with(Clone::clone).ok();
        let body = serde_json::to_vec(&self.problem(id)).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}
