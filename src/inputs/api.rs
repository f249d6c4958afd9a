//! The control API: HTTP/1.1 + JSON on loopback, every route but `GET /v1/health` and
//! `GET /v1/instance` behind the bearer token. Each route reads its request, asks the core
//! (`control::local::Local`) and answers the protocol's type (`control::protocol`): nothing
//! here decides anything. `docs/api.md` documents each route with an example.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::control::backend::{Backend, Inline};
use crate::control::hub::Published;
use crate::control::local::Local;
use crate::control::protocol::{BackendError, ErrorBody, Instance, QueuePage};

/// The largest script the API takes (a 1,000-room house is about 40 kB).
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// Whether a request shows a session of the status page (`dashboard`): it then counts as one
/// with the token for the connection limits.
pub(crate) type SignedIn = Arc<dyn Fn(&HeaderMap) -> bool + Send + Sync>;

/// What every handler shares.
pub(crate) struct Api {
    pub(crate) local: Arc<Local>,
    pub(crate) token: String,
    /// This start's random id (`service.json`), answered without the token.
    pub(crate) instance: String,
}

/// The API's routes, and `pages` (the status page, whose sessions `signed_in` recognises)
/// beside them, behind the same connection limits.
pub(crate) fn router(api: &Arc<Api>, pages: Router, signed_in: SignedIn) -> Router {
    let protected = Router::new()
        .route("/v1/scripts", post(post_script))
        .route("/v1/events", get(events))
        .route("/v1/queue", get(queue))
        .route("/v1/queue/retry", post(retry))
        .route("/v1/queue/{seq}", delete(drop_command))
        .route("/v1/rooms", get(room_states))
        .route("/v1/rooms/{ext}", get(show))
        .route("/v1/test-access", post(test_access))
        .route("/v1/reconcile", get(reconcile))
        .route("/v1/reconcile/general-reset", post(general_reset))
        .route("/v1/directory-numbers", get(directory_numbers))
        .route("/v1/fias", get(fias_status))
        .route("/v1/status", get(status))
        .route("/v1/fias/resync", post(fias_resync))
        .route("/v1/charges", get(charges))
        .route("/v1/charges/import", post(import_calls))
        .route("/v1/charges/postings/{number}/repost", post(repost))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(Arc::clone(api), authorize));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/instance", get(instance))
        .merge(protected)
        .with_state(Arc::clone(api))
        .merge(pages)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(refuse_announced_oversize))
        .layer(middleware::from_fn_with_state(
            (Arc::clone(api), signed_in),
            close_anonymous,
        ))
}

/// The answer of a request: its type as JSON, or the error with its status.
fn answer<T: Serialize>(result: Result<T, BackendError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => failure(&error),
    }
}

fn failure(error: &BackendError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(error.body())).into_response()
}

/// A body announced larger than `MAX_BODY` is refused before any of it is read (the body
/// limit alone would wait for the bytes first).
async fn refuse_announced_oversize(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY as u64) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(ErrorBody {
                error: format!(
                    "a script may have at most {} MB; split it",
                    MAX_BODY / (1024 * 1024)
                ),
                ..ErrorBody::default()
            }),
        )
            .into_response();
    }
    next.run(request).await
}

/// `GET /v1/instance`: which start of the service answers (see `ServiceInfo::instance`).
async fn instance(State(api): State<Arc<Api>>) -> Response {
    axum::Json(Instance {
        instance: api.instance.clone(),
    })
    .into_response()
}

/// How many connections may be open at once that have not shown the token: a client without
/// it (a monitor pinging `/v1/health`, a scanner) cannot take the places of those with it.
pub(crate) const ANONYMOUS_SHARE: usize = 16;

/// Counts the connections that have not shown the token (see `ANONYMOUS_SHARE`).
#[derive(Debug, Default)]
pub(crate) struct Gate {
    anonymous: AtomicUsize,
}

/// One connection's place: anonymous until a request shows the token.
#[derive(Debug)]
pub(crate) struct Pass {
    gate: Arc<Gate>,
    /// It counts in the anonymous share (it came while the share had room).
    counted: AtomicBool,
    authenticated: AtomicBool,
}

