//! The control API: HTTP/1.1 + JSON on loopback, every route but `GET /v1/health` behind the
//! bearer token. `docs/api.md` documents each route with an example.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
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
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::config::{Config, ScriptEncoding};
use crate::engine::{Engine, Intake, Journal, Status};
use crate::intake::acceptance::{self, Refusal};
use crate::monitor::{format, json};
use crate::service::hub::{Hub, Published};

/// The largest script the API takes (a 1,000-room house is about 40 kB).
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// What every handler shares.
pub(crate) struct Api {
    pub(crate) config: Config,
    pub(crate) engine: Engine,
    pub(crate) hub: Arc<Hub>,
    pub(crate) intake: Arc<Intake>,
    pub(crate) token: String,
    /// This start's random id (`service.json`), answered without the token.
    pub(crate) instance: String,
    /// The FIAS link (`None`: no `[fias]`).
    pub(crate) fias: Option<FiasLink>,
}

/// The FIAS link as the API sees it: its status, and where `fias resync` asks it.
#[derive(Clone)]
pub(crate) struct FiasLink {
    pub(crate) status: crate::inputs::fias::status::SharedStatus,
    pub(crate) control: tokio::sync::mpsc::Sender<crate::inputs::fias::link::Control>,
}

/// How long `POST /v1/fias/resync` waits for the PMS's house (less than the idle limit of a
/// connection, 60 s).
const RESYNC_WAIT: Duration = Duration::from_secs(45);

pub(crate) fn router(api: Arc<Api>) -> Router {
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
        .route("/v1/fias", get(fias_status))
        .route("/v1/fias/resync", post(fias_resync))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&api), authorize));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/instance", get(instance))
        .merge(protected)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(refuse_announced_oversize))
        .with_state(api)
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
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a script may have at most {} MB; split it",
                MAX_BODY / (1024 * 1024)
            ),
        );
    }
    next.run(request).await
}

/// `GET /v1/instance`: which start of the service answers (see `ServiceInfo::instance`).
async fn instance(State(api): State<Arc<Api>>) -> Response {
    axum::Json(json!({ "instance": api.instance })).into_response()
}

/// A JSON error answer: `{"error": "..."}` and more fields where useful.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// The same answer for a missing and a wrong token: nothing tells whether a token exists.
async fn authorize(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), api.token.as_bytes()) {
        next.run(request).await
    } else {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "this request needs `Authorization: Bearer TOKEN` with the token of the service's state directory (`api-token`)",
        );
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
async fn post_script(
    State(api): State<Arc<Api>>,
    Query(query): Query<ScriptQuery>,
    body: Bytes,
) -> Response {
    let name = query.source.unwrap_or_else(|| "api".to_owned());
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return error(
            StatusCode::BAD_REQUEST,
            "`source` names the script in the monitor: 1 to 200 characters, no control characters",
        );
    }
    if let Err(utf8) = std::str::from_utf8(&body) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "the body is not UTF-8 (byte {} is not): send the script as UTF-8 text",
                utf8.valid_up_to()
            ),
        );
    }
    // Accepted in a task of its own: a client that goes away mid-request cannot cut the
    // acceptance in two (the journal's transaction is whole either way; this keeps the
    // intake told and the counters right).
    let task_api = Arc::clone(&api);
    let accepted = tokio::spawn(async move {
        let api = task_api;
        let result = acceptance::accept(
            &api.config,
            api.engine.journal(),
            &name,
            &body,
            // The API takes UTF-8 (checked above), whatever the spool's files are in.
            ScriptEncoding::default(),
            query.again,
            |_| None,
        )
        .await;
        if let Ok((seqs, _)) = &result {
            api.hub.metrics.accepted.inc_by(seqs.len() as u64);
            tracing::info!(
                "accepted {} command(s) from `{name}` over the API",
                seqs.len()
            );
            api.intake.more();
        }
        result
    })
    .await;
    match accepted {
        Ok(Ok((seqs, checked))) => (
            StatusCode::OK,
            axum::Json(json!({
                "seqs": seqs,
                "diagnostics": checked.diagnostics,
                "rendered": checked.rendered,
            })),
        )
            .into_response(),
        Ok(Err(Refusal::Invalid(checked))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({
                "error": format!("{} error(s); nothing was accepted", checked.errors()),
                "diagnostics": checked.diagnostics,
                "rendered": checked.rendered,
            })),
        )
            .into_response(),
        Ok(Err(Refusal::Unreadable(why))) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the script cannot be read: {why}; nothing was accepted"),
        ),
        Ok(Err(Refusal::Duplicate(earlier))) => (
            StatusCode::CONFLICT,
            axum::Json(json!({
                "error": format!(
                    "{earlier}; nothing was accepted. If it really is to run again, add `again=true`"
                ),
                "earlier": earlier,
            })),
        )
            .into_response(),
        Ok(Err(Refusal::Journal(why))) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the journal cannot take it: {why}; nothing was accepted"),
        ),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the acceptance task ended abnormally; nothing was accepted",
        ),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Include what went over the wire.
    #[serde(default)]
    raw: bool,
}

