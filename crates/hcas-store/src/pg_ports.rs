//! PostgreSQL implementations of the ports besides bookings (see `crate::ports`).
