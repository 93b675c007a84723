//! Search parameters as a client sent them (query string or form body):
//! sorted into the ones the resource type supports, the result parameters
//! (`_count`, `_offset`, `_include`, `_format`) and the rest, which FHIR's
//! handling preference decides: ignored (lenient, the default) or 400
//! `unknown_search_parameter` with `Prefer: handling=strict`. A modifier
//! (`status:not`) hcas does not support is always refused, as R4 requires.
//! An empty value is ignored.

use axum::http::{HeaderMap, StatusCode};
use hcas_core::fhir::search::parse_count;

use super::bad_search;
use crate::error::ApiError;

/// The page size when `_count` is not given.
pub(crate) const DEFAULT_COUNT: usize = 50;

/// What a resource type's search supports.
pub(crate) struct Spec {
    /// The resource type.
    pub(crate) ty: &'static str,
    /// The search parameters, with their R4 types: (name, type, description).
    pub(crate) params: &'static [(&'static str, &'static str, &'static str)],
    /// The `_include` values (`Slot:schedule`).
    pub(crate) includes: &'static [&'static str],
}

/// A search's parameters, sorted.
#[derive(Debug, Default)]
pub(crate) struct Search {
    /// The supported parameters, in the order sent: (name, value).
    pub(crate) filters: Vec<(String, String)>,
    /// The page size.
    pub(crate) count: usize,
    /// Where the page starts (0 = the first match).
    pub(crate) offset: usize,
    /// The supported `_include` values asked for.
    pub(crate) includes: Vec<String>,
}

impl Search {
    /// Every value of `name` (one per occurrence; commas not split).
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.filters
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }

    /// Whether `_include` asked for `value`.
    pub(crate) fn includes(&self, value: &str) -> bool {
        self.includes.iter().any(|i| i == value)
    }

    /// The query string of this search at `offset` (the parameters used,
    /// then `_include`, `_count` and `_offset`), for `self` and `next`.
    pub(crate) fn query(&self, offset: usize) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (n, v) in &self.filters {
            s.append_pair(n, v);
        }
        for i in &self.includes {
            s.append_pair("_include", i);
        }
        s.append_pair("_count", &self.count.to_string());
        if offset > 0 {
            s.append_pair("_offset", &offset.to_string());
        }
        s.finish()
    }
}

/// Whether the request asks for strict handling (`Prefer: handling=strict`).
pub(crate) fn strict(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .any(|p| p.trim().eq_ignore_ascii_case("handling=strict"))
}

/// 400 `unknown_search_parameter` (strict handling).
fn unknown(spec: &Spec, what: &str) -> ApiError {
    let names: Vec<&str> = spec.params.iter().map(|(n, _, _)| *n).collect();
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "unknown_search_parameter",
        format!(
            "{what} is not supported on {}; supported: {} and _count, _offset{} \
             (without `Prefer: handling=strict` it would be ignored)",
            spec.ty,
            names.join(", "),
            if spec.includes.is_empty() {
                String::new()
            } else {
                format!(", _include={}", spec.includes.join(", _include="))
            }
        ),
    )
}

/// Sort `pairs` for `spec`.
///
/// # Errors
/// 400 `invalid_search` for a malformed `_count`/`_offset`/`_format`, 400
/// `unknown_search_parameter` for an unsupported modifier, or (strict) an
/// unknown parameter or `_include`.
pub(crate) fn parse(
    pairs: Vec<(String, String)>,
    spec: &Spec,
    strict: bool,
) -> Result<Search, ApiError> {
    let mut out = Search {
        count: DEFAULT_COUNT,
        ..Search::default()
    };
    for (name, value) in pairs {
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "_count" => {
                out.count = parse_count(&value).map_err(|e| bad_search(e.message().to_string()))?;
            }
            "_offset" => {
                out.offset = value.parse().map_err(|_| {
                    bad_search(format!("`_offset={value}`: give a whole number from 0"))
                })?;
            }
            "_format"
                if matches!(
                    value.as_str(),
                    "json" | "application/json" | "application/fhir+json"
                ) => {}
            "_format" => {
                return Err(ApiError::new(
                    StatusCode::NOT_ACCEPTABLE,
                    "unsupported_format",
                    format!("`_format={value}`: hcas answers JSON only (`_format=json`)"),
                ));
            }
            "_include" if spec.includes.contains(&value.as_str()) => out.includes.push(value),
            "_include" if strict => {
                return Err(unknown(spec, &format!("`_include={value}`")));
            }
            "_include" => {}
            _ if name.contains(':') => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_search_parameter",
                    format!(
                        "`{name}`: hcas supports no search modifiers; send the parameter \
                         without `:{}`",
                        name.split_once(':').map_or("", |(_, m)| m)
                    ),
                ));
            }
            _ if spec.params.iter().any(|(n, _, _)| *n == name) => {
                out.filters.push((name, value));
            }
            _ if strict => return Err(unknown(spec, &format!("`{name}`"))),
            _ => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.includes.retain(|i| seen.insert(i.clone()));
    Ok(out)
}

/// `(name, value)` pairs of a query string or form body.
pub(crate) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        ty: "Slot",
        params: &[("start", "date", ""), ("status", "token", "")],
        includes: &["Slot:schedule"],
    };

    fn p(q: &str) -> Vec<(String, String)> {
        pairs(q.as_bytes())
    }

    #[test]
    fn lenient_ignores_and_strict_refuses() {
        let s = parse(
            p("start=ge2026&foo=1&_include=Slot:x&status="),
            &SPEC,
            false,
        )
        .unwrap();
        assert_eq!(s.filters, vec![("start".to_string(), "ge2026".to_string())]);
        assert!(s.includes.is_empty());
        let e = parse(p("start=ge2026&foo=1"), &SPEC, true).unwrap_err();
        assert_eq!(
            (e.status().as_u16(), e.code()),
            (400, "unknown_search_parameter")
        );
        let e = parse(p("status:not=free"), &SPEC, false).unwrap_err();
        assert_eq!(e.code(), "unknown_search_parameter");
    }

    #[test]
    fn paging_and_links() {
        let s = parse(
            p("status=free&_count=2&_offset=4&_include=Slot:schedule"),
            &SPEC,
            true,
        )
        .unwrap();
        assert_eq!((s.count, s.offset), (2, 4));
        assert_eq!(
            s.query(6),
            "status=free&_include=Slot%3Aschedule&_count=2&_offset=6"
        );
        assert!(parse(p("_count=x"), &SPEC, false).is_err());
        assert!(parse(p("_offset=-1"), &SPEC, false).is_err());
        assert_eq!(
            parse(p("_format=xml"), &SPEC, false)
                .unwrap_err()
                .status()
                .as_u16(),
            406
        );
    }

    #[test]
    fn prefer_header() {
        let mut h = HeaderMap::new();
        assert!(!strict(&h));
        h.insert("prefer", "return=minimal, handling=strict".parse().unwrap());
        assert!(strict(&h));
    }
}