/// `GET /v1/events`: Server-Sent Events, one `data:` JSON line per event (`Published`); a
/// listener that falls behind gets an `event: lagged` with how many it lost.
async fn events(
    State(api): State<Arc<Api>>,
    Query(query): Query<EventsQuery>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = api.hub.subscribe();
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(published) => SseEvent::default()
                .data(serde_json::to_string(&shown(&published, query.raw)).unwrap_or_default()),
            Err(RecvError::Lagged(lost)) => {
                SseEvent::default().event("lagged").data(lost.to_string())
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// An event as a listener asked for it: without envelopes unless `raw`.
fn shown(published: &Published, raw: bool) -> std::borrow::Cow<'_, Published> {
    if raw || published.envelopes.is_empty() {
        return std::borrow::Cow::Borrowed(published);
    }
    let mut shown = published.clone();
    shown.envelopes.clear();
    for line in &mut shown.json {
        if let Some(map) = line.as_object_mut() {
            map.remove("request");
            map.remove("response");
        }
    }
    std::borrow::Cow::Owned(shown)
}

/// `GET /v1/queue`.
/// `?pbx=NAME`: only what concerns that PBX.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PbxQuery {
    pbx: Option<String>,
}

/// The service's configuration as PBX `pbx` sees it (its index too), or all of it.
fn scope(config: &Config, pbx: Option<&str>) -> Result<(Config, Option<usize>), Box<Response>> {
    match pbx {
        None => Ok((config.clone(), None)),
        Some(name) => config
            .pbx_named(name)
            .map(|index| (config.view(index), Some(index)))
            .map_err(|why| Box::new(error(StatusCode::NOT_FOUND, why))),
    }
}

async fn queue(State(api): State<Arc<Api>>, Query(query): Query<PbxQuery>) -> Response {
    let (config, _) = match scope(&api.config, query.pbx.as_deref()) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    match api.engine.journal().entries() {
        Ok(mut entries) => {
            let all = entries.len();
            entries.retain(|entry| config.concerns(&entry.command.action.rooms()));
            if entries.is_empty() && all > 0 {
                return axum::Json(json!({
                    "queue": json::Queue::new(&entries, &api.config),
                    "text": format!("{}\n", format::none_for_pbx(config.pbx_name(), all)),
                }))
                .into_response();
            }
            // Named as the whole property names them.
            axum::Json(json!({
                "queue": json::Queue::new(&entries, &api.config),
                "text": format::queue(&entries, true, &api.config),
            }))
            .into_response()
        }
        Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    }
}

