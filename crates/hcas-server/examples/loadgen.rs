//! A constant-arrival-rate (open-loop) HTTP load generator that corrects
//! for coordinated omission.
//!
//! Request `i` is due at `t0 + i / rate`, whether or not earlier requests
//! have been answered; its latency is counted from that intended start to
//! the end of its response. A server that stalls therefore shows the stall
//! in every request that was due during it, not only in the one that was on
//! the wire (a closed-loop client, which waits before sending the next,
//! would hide them). Requests go over `--connections` keep-alive HTTP/1.1
//! connections, each taking the next due request; a request waiting for a
//! free connection waits on the clock.
//!
//! ```text
//! cargo run --release -p hcas-server --example loadgen -- \
//!     --url http://127.0.0.1:8080/v1/engine/slots --body-file slots.json \
//!     --rate 1000 --duration 60 --connections 32
//! ```
//!
//! Prints p50/p90/p99/p99.9/max, errors and the achieved rate (one JSON
//! line with `--json`). Plain `http://` only; the response must carry a
//! `Content-Length` (every hcas answer does).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

/// Open-loop HTTP load at a constant arrival rate.
#[derive(Debug, Parser)]
struct Args {
    /// The target, `http://host:port/path`.
    #[arg(long)]
    url: String,
    /// POST this file's content as `application/json` (else GET).
    #[arg(long)]
    body_file: Option<std::path::PathBuf>,
    /// Requests per second.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Seconds of load before measuring (connections, caches warm up).
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// An extra request header, `Name: value` (repeatable), e.g. an
    /// `Authorization` for routes that need a token.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// One JSON line instead of text.
    #[arg(long)]
    json: bool,
}

struct Target {
    host_port: String,
    request: Vec<u8>,
}

fn target(args: &Args) -> Result<Target, String> {
    let rest = args
        .url
        .strip_prefix("http://")
        .ok_or("--url must start with http://")?;
    let (host_port, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let body = match &args.body_file {
        Some(f) => Some(std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?),
        None => None,
    };
    let mut extra = String::new();
    for h in &args.headers {
        if !h.contains(':') || h.contains('\r') || h.contains('\n') {
            return Err(format!("--header `{h}` is not `Name: value`"));
        }
        extra.push_str(h);
        extra.push_str("\r\n");
    }
    let mut request = match &body {
        Some(b) => format!(
            "POST {path} HTTP/1.1\r\nHost: {host_port}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            b.len()
        ),
        None => format!("GET {path} HTTP/1.1\r\nHost: {host_port}\r\n{extra}\r\n"),
    }
    .into_bytes();
    if let Some(b) = body {
        request.extend_from_slice(&b);
    }
    Ok(Target {
        host_port: host_port.to_string(),
        request,
    })
}

/// Send one request on `conn` and read its response: the status.
async fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    conn.get_mut().write_all(request).await?;
    let mut status = 0u16;
    let mut length = 0usize;
    let mut line = String::new();
    let mut first = true;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if first {
            status = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            first = false;
        } else if line == "\r\n" {
            break;
        } else if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok(status)
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    errors: AtomicU64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let t = match target(&args) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    if !(args.rate > 0.0 && args.duration > 0.0 && args.connections > 0) {
        eprintln!("loadgen: --rate, --duration and --connections must be positive");
        return ExitCode::from(2);
    }
    let (tx, rx) = mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(Mutex::new(rx));
    let t0 = Instant::now() + Duration::from_millis(200);
    let measure_from = t0 + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);
    let counts = Arc::new(Counts::default());
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (rx, t, counts) = (Arc::clone(&rx), Arc::clone(&t), Arc::clone(&counts));
        workers.push(tokio::spawn(async move {
            let mut hist =
                Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).map_err(|e| e.to_string())?;
            let mut conn: Option<BufReader<TcpStream>> = None;
            loop {
                let Some(due) = rx.lock().await.recv().await else {
                    break;
                };
                if conn.is_none() {
                    conn = TcpStream::connect(&t.host_port).await.ok().map(|s| {
                        let _ = s.set_nodelay(true);
                        BufReader::new(s)
                    });
                }
                let status = match conn.as_mut() {
                    Some(c) => exchange(c, &t.request).await.ok(),
                    None => None,
                };
                let done = Instant::now();
                if status.is_none() {
                    conn = None;
                }
                if due < measure_from {
                    continue;
                }
                if status == Some(200) {
                    counts.ok.fetch_add(1, Ordering::Relaxed);
                    let micros = u64::try_from((done - due).as_micros()).unwrap_or(u64::MAX);
                    hist.saturating_record(micros.max(1));
                } else {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<_, String>(hist)
        }));
    }
    // The schedule: request i is due at t0 + i / rate.
    let mut i = 0u64;
    #[allow(clippy::cast_precision_loss)]
    loop {
        let due = t0 + Duration::from_secs_f64(i as f64 / args.rate);
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due).await;
        if tx.send(due).is_err() {
            break;
        }
        i += 1;
    }
    drop(tx);
    let mut hist = match Histogram::<u64>::new_with_bounds(1, 120_000_000, 3) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    for w in workers {
        match w.await {
            Ok(Ok(h)) => {
                let _ = hist.add(&h);
            }
            Ok(Err(e)) => eprintln!("loadgen: {e}"),
            Err(e) => eprintln!("loadgen: worker failed: {e}"),
        }
    }
    let finished = Instant::now();
    let ok = counts.ok.load(Ordering::Relaxed);
    let errors = counts.errors.load(Ordering::Relaxed);
    let measured = (finished - measure_from).as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let achieved = (ok + errors) as f64 / measured;
    #[allow(clippy::cast_precision_loss)]
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    #[allow(clippy::cast_precision_loss)]
    let max = hist.max() as f64 / 1000.0;
    if args.json {
        println!(
            "{{\"target_rate\":{},\"achieved_rate\":{achieved:.1},\"requests\":{},\"ok\":{ok},\"errors\":{errors},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"max_ms\":{max:.3}}}",
            args.rate,
            ok + errors,
            ms(0.5),
            ms(0.9),
            ms(0.99),
            ms(0.999)
        );
    } else {
        println!(
            "target {} req/s for {} s (after {} s warm-up) over {} connections",
            args.rate, args.duration, args.warmup, args.connections
        );
        println!(
            "achieved {achieved:.1} req/s: {} requests, {ok} ok (200), {errors} errors",
            ok + errors
        );
        println!(
            "latency from intended start (ms): p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {max:.3}",
            ms(0.5),
            ms(0.9),
            ms(0.99),
            ms(0.999)
        );
    }
    if errors > 0 || ok == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
