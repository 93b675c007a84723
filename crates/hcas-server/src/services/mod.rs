//! The services, one module each, with their own routes, their own store
//! ports (a narrower trait of `hcas_store`) and a typed client the other
//! services call (in process now, over the network later).
//!
//! | module | what |
//! |---|---|
//! | [`doctors`] | provider profiles and schedules; [`doctors::DoctorsClient`] |
//! | [`appointments`] | slot search (from the read model), holds, bookings, their lifecycle |

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub mod appointments;
pub mod doctors;
mod http;

/// Every service's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(doctors::routes())
        .merge(appointments::routes())
}