impl Gate {
    /// A place for a new connection. Past the anonymous share it is admitted all the same, on
    /// probation: its first request must show the token (who has it always gets in).
    pub(crate) fn enter(self: &Arc<Self>) -> Arc<Pass> {
        let counted = self
            .anonymous
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |taken| {
                (taken < ANONYMOUS_SHARE).then_some(taken + 1)
            })
            .is_ok();
        Arc::new(Pass {
            gate: Arc::clone(self),
            counted: AtomicBool::new(counted),
            authenticated: AtomicBool::new(false),
        })
    }
}

impl Pass {
    /// The connection showed the token (or a session): it leaves the anonymous share.
    pub(crate) fn authenticated(&self) {
        if !self.authenticated.swap(true, Ordering::SeqCst)
            && self.counted.swap(false, Ordering::SeqCst)
        {
            self.gate.anonymous.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn is_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::SeqCst)
    }

    fn on_probation(&self) -> bool {
        !self.counted.load(Ordering::SeqCst) && !self.is_authenticated()
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if self.counted.load(Ordering::SeqCst) {
            self.gate.anonymous.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A connection that has not shown the token is closed after each answer, so that it cannot
/// hold a place by keeping itself alive; past the anonymous share, a request without the token
/// is refused at once (`503`).
async fn close_anonymous(
    State((api, signed_in)): State<(Arc<Api>, SignedIn)>,
    request: Request,
    next: Next,
) -> Response {
    let pass = request.extensions().get::<Arc<Pass>>().cloned();
    // `/v1/instance` is how a client with the token finds out it may send it: answered to
    // anyone (the connection is closed after it all the same).
    if let Some(pass) = &pass
        && pass.on_probation()
        && request.uri().path() != "/v1/instance"
        && !has_token(request.headers(), &api.token)
        && !signed_in(request.headers())
    {
        let mut busy = (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections without the token; try again shortly\n",
        )
            .into_response();
        busy.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        busy.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return busy;
    }
    let mut response = next.run(request).await;
    if pass.is_some_and(|pass| !pass.is_authenticated()) {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The request shows the service's token (compared in constant time).
fn has_token(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq(given.as_bytes(), token.as_bytes())
}

/// The same answer for a missing and a wrong token: nothing tells whether a token exists.
pub(crate) async fn authorize(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    if has_token(&headers, &api.token) {
        if let Some(pass) = request.extensions().get::<Arc<Pass>>() {
            pass.authenticated();
        }
        next.run(request).await
    } else {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            axum::Json(ErrorBody {
                error: "this request needs `Authorization: Bearer TOKEN` with the token of the service's state directory (`api-token`)".into(),
                ..ErrorBody::default()
            }),
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        response
    }
}

/// Compares without stopping at the first difference (the time taken tells nothing).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptQuery {
    /// How the script is named in the monitor, the log and its commands' origins.
    source: Option<String>,
    /// Accept content seen before (`run --again`).
    #[serde(default)]
    again: bool,
}

/// `POST /v1/scripts`: checked whole; all its commands journaled in one transaction, or none.
/// With an `Idempotency-Key` header, the key (not the content) makes a request the same as one
/// accepted before: a client that resends after a lost answer is refused, not run twice.
async fn post_script(
    State(api): State<Arc<Api>>,
    Query(query): Query<ScriptQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let source = query.source.unwrap_or_else(|| "api".to_owned());
    let key = match headers.get("idempotency-key").map(|value| value.to_str()) {
        None => None,
        Some(Ok(key)) if (1..=200).contains(&key.len()) => Some(key.to_owned()),
        Some(_) => {
            return failure(&BackendError::BadRequest(
                "`Idempotency-Key` is 1 to 200 visible ASCII characters".into(),
            ));
        }
    };
    answer(
        api.local
            .submit_bytes(source, body.to_vec(), query.again, key)
            .await,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Include what went over the wire.
    #[serde(default)]
    raw: bool,
    /// Include the monitor's JSON lines (`false`: a listener that shows the text).
    #[serde(default = "yes")]
    json: bool,
}

fn yes() -> bool {
    true
}

/// `GET /v1/events`: Server-Sent Events, one `data:` JSON line per event (`Published`); a
/// listener that falls behind gets an `event: lagged` with how many it lost.
async fn events(
    State(api): State<Arc<Api>>,
    Query(query): Query<EventsQuery>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = api.local.hub.subscribe();
    // What this listener shows is made while it is connected.
    let hub = &api.local.hub;
    let watching = (
        query.raw.then(|| hub.envelopes().listen()),
        query.json.then(|| hub.json().listen()),
    );
    let stream = futures_util::stream::unfold(
        (receiver, watching),
        move |(mut receiver, watching)| async move {
            let event = match receiver.recv().await {
                Ok(published) => SseEvent::default().data(
                    serde_json::to_string(&published.shown(query.raw, query.json))
                        .unwrap_or_default(),
                ),
                Err(RecvError::Lagged(lost)) => {
                    SseEvent::default().event("lagged").data(lost.to_string())
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (receiver, watching)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// `?pbx=NAME`: only what concerns that PBX.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PbxQuery {
    pbx: Option<String>,
}

/// What `GET /v1/queue` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    pbx: Option<String>,
    // Not a flattened `QueuePage`: a flattened query reads every value as text.
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

/// `GET /v1/queue[?pbx=NAME][&after=SEQ][&limit=N]`: a page of the queue (1,000 commands
/// unless asked, at most 10,000), with the counts of the whole.
async fn queue(State(api): State<Arc<Api>>, Query(query): Query<QueueQuery>) -> Response {
    let page = QueuePage {
        after: query.after,
        limit: query.limit.unwrap_or(QueuePage::DEFAULT_LIMIT),
    };
    answer(api.local.queue(query.pbx.as_deref(), page).await)
}

/// `POST /v1/queue/retry`: failed commands become pending again (unless overtaken), and the
/// service runs everything pending from the start, in order.
async fn retry(State(api): State<Arc<Api>>) -> Response {
    answer(api.local.retry().await)
}

/// `DELETE /v1/queue/{seq}`.
async fn drop_command(State(api): State<Arc<Api>>, Path(seq): Path<String>) -> Response {
    let Ok(seq) = seq.trim_start_matches('#').parse::<u64>() else {
        return failure(&BackendError::BadRequest(
            "a command is named by its number, as `queue list` shows it".into(),
        ));
    };
    answer(api.local.drop_command(seq).await)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomsQuery {
    /// Only these rooms, comma-separated.
    rooms: Option<String>,
    /// Only the rooms of this PBX.
    pbx: Option<String>,
}

/// `rooms=1000,2000` as a list.
fn wanted_rooms(rooms: Option<&str>) -> Vec<String> {
    rooms
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|room| !room.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET /v1/rooms[?rooms=1000,2000]`: the expected room state.
async fn room_states(State(api): State<Arc<Api>>, Query(query): Query<RoomsQuery>) -> Response {
    let wanted = wanted_rooms(query.rooms.as_deref());
    answer(api.local.rooms(&wanted, query.pbx.as_deref()).await)
}

/// `GET /v1/rooms/{ext}`: the room as the PBX has it (`SHOW`), run now, outside the journal.
async fn show(
    State(api): State<Arc<Api>>,
    Path(ext): Path<String>,
    Query(query): Query<PbxQuery>,
) -> Response {
    answer(
        api.local
            .inline(&Inline::Show(ext), query.pbx.as_deref())
            .await,
    )
}

/// `POST /v1/test-access`.
async fn test_access(State(api): State<Arc<Api>>, Query(query): Query<PbxQuery>) -> Response {
    answer(api.local.inline(&Inline::Test, query.pbx.as_deref()).await)
}

/// `GET /v1/reconcile[?rooms=1000,2000][&pbx=NAME]`: each room read from its PBX and compared
/// with the expected state, through the service's own links, beside its commands.
async fn reconcile(State(api): State<Arc<Api>>, Query(query): Query<RoomsQuery>) -> Response {
    let wanted = wanted_rooms(query.rooms.as_deref());
    answer(api.local.reconcile(&wanted, query.pbx.as_deref()).await)
}

/// `POST /v1/reconcile/general-reset?pbx=NAME`: that PBX gets every room of the expected state
/// (a wire that cannot read: Mitel PMS), over the service's own link.
async fn general_reset(State(api): State<Arc<Api>>, Query(query): Query<PbxQuery>) -> Response {
    let Some(name) = query.pbx else {
        return failure(&BackendError::BadRequest(
            "name the PBX: `?pbx=NAME` (a general reset goes to one PBX)".into(),
        ));
    };
    answer(api.local.general_reset(&name).await)
}

/// `GET /v1/directory-numbers`: the PBXs' directory numbers (completion in the REPL).
async fn directory_numbers(State(api): State<Arc<Api>>) -> Response {
    answer(api.local.directory_numbers().await)
}

/// `GET /v1/health`, without a token: `ok`, or what is not. A link that is down is `degraded`,
/// still 200, so that a monitor tells a stopped service from a degraded one; a journal that
/// cannot be written is `failing`, 503: nothing new is accepted.
async fn health(State(api): State<Arc<Api>>) -> Response {
    let (serving, text) = api.local.health();
    let status = if serving {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, text).into_response()
}

/// `GET /v1/fias`: the link's status (`fias::status::LinkStatus`).
async fn fias_status(State(api): State<Arc<Api>>) -> Response {
    answer(api.local.fias_status().await)
}

/// What `GET /v1/charges` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargesQuery {
    /// Only this room's stay.
    room: Option<String>,
}

/// `GET /v1/charges[?room=EXT]`: the open stays' calls and totals.
async fn charges(State(api): State<Arc<Api>>, Query(query): Query<ChargesQuery>) -> Response {
    answer(api.local.charges(query.room.as_deref()).await)
}

/// `POST /v1/charges/import[?pbx=NAME]`: SMDR records in the body, one a line (ASCII, as the
/// PBX writes them).
async fn import_calls(
    State(api): State<Arc<Api>>,
    Query(query): Query<PbxQuery>,
    body: Bytes,
) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return failure(&BackendError::BadRequest(
            "SMDR records are ASCII text; the body is not".into(),
        ));
    };
    answer(api.local.import_calls(text, query.pbx.as_deref()).await)
}

/// `POST /v1/charges/postings/{P#}/repost`: an unknown or refused posting sent again, on
/// purpose.
async fn repost(State(api): State<Arc<Api>>, Path(number): Path<u64>) -> Response {
    answer(api.local.repost(number).await)
}

/// `GET /v1/status`: everything on one screen.
async fn status(State(api): State<Arc<Api>>) -> Response {
    answer(api.local.status().await)
}

/// What `POST /v1/fias/resync` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResyncQuery {
    /// Compare only; journal nothing.
    #[serde(default)]
    dry_run: bool,
    /// Journal the check-outs the last resync held.
    #[serde(default)]
    confirm: bool,
}

/// `POST /v1/fias/resync[?dry_run=true|confirm=true]`: the FIAS link asks the PMS for the
/// whole house (`DR`), compares, journals what differs (or, dry, only reports it) and answers
/// with the resync's report; `confirm` journals the check-outs a resync held. `503` while the
/// link is down.
async fn fias_resync(
    State(api): State<Arc<Api>>,
    query: Result<Query<ResyncQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return failure(&BackendError::BadRequest(
            "`POST /v1/fias/resync` takes `dry_run=true` or `confirm=true`".into(),
        ));
    };
    answer(api.local.fias_resync(query.dry_run, query.confirm).await)
}

/// `GET /metrics`.
async fn metrics(State(api): State<Arc<Api>>) -> Response {
    let local = &api.local;
    if let Ok(counted) = local.engine.journal().page(0, 0, |_| true) {
        local
            .hub
            .metrics
            .pending
            .set(i64::try_from(counted.all).unwrap_or(i64::MAX));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        local.hub.metrics.render(),
    )
        .into_response()
}

/// An event as a listener asked for it: without envelopes unless `raw`, without JSON lines
/// unless `json` (another listener may have asked for them).
impl Published {
    pub(crate) fn shown(&self, raw: bool, json: bool) -> std::borrow::Cow<'_, Published> {
        let strip_envelopes = !raw && !self.envelopes.is_empty();
        let strip_json = !json && !self.json.is_empty();
        if !strip_envelopes && !strip_json {
            return std::borrow::Cow::Borrowed(self);
        }
        // Built without what is stripped: a clone of it would be thrown away.
        let mut shown = Published {
            id: self.id,
            kind: self.kind,
            seq: self.seq,
            source: self.source.clone(),
            room: self.room.clone(),
            pbx: self.pbx.clone(),
            command: self.command.clone(),
            outcome: self.outcome,
            reason: self.reason.clone(),
            lines: self.lines.clone(),
            envelopes: if strip_envelopes {
                Vec::new()
            } else {
                self.envelopes.clone()
            },
            json: if strip_json {
                Vec::new()
            } else {
                self.json.clone()
            },
        };
        if strip_envelopes {
            for line in &mut shown.json {
                if let Some(map) = line.as_object_mut() {
                    map.remove("request");
                    map.remove("response");
                }
            }
        }
        std::borrow::Cow::Owned(shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"abc"));
    }
}
