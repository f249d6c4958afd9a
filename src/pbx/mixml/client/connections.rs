//! The client's kept-alive connections to its PBX: one per request in flight at most (the engine
//! caps those at `max_concurrency`), the one used last handed out first, each an HTTP/1
//! connection of hyper's connection API with a task of its own.
//!
//! Not hyper-util's pool (issue 25): it hashes its key at every checkout and return, wraps each
//! request in several layers of futures, and gives a connection back from a task of its own, so
//! that a command's next request, coming first, found none idle and opened another (22 TLS
//! handshakes for 16 slots).

use std::error::Error;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::Instant;
use tower_service::Service as _;

/// What a request carries.
pub(super) type Body = Full<Bytes>;

/// How long a connection may wait unused before it is closed rather than used again.
pub(super) const IDLE: Duration = Duration::from_secs(60);

/// The connections of one client.
pub(super) struct Connections {
    connector: HttpsConnector<HttpConnector>,
    /// Those waiting for a request, the one used last at the end. Never held across an await.
    idle: Arc<Mutex<Vec<Idle>>>,
    /// The task that closes connections idle for `IDLE`, started with the first connection (a
    /// runtime is there then): a quiet night leaves no sockets open on the PBX.
    reaper: OnceLock<()>,
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

/// Why a request got no answer.
pub(super) enum Failure {
    /// No connection could be made (TCP, TLS): what the connector said.
    Connect(Box<dyn Error + Send + Sync>),
    /// The connection broke off, or what came back is not HTTP.
    Send(hyper::Error),
}

/// A connection whose answer is being read: `keep` gives it back once the answer is read whole;
/// dropped, it is closed (what is left of an answer must not be read as the next one's).
pub(super) struct Lease<'c> {
    connections: &'c Connections,
    sender: SendRequest<Body>,
}

impl Lease<'_> {
    pub(super) fn keep(self) {
        self.connections
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Idle {
                sender: self.sender,
                since: Instant::now(),
            });
    }
}

impl Connections {
    pub(super) fn new(connector: HttpsConnector<HttpConnector>) -> Self {
        Self {
            connector,
            idle: Arc::new(Mutex::new(Vec::new())),
            reaper: OnceLock::new(),
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) to `target` on an idle connection, or on a
    /// new one; its answer's head, and the connection to read the body from.
    pub(super) async fn send(
        &self,
        target: &Uri,
        mut request: Request<Body>,
    ) -> Result<(Response<Incoming>, Lease<'_>), Failure> {
        loop {
            let (mut sender, kept) = match self.take_idle() {
                Some(sender) => (sender, true),
                None => (self.connect(target).await?, false),
            };
            // The answer before it may still be settling in the connection's task.
            if let Err(error) = sender.ready().await {
                if kept {
                    // The PBX closed it while it was idle: the next one.
                    continue;
                }
                return Err(Failure::Send(error));
            }
            match sender.try_send_request(request).await {
                Ok(answer) => {
                    let lease = Lease {
                        connections: self,
                        sender,
                    };
                    return Ok((answer, lease));
                }
                Err(mut error) => match error.take_message() {
                    // Given back unsent: the kept connection was closed just then. Nothing of
                    // it reached the PBX, so it goes out once, on another connection.
                    Some(unsent) if kept => request = unsent,
                    _ => return Err(Failure::Send(error.into_error())),
                },
            }
        }
    }

    /// The idle connection used last, after closing those idle too long or closed by the PBX.
    fn take_idle(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        close_stale(&mut idle);
        idle.pop().map(|kept| kept.sender)
    }

    /// Starts the task that closes idle connections, once; it ends with the client.
    fn start_reaper(&self) {
        self.reaper.get_or_init(|| {
            let idle = Arc::downgrade(&self.idle);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(IDLE / 4).await;
                    let Some(idle) = idle.upgrade() else {
                        return;
                    };
                    close_stale(&mut idle.lock().unwrap_or_else(PoisonError::into_inner));
                }
            });
        });
    }

    /// A new connection to `target` (TCP, then TLS unless plain HTTP is allowed), its task
    /// started.
    async fn connect(&self, target: &Uri) -> Result<SendRequest<Body>, Failure> {
        self.start_reaper();
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(Failure::Connect)?;
        let stream = connector
            .call(target.clone())
            .await
            .map_err(Failure::Connect)?;
        let (sender, connection) = http1::handshake(stream).await.map_err(Failure::Send)?;
        // Ends when the connection closes: its sender dropped, or the PBX closing it.
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("a PBX connection ended: {error}");
            }
        });
        Ok(sender)
    }
}

