//! HTTPS with rustls (the `ring` provider) when `tls_cert` and `tls_key`
//! are set. Handshakes run in their own tasks (a slow or silent client
//! cannot hold up the others) with a time limit; finished ones are handed
//! to the HTTP server through a channel, so axum's graceful shutdown works
//! the same as for plain TCP: when the server stops accepting, the TCP
//! listener is closed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

use crate::config::ConfigError;

/// A handshake not done after this long is dropped.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for the server to take them.
const QUEUE: usize = 128;

fn err(setting: &str, message: String) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        message,
    }
}

/// The rustls configuration of a PEM certificate chain and private key.
///
/// # Errors
/// A [`ConfigError`] naming `tls_cert` or `tls_key`: a file that cannot
/// be read, holds no certificate / key, or a key that does not match.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, ConfigError> {
    let cert_pem = std::fs::read(cert)
        .map_err(|e| err("tls_cert", format!("cannot read {}: {e}", cert.display())))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            err(
                "tls_cert",
                format!("{} is not a PEM certificate chain: {e}", cert.display()),
            )
        })?;
    if certs.is_empty() {
        return Err(err(
            "tls_cert",
            format!(
                "{} holds no `BEGIN CERTIFICATE` block; give the PEM certificate chain",
                cert.display()
            ),
        ));
    }
    let key_pem = std::fs::read(key)
        .map_err(|e| err("tls_key", format!("cannot read {}: {e}", key.display())))?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        err(
            "tls_key",
            format!(
                "{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
                key.display()
            ),
        )
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err("tls_cert", format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            err(
                "tls_key",
                format!("the key does not fit the certificate of `tls_cert`: {e}"),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands out TLS connections.
pub(crate) struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Accept on `tcp` and handshake with `config`. The accepting task ends
    /// (closing `tcp`) when this listener is dropped.
    pub(crate) fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(QUEUE);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = tx.closed() => break,
                    a = tcp.accept() => a,
                };
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accepting task only ends after this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
