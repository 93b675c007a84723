//! The one adapter from `hcas_core::Error` to UniFFI: the error enum
//! [`HcasError`] with a variant per error family, each carrying the stable
//! `code` and the message. Kotlin sees the sealed class `HcasException` (one
//! subclass per variant), Swift the `enum HcasError: Error`.

use hcas_core::{Error, ErrorCode};

/// Declares [`HcasError`] with one variant per error code, and the mapping.
macro_rules! families {
    ($($code:ident: $doc:literal,)*) => {
        /// Any error of the engine, one variant per error family. `code` is the
        /// stable code (`docs/vectors.md`, [`error_codes`](crate::error_codes)),
        /// `message` says what to fix (free text, may change between versions).
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        pub enum HcasError {
            $(
                #[doc = $doc]
                #[error("{code}: {message}")]
                $code {
                    /// The stable code.
                    code: String,
                    /// What to fix.
                    message: String,
                },
            )*
            /// A code added to the engine after this binding's table: `code`
            /// still names it.
            #[error("{code}: {message}")]
            Other {
                /// The stable code.
                code: String,
                /// What to fix.
                message: String,
            },
        }

        impl From<Error> for HcasError {
            fn from(err: Error) -> Self {
                let code = err.code().as_str().to_string();
                let message = err.message().to_string();
                match err.code() {
                    $(ErrorCode::$code => Self::$code { code, message },)*
                    _ => Self::Other { code, message },
                }
            }
        }

        #[uniffi::export]
        impl HcasError {
            /// The stable code, whatever the variant (`invalid_rrule`, ...).
            pub fn code(&self) -> String {
                match self {
                    $(Self::$code { code, .. })|* | Self::Other { code, .. } => code.clone(),
                }
            }

            /// What to fix, whatever the variant (the engine's message alone;
            /// Kotlin's `Throwable.message` also names the code).
            pub fn message(&self) -> String {
                match self {
                    $(Self::$code { message, .. })|* | Self::Other { message, .. } => message.clone(),
                }
            }
        }
    };
}

families! {
    InvalidRrule: "The RRULE text is malformed or breaks an RFC 5545 constraint (`invalid_rrule`).",
    InvalidTimezone: "The time zone is not an IANA name the engine knows (`invalid_timezone`).",
    InvalidDatetime: "A datetime, date or time is malformed, impossible, out of range, or naive where an instant is needed (`invalid_datetime`).",
    InvalidInterval: "An interval whose end is not after its start (`invalid_interval`).",
    InvalidDuration: "A duration that is not a positive whole number of minutes, or a negative buffer, notice or horizon (`invalid_duration`).",
    InvalidWindow: "A query window, or the work it implies, beyond the engine's documented maximum (`invalid_window`).",
    InvalidConsent: "A consent resource that breaks the consent model (`invalid_consent`).",
    InvalidRequest: "A structurally malformed request: a missing or unknown field, a wrong type, text that is not JSON (`invalid_request`).",
    InvalidTransition: "A lifecycle change not allowed from the current status (`invalid_transition`).",
    NotPermitted: "The actor's role may not make this change (`not_permitted`).",
    LimitExceeded: "An input beyond one of the engine's documented size limits (`limit_exceeded`).",
}

/// An error of `code` raised by the binding itself (text that is not JSON),
/// mapped like the engine's own.
pub(crate) fn error(code: ErrorCode, message: impl Into<String>) -> HcasError {
    Error::new(code, message).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_code_maps_to_its_own_variant_with_code_and_message() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let e = HcasError::from(Error::new(code, "fix this"));
            assert_eq!(e.code(), code.as_str());
            assert!(
                !matches!(e, HcasError::Other { .. }),
                "{code} has no variant"
            );
            assert_eq!(e.to_string(), format!("{}: fix this", code.as_str()));
            // The variant's name is the code in CamelCase: distinct per code.
            let variant = format!("{e:?}");
            let name = variant.split(' ').next().unwrap_or_default().to_string();
            let camel: String = code
                .as_str()
                .split('_')
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            assert_eq!(name, camel);
            assert!(seen.insert(name));
        }
    }
}
