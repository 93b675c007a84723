//! The services with patient data behind the gate ([`crate::access`]).

pub(crate) mod consents;
pub(crate) mod patients;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every service's routes (and the audit log's).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(patients::routes())
        .merge(consents::routes())
        .merge(crate::audit::routes())
}