/// Drops (and so closes) the connections idle for `IDLE` or closed by the PBX.
fn close_stale(idle: &mut Vec<Idle>) {
    let now = Instant::now();
    idle.retain(|kept| now.duration_since(kept.since) < IDLE && !kept.sender.is_closed());
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;
    use crate::config::Trust;

    /// A plain-HTTP server that counts the connections it accepts and the requests it reads,
    /// answers each `ok`, and closes a connection after `answers_per_connection` answers (with
    /// `swallow`, after reading one more request it does not answer).
    struct Server {
        target: Uri,
        connections: Arc<AtomicUsize>,
        requests: Arc<AtomicUsize>,
        /// Connections the client closed.
        closed: Arc<AtomicUsize>,
    }

    async fn server(answers_per_connection: usize) -> Server {
        serve(answers_per_connection, false).await
    }

    async fn serve(answers_per_connection: usize, swallow: bool) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (accepted, read, ended) = (connections.clone(), requests.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (read, ended) = (read.clone(), ended.clone());
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let requests = answers_per_connection.saturating_add(usize::from(swallow));
                    for answered in 0..requests {
                        // A request here is its head and a body of `Content-Length: 2`.
                        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                            let mut chunk = [0u8; 1024];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => {
                                    ended.fetch_add(1, Ordering::SeqCst);
                                    return;
                                }
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        while buffer.len() < end + 2 {
                            let mut chunk = [0u8; 1024];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buffer.drain(..end + 2);
                        read.fetch_add(1, Ordering::SeqCst);
                        if answered == answers_per_connection {
                            return;
                        }
                        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                    // Closed without a word, as a PBX ends an idle keep-alive connection.
                });
            }
        });
        Server {
            target: format!("http://{address}/mixml/v1").parse().unwrap(),
            connections,
            requests,
            closed,
        }
    }

    fn connections() -> Connections {
        let tls = crate::pbx::mixml::client::tls::client_config(&Trust::Pinned([0; 32])).unwrap();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Connections::new(connector)
    }

    /// A request as the client sends one: origin-form, with a `Host`.
    fn request() -> Request<Body> {
        let mut request = Request::new(Full::new(Bytes::from_static(b"hi")));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = Uri::from_static("/mixml/v1");
        request.headers_mut().insert(
            hyper::header::HOST,
            hyper::header::HeaderValue::from_static("pbx"),
        );
        request
    }

    async fn post(connections: &Connections, target: &Uri) -> Result<(), Failure> {
        let (answer, connection) = connections.send(target, request()).await?;
        let body = answer.into_body().collect().await.map_err(Failure::Send)?;
        assert_eq!(body.to_bytes().as_ref(), b"ok");
        connection.keep();
        Ok(())
    }

    #[tokio::test]
    async fn sixteen_at_a_time_use_sixteen_connections_again_and_again() {
        let server = server(usize::MAX).await;
        let connections = Arc::new(connections());
        for _ in 0..5 {
            let round: Vec<_> = (0..16)
                .map(|_| {
                    let (connections, target) = (connections.clone(), server.target.clone());
                    tokio::spawn(async move { post(&connections, &target).await.is_ok() })
                })
                .collect();
            for request in round {
                assert!(request.await.unwrap());
            }
        }
        assert_eq!(server.requests.load(Ordering::SeqCst), 80);
        assert_eq!(server.connections.load(Ordering::SeqCst), 16);
    }

    #[tokio::test]
    async fn one_after_the_other_use_one_connection() {
        let server = server(usize::MAX).await;
        let connections = connections();
        for _ in 0..10 {
            assert!(post(&connections, &server.target).await.is_ok());
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_pbx_closed_is_replaced_and_nothing_is_sent_twice() {
        // Each connection answers once, then the server closes it.
        let server = server(1).await;
        let connections = connections();
        for round in 1..=5 {
            // With time for the close to arrive, and without. (On this runtime of one thread the
            // server's close always comes before the next request and the filter of closed
            // connections takes it: a close between `ready()` and the request cannot be
            // brought about here.)
            if round % 2 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(post(&connections, &server.target).await.is_ok());
            assert_eq!(server.requests.load(Ordering::SeqCst), round);
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_request_the_pbx_took_and_never_answered_is_not_sent_again() {
        let server = serve(1, true).await;
        let connections = connections();
        assert!(post(&connections, &server.target).await.is_ok());
        // The second request goes out on the kept connection, is read, and is never answered.
        let failure = post(&connections, &server.target).await.err();
        assert!(matches!(failure, Some(Failure::Send(_))));
        assert_eq!(server.requests.load(Ordering::SeqCst), 2);
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_whose_answer_was_not_read_is_not_used_again() {
        let server = server(usize::MAX).await;
        let connections = connections();
        // The head came, the body is not read (a timeout, an answer too large): dropped.
        let (answer, lease) = connections
            .send(&server.target, request())
            .await
            .ok()
            .unwrap();
        drop((answer, lease));
        assert!(post(&connections, &server.target).await.is_ok());
        assert_eq!(server.connections.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_idle_for_a_minute_is_closed_with_nothing_asked() {
        let server = server(usize::MAX).await;
        let connections = connections();
        assert!(post(&connections, &server.target).await.is_ok());
        tokio::time::sleep(IDLE / 2).await;
        assert_eq!(server.closed.load(Ordering::SeqCst), 0, "closed too early");
        tokio::time::sleep(IDLE).await;
        // The close travels over a real socket: a few turns of the (paused) clock.
        for _ in 0..1000 {
            if server.closed.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(server.closed.load(Ordering::SeqCst), 1);
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let target: Uri = format!("http://{address}/mixml/v1").parse().unwrap();
        let failure = post(&connections(), &target).await.err();
        assert!(matches!(failure, Some(Failure::Connect(_))));
    }
}