/// `POST /v1/queue/retry`: failed commands become pending again (unless overtaken), and the
/// service runs everything pending from the start, in order.
async fn retry(State(api): State<Arc<Api>>) -> Response {
    let journal = api.engine.journal();
    let (requeued, overtaken) = match journal.requeue_failed().await {
        Ok(found) => found,
        Err(why) => return error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    };
    let for_retry: Vec<String> = requeued.iter().map(|e| e.origin.clone()).collect();
    tracing::info!(
        "queue retry over the API: {} failed command(s) pending again",
        requeued.len()
    );
    let refused = recheck(&api).await;
    let pending: Vec<u64> = match pending_seqs(journal) {
        Ok(seqs) => seqs,
        Err(why) => return error(StatusCode::SERVICE_UNAVAILABLE, why),
    };
    api.intake.rescan();
    let overtaken: Vec<_> = overtaken
        .iter()
        .map(|(entry, later)| {
            json!({
                "seq": entry.seq,
                "command": entry.command.text,
                "origin": entry.origin,
                "overtaken_by": later,
            })
        })
        .collect();
    axum::Json(json!({
        "requeued": for_retry.len(),
        "pending": pending,
        "overtaken": overtaken,
        "refused": refused,
    }))
    .into_response()
}

/// Pending commands checked again against the configuration (see `Engine::recheck_pending`):
/// the reasons of those that are failed now.
async fn recheck(api: &Api) -> Vec<String> {
    let config = &api.config;
    match api
        .engine
        .recheck_pending(|command| crate::lang::validate::recheck(config, command))
        .await
    {
        Ok(refused) => refused
            .into_iter()
            .map(|(entry, reason)| format!("#{} ({}): {reason}", entry.seq, entry.origin))
            .collect(),
        Err(why) => vec![why.to_string()],
    }
}

fn pending_seqs(journal: &Journal) -> Result<Vec<u64>, String> {
    Ok(journal
        .entries()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|e| e.status == Status::Pending)
        .map(|e| e.seq)
        .collect())
}

/// `DELETE /v1/queue/{seq}`.
async fn drop_command(State(api): State<Arc<Api>>, Path(seq): Path<String>) -> Response {
    let Ok(seq) = seq.trim_start_matches('#').parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "a command is named by its number, as `queue list` shows it",
        );
    };
    let journal = api.engine.journal();
    if api.engine.in_flight(seq) {
        return error(
            StatusCode::CONFLICT,
            format!(
                "command #{seq} is running now; drop it once it has finished or failed (`hotelcare queue list`)"
            ),
        );
    }
    match journal.get(seq) {
        Ok(Some(entry)) => match journal.remove(seq).await {
            Ok(()) => {
                tracing::info!(
                    "dropped #{seq} ({}) from the journal over the API",
                    entry.origin
                );
                axum::Json(json!({
                    "dropped": seq,
                    "text": format!(
                        "dropped #{seq}: room {} {} ({})",
                        entry.command.action.room(),
                        entry.command.text,
                        entry.origin
                    ),
                }))
                .into_response()
            }
            Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
        },
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("there is no command #{seq} in the journal; see `hotelcare queue list`"),
        ),
        Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomsQuery {
    /// Only these rooms, comma-separated.
    rooms: Option<String>,
    /// Only the rooms of this PBX.
    pbx: Option<String>,
}

/// `GET /v1/rooms[?rooms=1000,2000]`: the expected room state.
async fn room_states(State(api): State<Arc<Api>>, Query(query): Query<RoomsQuery>) -> Response {
    let wanted = wanted_rooms(query.rooms.as_deref());
    let (config, _) = match scope(&api.config, query.pbx.as_deref()) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    match api.engine.journal().rooms() {
        Ok(mut rooms) => {
            if !wanted.is_empty() {
                rooms.retain(|(room, _)| wanted.contains(room));
            }
            rooms.retain(|(room, _)| config.pbx_of(room).is_some());
            axum::Json(json!({
                "rooms": json::Rooms::new(&rooms, &api.config),
                "text": format::rooms(&rooms, &wanted, &api.config),
            }))
            .into_response()
        }
        Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    }
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

/// `GET /v1/rooms/{ext}`: the room as the PBX has it (`SHOW`).
async fn show(
    State(api): State<Arc<Api>>,
    Path(ext): Path<String>,
    Query(query): Query<PbxQuery>,
) -> Response {
    if ext.is_empty() || ext.len() > 7 || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("`{ext}` is not an extension: up to 7 digits"),
        );
    }
    inline(&api, &format!("SHOW {ext}"), query.pbx.as_deref()).await
}

