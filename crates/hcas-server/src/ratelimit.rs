//! Rate limiting: a token bucket per client IP address. Each client may
//! send `rate_limit_burst` requests at once and `rate_limit_per_second`
//! sustained; beyond that it is answered 429 `rate_limited` with
//! `Retry-After`. Memory is bounded: at most [`MAX_CLIENTS`] buckets are
//! kept, idle (full) buckets are dropped first, and the least recently seen
//! after that.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Most clients tracked at once.
pub const MAX_CLIENTS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets by client address.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    max_clients: usize,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter of `per_second` sustained and `burst` at once; `None` when
    /// `per_second` is 0 (off).
    #[must_use]
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        Self::with_capacity(per_second, burst, MAX_CLIENTS)
    }

    fn with_capacity(per_second: u32, burst: u32, max_clients: usize) -> Option<Self> {
        (per_second > 0).then(|| Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            max_clients: max_clients.max(1),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Take a token for `client` at `now`: `Ok` to go on, `Err(seconds)`
    /// until one is available (at least 1).
    ///
    /// # Errors
    /// The whole seconds to wait when the bucket is empty.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if !buckets.contains_key(&client) && buckets.len() >= self.max_clients {
            self.evict(&mut buckets, now);
        }
        let b = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.per_second;
            // A float in [0, 1e6]: the cast cannot truncate meaningfully.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let secs = wait.ceil() as u64;
            Err(secs.max(1))
        }
    }

    /// Drop idle buckets (full again: forgetting them changes nothing);
    /// if that frees nothing, the least recently seen half.
    fn evict(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let (rate, burst) = (self.per_second, self.burst);
        buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate < burst
        });
        if buckets.len() >= self.max_clients {
            let mut seen: Vec<Instant> = buckets.values().map(|b| b.last).collect();
            seen.sort_unstable();
            let cut = seen[seen.len() / 2];
            buckets.retain(|_, b| b.last > cut);
        }
    }

    /// How many clients are tracked.
    #[must_use]
    pub fn clients(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }
}

/// The middleware: 429 when the client's bucket is empty. The client is
/// the peer address of the connection (behind a proxy, the proxy: limit
/// there, or turn this off).
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(limiter) = &state.rate_limiter {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = peer
            && let Err(secs) = limiter.check(ip, Instant::now())
        {
            state.metrics.rate_limited();
            tracing::warn!(code = "rate_limited", "client over its rate limit");
            return ApiError::rate_limited(secs).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let l = RateLimiter::new(2, 3).unwrap();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check(ip, t0), Ok(()));
        }
        assert_eq!(l.check(ip, t0), Err(1));
        assert_eq!(l.check(other, t0), Ok(()), "buckets are per client");
        // Half a second at 2/s gives one token back.
        assert_eq!(l.check(ip, t0 + Duration::from_millis(500)), Ok(()));
        assert!(l.check(ip, t0 + Duration::from_millis(500)).is_err());
        assert!(RateLimiter::new(0, 10).is_none(), "0 turns it off");
    }

    #[test]
    fn slow_rate_waits_whole_seconds() {
        let l = RateLimiter::new(1, 1).unwrap();
        let ip: IpAddr = "::1".parse().unwrap();
        let t0 = Instant::now();
        assert_eq!(l.check(ip, t0), Ok(()));
        assert_eq!(l.check(ip, t0), Err(1));
        assert_eq!(l.check(ip, t0 + Duration::from_millis(200)), Err(1));
    }

    #[test]
    fn memory_is_bounded() {
        let l = RateLimiter::with_capacity(10, 1, 100).unwrap();
        let t0 = Instant::now();
        for i in 0..1000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(i));
            let _ = l.check(ip, t0 + Duration::from_micros(u64::from(i)));
            assert!(l.clients() <= 100);
        }
        // Idle buckets go first: much later, all are full again.
        let later = t0 + Duration::from_secs(60);
        for i in 0..100u32 {
            let _ = l.check(IpAddr::from(std::net::Ipv4Addr::from(i)), later);
        }
        assert_eq!(l.check("192.0.2.1".parse().unwrap(), later), Ok(()));
        assert_eq!(l.clients(), 1, "every idle bucket was dropped");
    }
}
