//! The simulator's HTTP(S) server: its own accept loop (so that "refuse connections" can really
//! close the socket), rustls with a certificate generated at start, hyper serving an axum router
//! with the MiXML endpoint and the test API (`/_sim/...`).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::pbx::mixml::wire::names;
use crate::sim::mivb::faults::{Faults, Mishap};
use crate::sim::mivb::pbx::Pbx;
use crate::sim::mivb::record::Record;
use crate::sim::mivb::request;
use crate::sim::mivb::response::{SimFault, SimResponse};
use crate::support::serving::{self, ACCEPT_BACKOFF, Timeouts};

/// State shared by the accept loop, the connections and the `Simulator` handle.
pub(crate) struct Shared {
    pub(crate) pbx: Mutex<Pbx>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) refusing: watch::Sender<bool>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) state_file: Option<std::path::PathBuf>,
    rng: Mutex<fastrand::Rng>,
    /// The SMDR port the test API places calls on (`hotelcare sim --smdr-listen`).
    pub(crate) smdr: Mutex<Option<Arc<crate::sim::smdr::SmdrPort>>>,
}

impl Shared {
    pub(crate) fn new(pbx: Pbx, faults: Faults, state_file: Option<std::path::PathBuf>) -> Self {
        let refusing = faults.refuse_connections;
        Self {
            pbx: Mutex::new(pbx),
            faults: Mutex::new(faults),
            refusing: watch::Sender::new(refusing),
            shutdown: watch::Sender::new(false),
            state_file,
            rng: Mutex::new(fastrand::Rng::new()),
            smdr: Mutex::new(None),
        }
    }

    pub(crate) fn pbx(&self) -> std::sync::MutexGuard<'_, Pbx> {
        self.pbx.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        let refuse = faults.refuse_connections;
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
        self.refusing.send_replace(refuse);
    }

    /// Replaces (or adds) one room, saving the state.
    pub(crate) fn set_record(&self, dn: &str, record: Record) {
        let mut pbx = self.pbx();
        pbx.records.insert(dn.to_owned(), record);
        self.persist(&pbx.records);
    }

    /// Writes the records to the state file (embedded simulator), atomically. Called with the
    /// PBX's lock held, so that writes happen in the order of the changes.
    pub(crate) fn persist(&self, records: &BTreeMap<String, Record>) {
        let Some(path) = &self.state_file else { return };
        let Ok(json) = serde_json::to_vec_pretty(records) else {
            return;
        };
        if let Err(error) = crate::support::files::write_atomic(path, &json) {
            tracing::warn!(
                "the simulator cannot save its rooms to {}: {error}",
                path.display()
            );
        }
    }
}