/// `POST /v1/test-access`.
async fn test_access(State(api): State<Arc<Api>>, Query(query): Query<PbxQuery>) -> Response {
    inline(&api, "TEST", query.pbx.as_deref()).await
}

/// Runs one command now, outside the journal, once (`show`, `test-access`): its events, as the
/// monitor shows them, and how it ended.
async fn inline(api: &Api, text: &str, pbx: Option<&str>) -> Response {
    let (mut config, index) = match scope(&api.config, pbx) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    let pbxs = match index.and_then(|index| api.engine.pbxs().only(index)) {
        Some(only) => Arc::new(only),
        None => Arc::clone(api.engine.pbxs()),
    };
    let commands =
        match acceptance::check(&config, "api", text.as_bytes(), ScriptEncoding::default()) {
            Ok(checked) => checked.commands,
            Err(Refusal::Invalid(checked)) => {
                return error(StatusCode::UNPROCESSABLE_ENTITY, checked.rendered);
            }
            Err(_) => return error(StatusCode::BAD_REQUEST, "cannot be checked"),
        };
    let journal = match Journal::in_memory() {
        Ok(journal) => journal,
        Err(why) => return error(StatusCode::INTERNAL_SERVER_ERROR, why.to_string()),
    };
    config.run.retry.attempts = 1;
    let seen: Arc<Mutex<Vec<Published>>> = Arc::default();
    let hub = Arc::clone(&api.hub);
    let collected = Arc::clone(&seen);
    let engine = Engine::new(
        pbxs,
        journal,
        crate::engine::Options::of(&config, false),
        Arc::new(move |event| {
            let published = hub.on_event(event, false);
            collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(published);
        }),
    )
    .reading_rooms_from(api.engine.journal().clone());
    if let Err(why) = engine.enqueue(commands).await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, why.to_string());
    }
    if let Err(why) = engine.drain().await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, why.to_string());
    }
    let events = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    axum::Json(json!({ "events": events })).into_response()
}

/// `GET /v1/reconcile[?rooms=1000,2000][&pbx=NAME]`: each room read from its PBX and compared
/// with the expected state: the report, the fix script (`null`: nothing to fix), and whether a
/// PBX could not be read. The reads go through the service's own links, beside its commands.
async fn reconcile(State(api): State<Arc<Api>>, Query(query): Query<RoomsQuery>) -> Response {
    let (config, index) = match scope(&api.config, query.pbx.as_deref()) {
        Ok(scope) => scope,
        Err(response) => return *response,
    };
    let pbxs = match index.and_then(|index| api.engine.pbxs().only(index)) {
        Some(only) => Arc::new(only),
        None => Arc::clone(api.engine.pbxs()),
    };
    let wanted = wanted_rooms(query.rooms.as_deref());
    let rooms = match api.engine.journal().rooms() {
        Ok(rooms) => rooms,
        Err(why) => return error(StatusCode::SERVICE_UNAVAILABLE, why.to_string()),
    };
    let findings = crate::intake::reconcile::reconcile(&config, &pbxs, &rooms, &wanted).await;
    axum::Json(json!({
        "text": findings.report(),
        "script": findings.script(),
        "differences": findings.differences.len(),
        "unreachable": findings.unreachable,
        "resettable": findings.resettable,
    }))
    .into_response()
}

