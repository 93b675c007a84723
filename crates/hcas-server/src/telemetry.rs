//! Trace context (W3C Trace Context, `traceparent`): a request that brings
//! a valid `traceparent` continues its trace; any other starts a new one.
//! The trace id goes into the request's span (so into every log line of
//! the request) and the response echoes `traceparent` with this server's
//! span id, so a caller can find the server's part of its trace.

/// The header.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// The trace context of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceContext {
    /// 32 lower-case hex digits, not all zero.
    pub(crate) trace_id: String,
    /// The caller's span id (16 hex digits), when it sent one.
    pub(crate) parent_id: Option<String>,
    /// This server's span id for the request (16 hex digits).
    pub(crate) span_id: String,
    /// The trace flags (bit 0: sampled).
    pub(crate) flags: u8,
}

impl TraceContext {
    /// Continue the trace of a valid `traceparent`, or start a new one.
    pub(crate) fn from_header(header: Option<&str>) -> Self {
        let span_id = random_hex(16);
        match header.and_then(parse) {
            Some((trace_id, parent_id, flags)) => Self {
                trace_id,
                parent_id: Some(parent_id),
                span_id,
                flags,
            },
            None => Self {
                trace_id: random_hex(32),
                parent_id: None,
                span_id,
                flags: 1,
            },
        }
    }

    /// The `traceparent` naming this server's span.
    pub(crate) fn header(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id, self.span_id, self.flags)
    }
}

fn is_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `version-traceid-parentid-flags` by the rules of W3C Trace Context:
/// lower-case hex, version not `ff`, version `00` exactly four fields,
/// ids not all zero. Returns the trace id, the parent id and the flags.
pub(crate) fn parse(h: &str) -> Option<(String, String, u8)> {
    let h = h.trim();
    let mut parts = h.split('-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    let rest = parts.next();
    if version.len() != 2 || !is_hex(version) || version == "ff" {
        return None;
    }
    if version == "00" && rest.is_some() {
        return None;
    }
    if trace_id.len() != 32 || !is_hex(trace_id) || trace_id.bytes().all(|b| b == b'0') {
        return None;
    }
    if parent_id.len() != 16 || !is_hex(parent_id) || parent_id.bytes().all(|b| b == b'0') {
        return None;
    }
    if flags.len() != 2 || !is_hex(flags) {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some((trace_id.to_string(), parent_id.to_string(), flags))
}

/// `n` (at most 60) random lower-case hex digits, not all zero.
fn random_hex(n: usize) -> String {
    loop {
        // A v4 uuid has fixed version/variant digits at 12 and 16: keep
        // only the 30 random ones of each.
        let digits: String = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]
            .iter()
            .flat_map(|u| {
                u.simple()
                    .to_string()
                    .char_indices()
                    .filter(|(i, _)| *i != 12 && *i != 16)
                    .map(|(_, c)| c)
                    .collect::<Vec<_>>()
            })
            .take(n)
            .collect();
        if digits.bytes().any(|b| b != b'0') {
            return digits;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let (t, p, f) = parse(ok).unwrap();
        assert_eq!(t, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(p, "00f067aa0ba902b7");
        assert_eq!(f, 1);
        for bad in [
            "",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        // A later version may add fields.
        assert!(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ext").is_some());
    }

    #[test]
    fn continues_or_starts() {
        let c = TraceContext::from_header(Some(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        ));
        assert_eq!(c.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(c.flags, 0);
        assert_ne!(c.span_id, "00f067aa0ba902b7");
        assert!(parse(&c.header()).is_some());
        let n = TraceContext::from_header(Some("garbage"));
        assert_eq!(n.trace_id.len(), 32);
        assert!(n.parent_id.is_none());
        let (t, s, _) = parse(&n.header()).unwrap();
        assert_eq!((t, s), (n.trace_id.clone(), n.span_id.clone()));
        assert_ne!(n.trace_id, TraceContext::from_header(None).trace_id);
    }
}