/// Accepts connections until shutdown; while "refuse connections" is on, the socket is closed.
pub(crate) async fn serve(
    mut listener: Option<TcpListener>,
    address: SocketAddr,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    timeouts: Timeouts,
    test_api: bool,
) {
    let router = router(Arc::clone(&shared), test_api);
    let mut refusing = shared.refusing.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        // Stopped before this task first ran (a command that ends at once): `changed` would
        // wait for a change that has already happened.
        if *shutdown.borrow_and_update() {
            return;
        }
        if *refusing.borrow_and_update() {
            listener = None;
        } else if listener.is_none() {
            match TcpListener::bind(address).await {
                Ok(bound) => listener = Some(bound),
                Err(error) => {
                    tracing::warn!("simulator cannot listen on {address} again: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = refusing.changed() => {}
            accepted = accept(listener.as_ref()) => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::debug!("simulator cannot accept a connection: {error}");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (router, tls, shutdown) = (router.clone(), tls.clone(), shared.shutdown.subscribe());
                // A PBX that stops ends its open connections too, kept-alive ones included.
                let mut stopped = shared.refusing.subscribe();
                tokio::spawn(async move {
                    tokio::select! {
                        () = serving::connection(stream, tls, router, shutdown, timeouts) => {}
                        _ = stopped.wait_for(|refusing| *refusing) => {}
                    }
                });
            }
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// The MiXML endpoint, and (`test_api`) the test API that reads the rooms and sets faults: not
/// for the embedded simulator, which any local user could otherwise reconfigure.
fn router(shared: Arc<Shared>, test_api: bool) -> Router {
    let router = Router::new().route(names::PATH, post(mixml));
    let router = if test_api {
        router
            .route("/_sim/rooms", get(rooms))
            .route("/_sim/rooms/{dn}", get(room).put(put_room))
            .route("/_sim/faults", get(get_faults).put(put_faults))
            .route("/_sim/sessions/expire", post(expire_sessions))
            .route("/_sim/stats", get(stats))
            .route("/_sim/calls", post(place_call))
    } else {
        router
    };
    router.with_state(shared)
}

/// A MiXML request, answered `latency` after it came: the simulated PBX's own work is part of
/// its latency, as a real one's is (worked out first, then held until the answer is due), so a
/// benchmark's floor of requests x latency is what the PBX really takes.
async fn mixml(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let received = tokio::time::Instant::now();
    let faults = shared.faults();
    let answer = carry_out(&shared, &faults, &body).await;
    crate::sim::mitel_pms::answer_after(received, faults.latency()).await;
    answer
}

/// What the PBX answers to a request (after any injected mishap).
async fn carry_out(shared: &Shared, faults: &Faults, body: &str) -> Response {
    let roll = shared
        .rng
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .f64();
    let mishap = faults.mishap(roll);
    if mishap != Mishap::None {
        shared.pbx().stats.injected += 1;
    }
    if mishap == Mishap::Hang {
        let mut shutdown = shared.shutdown.subscribe();
        let _ = tokio::time::timeout(Duration::from_secs(3600), shutdown.changed()).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let answer = if mishap == Mishap::Fail {
        SimResponse::Fault(SimFault::new(
            names::BUSY,
            "the PBX is busy, try again (injected failure)",
        ))
    } else {
        match request::read(body) {
            Err(problem) => {
                SimResponse::Fault(SimFault::new(names::MALFORMED_REQUEST, problem.to_string()))
            }
            Ok(envelope) => {
                let mut pbx = shared.pbx();
                let (answer, changed) = pbx.handle(envelope, faults, Instant::now());
                if changed {
                    shared.persist(&pbx.records);
                }
                answer
            }
        }
    };
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let xml = answer.to_xml();
    if mishap == Mishap::Drop {
        // Carried out, but the answer breaks off half-way: the client cannot know it worked.
        let full = xml.len();
        let half = Bytes::from(xml.into_bytes()).slice(..full / 2);
        return Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header(header::CONTENT_LENGTH, full)
            .body(axum::body::Body::new(Truncated(Some(half))))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// A body that sends its bytes and then fails, so the server cuts the connection.
struct Truncated(Option<Bytes>);

impl Body for Truncated {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(match self.0.take() {
            Some(bytes) => Ok(Frame::data(bytes)),
            None => Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected connection drop",
            )),
        }))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

async fn rooms(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.pbx().records.clone()).into_response()
}

async fn room(State(shared): State<Arc<Shared>>, Path(dn): Path<String>) -> Response {
    match shared.pbx().records.get(&dn) {
        Some(record) => axum::Json(record.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, format!("no room {dn}")).into_response(),
    }
}

/// Changes a room behind hotelcare's back, as a technician on the PBX or another system would
/// (tests of conflicts and of reconciliation). No PBX rule is applied.
async fn put_room(
    State(shared): State<Arc<Shared>>,
    Path(dn): Path<String>,
    axum::Json(record): axum::Json<Record>,
) -> Response {
    shared.set_record(&dn, record);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.faults()).into_response()
}

async fn put_faults(
    State(shared): State<Arc<Shared>>,
    axum::Json(faults): axum::Json<Faults>,
) -> Response {
    if let Err(problem) = faults.check() {
        return (StatusCode::BAD_REQUEST, problem.to_string()).into_response();
    }
    shared.set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_sessions(State(shared): State<Arc<Shared>>) -> Response {
    shared.pbx().expire_sessions();
    StatusCode::NO_CONTENT.into_response()
}

/// What `POST /_sim/calls` takes: a call a room makes, reported on the SMDR port.
#[derive(Debug, serde::Deserialize)]
struct PlacedCall {
    room: String,
    number: String,
    duration_secs: u32,
}

/// `POST /_sim/calls`: room `room` calls `number` for `duration_secs`; its record goes out on the
/// SMDR port (409 without one).
async fn place_call(
    State(shared): State<Arc<Shared>>,
    axum::Json(call): axum::Json<PlacedCall>,
) -> Response {
    let port = shared
        .smdr
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match port {
        Some(port) => {
            port.place_call(&call.room, &call.number, call.duration_secs);
            StatusCode::NO_CONTENT.into_response()
        }
        None => (
            StatusCode::CONFLICT,
            "no SMDR port: start the simulator with --smdr-listen",
        )
            .into_response(),
    }
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.pbx().stats.clone()).into_response()
}