/// `POST /v1/reconcile/general-reset?pbx=NAME`: that PBX gets every room of the expected state
/// (a wire that cannot read: Mitel PMS), over the service's own link.
async fn general_reset(State(api): State<Arc<Api>>, Query(query): Query<PbxQuery>) -> Response {
    let Some(name) = query.pbx else {
        return error(
            StatusCode::BAD_REQUEST,
            "name the PBX: `?pbx=NAME` (a general reset goes to one PBX)",
        );
    };
    match crate::intake::reconcile::general_reset(
        &api.config,
        api.engine.pbxs(),
        &name,
        api.engine.journal(),
    )
    .await
    {
        Ok(text) => axum::Json(json!({ "text": text })).into_response(),
        Err(why) => error(StatusCode::CONFLICT, format!("PBX `{name}`: {why}")),
    }
}

/// `GET /v1/health`, without a token: `ok`, or what is not (a link that is down); always 200
/// while the service runs, so that a monitor tells a stopped service from a degraded one.
async fn health(State(api): State<Arc<Api>>) -> Response {
    use crate::inputs::fias::status::LinkState;
    match &api.fias {
        Some(fias) if fias.status.get().state == LinkState::Down => {
            "degraded: the FIAS link to the PMS is down (`hotelcare fias status`)".into_response()
        }
        _ => "ok".into_response(),
    }
}

/// No `[fias]`: 404 with what to do.
fn no_fias() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "this service has no FIAS link: add `[fias]` to the configuration and restart it",
    )
}

/// `GET /v1/fias`: the link's status (`fias::status::LinkStatus`).
async fn fias_status(State(api): State<Arc<Api>>) -> Response {
    match &api.fias {
        Some(fias) => axum::Json(fias.status.get()).into_response(),
        None => no_fias(),
    }
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
    use crate::inputs::fias::link::Control;
    use crate::inputs::fias::status::LinkState;
    let Ok(Query(query)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "`POST /v1/fias/resync` takes `dry_run=true` or `confirm=true`",
        );
    };
    let Some(fias) = &api.fias else {
        return no_fias();
    };
    if query.confirm {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if fias.control.send(Control::Confirm { reply }).await.is_err() {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the FIAS link has stopped");
        }
        return match answer.await {
            Ok(Ok(report)) => axum::Json(report).into_response(),
            Ok(Err(why)) => error(StatusCode::CONFLICT, why),
            Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the FIAS link has stopped"),
        };
    }
    let status = fias.status.get();
    if status.state != LinkState::Up {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the FIAS link to the PMS at {} is {}{}; a resync is asked by itself when the link comes up",
                status.server,
                if status.state == LinkState::Down {
                    "down"
                } else {
                    "not up yet"
                },
                status
                    .last_error
                    .map(|why| format!(" ({why})"))
                    .unwrap_or_default()
            ),
        );
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    let asked = Control::Resync {
        dry_run: query.dry_run,
        reply,
    };
    if fias.control.send(asked).await.is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the FIAS link has stopped");
    }
    match tokio::time::timeout(RESYNC_WAIT, answer).await {
        Ok(Ok(report))
            if report.error.is_some() && report.journaled == 0 && report.differences.is_empty() =>
        {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                report.error.unwrap_or_default(),
            )
        }
        Ok(Ok(report)) => axum::Json(report).into_response(),
        Ok(Err(_)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the FIAS link dropped before the PMS sent the house; a resync is asked again when it comes up",
        ),
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the PMS has not sent the house within {} s; some PMSs ignore a resync they find unneeded. The resync still applies if the house comes: `hotelcare fias status` shows it",
                RESYNC_WAIT.as_secs()
            ),
        ),
    }
}

/// `GET /metrics`.
async fn metrics(State(api): State<Arc<Api>>) -> Response {
    if let Ok(entries) = api.engine.journal().entries() {
        api.hub
            .metrics
            .pending
            .set(i64::try_from(entries.len()).unwrap_or(i64::MAX));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        api.hub.metrics.render(),
    )
        .into_response()
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
