//! The engine API: the core as a stateless service, for teams that keep
//! their own data and call hcas from any language. `POST /v1/engine/{kind}`
//! takes a conformance vector's `input` (docs/vectors.md) and answers what
//! the vector's `expect` holds; a refusal is a problem with the core's
//! stable code. Nothing is stored and no patient record is read, so these
//! routes need no token (they are rate limited like every route).

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};

/// The engine's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(evaluate))
}

/// The engine's kinds (`hcas_core::wire::KINDS`), for the OpenAPI
/// document: the handler takes any string and answers 404 for another.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum Kind {
    Recurrence,
    Slots,
    Conflict,
    Series,
    Transition,
    Consent,
}

/// Evaluate one input of `kind` (`slots`, `recurrence`, `conflict`,
/// `series`, `transition`, `consent`): the shapes of docs/vectors.md.
#[utoipa::path(
    post,
    path = "/v1/engine/{kind}",
    tag = "engine",
    params(("kind" = inline(Kind), Path, description = "slots, recurrence, conflict, series, transition or consent")),
    request_body(content = Object, description = "A vector's `input` of this kind (docs/vectors.md)"),
    responses(
        (status = 200, description = "The answer, as a vector's `expect`", body = Object),
        (status = 404, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The engine refused the input (its stable code)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn evaluate(
    Path(kind): Path<String>,
    Json(input): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(kind) = hcas_core::wire::KINDS.iter().find(|k| **k == kind) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_kind",
            format!(
                "no engine kind `{}`; use one of {:?}",
                kind.chars().take(40).collect::<String>(),
                hcas_core::wire::KINDS
            ),
        ));
    };
    // The engine is CPU work with bounded inputs (docs/limits.md): run it
    // off the async workers so a large request cannot stall the others.
    let answer = tokio::task::spawn_blocking(move || hcas_core::wire::evaluate(kind, &input))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "engine task failed");
            ApiError::internal()
        })??;
    Ok(axum::Json(answer))
}
