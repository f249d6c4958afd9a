//! Serving HTTP(S) connections so that idle or hostile clients cannot take a server down: a
//! TLS handshake, a request's headers and a silent connection each have a time limit, and an
//! accept loop that fails (no file descriptors left) pauses instead of spinning. The simulator
//! uses it; so will every server hotelcare runs.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// The time limits of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// For the TLS handshake.
    pub handshake: Duration,
    /// For a request's headers, from its first byte (slowloris).
    pub header: Duration,
    /// For a connection on which nothing is read or written (an idle keep-alive, a client that
    /// connected and went quiet).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(10),
            header: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// How long the accept loop pauses after a failed accept (`EMFILE`: no descriptor left until
/// some connection closes), instead of retrying at once and spinning a core.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves one connection with `router` until it ends, breaks a limit, or `shutdown` fires.
pub(crate) async fn connection(
    stream: tokio::net::TcpStream,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    timeouts: Timeouts,
) {
    let started = Instant::now();
    let activity = Arc::new(AtomicU64::new(0));
    let service = TowerToHyperService::new(router);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
    let serve = async {
        if let Some(acceptor) = tls {
            match tokio::time::timeout(timeouts.handshake, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let watched = Watched::new(stream, started, &activity);
                    let _ = http.serve_connection(TokioIo::new(watched), service).await;
                }
                Ok(Err(error)) => tracing::debug!("TLS handshake failed: {error}"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        } else {
            let watched = Watched::new(stream, started, &activity);
            let _ = http.serve_connection(TokioIo::new(watched), service).await;
        }
    };
    let idle = async {
        loop {
            tokio::time::sleep(timeouts.idle / 4).await;
            let last = Duration::from_millis(activity.load(Ordering::Relaxed));
            if started.elapsed().saturating_sub(last) >= timeouts.idle {
                return;
            }
        }
    };
    tokio::select! {
        () = serve => {}
        () = idle => tracing::debug!("connection closed after {:?} without traffic", timeouts.idle),
        _ = shutdown.changed() => {}
    }
}

/// A stream that notes when it last moved a byte.
struct Watched<S> {
    inner: S,
    started: Instant,
    activity: Arc<AtomicU64>,
}

impl<S> Watched<S> {
    fn new(inner: S, started: Instant, activity: &Arc<AtomicU64>) -> Self {
        Self {
            inner,
            started,
            activity: Arc::clone(activity),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(now, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
