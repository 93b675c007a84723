//! The services, one module each, with their own routes, their own store
//! ports (a narrower trait of `hcas_store`) and a typed client the other
//! services call (in process now, over the network later). Patient data is
//! reached only through the gate ([`crate::access`]).
//!
//! | module | what |
//! |---|---|
//! | `patients` | registration, profiles, guardians, preferences |
//! | `consents` | patients' consents: grant, list, revoke |
//! | `records` | medical-record documents: upload, list, read, download (ranges), delete (crypto-shredding) |
//! | [`doctors`] | provider profiles and schedules; [`doctors::DoctorsClient`] |
//! | [`feeds`] | calendar feeds behind unguessable, revocable tokens |
//! | [`appointments`] | slot search (from the read model), holds, bookings, their lifecycle, series |
//! | [`rooms`] | the rooms providers use, a room's appointments (staff schedule per room) |

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub mod appointments;
pub(crate) mod consents;
pub mod doctors;
pub mod feeds;
pub(crate) mod http;
pub(crate) mod patients;
pub(crate) mod records;
pub mod rooms;

/// Every service's routes (and the audit log's).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(patients::routes())
        .merge(consents::routes())
        .merge(records::routes())
        .merge(crate::audit::routes())
        .merge(doctors::routes())
        .merge(appointments::routes())
        .merge(rooms::routes())
        .merge(feeds::routes())
}
