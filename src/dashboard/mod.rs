//! The status page of `hotelcare serve`, at `/` of the API's address: the rooms per PBX, the
//! links, the queue with its actions, and the live monitor. It reads the core through the same
//! answers as the API (`view`), renders them with templates compiled into the binary
//! (`pages`), and is updated by a small script of ours (`assets/dashboard.js`) from the
//! service's event stream. Who may see it is `access`'s business: a one-time link from
//! `hotelcare dashboard`, a signed session cookie, a CSRF value on each form, and only the
//! service's own `Host`.

mod access;
mod pages;
mod view;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures_util::stream::Stream;
use maud::{Markup, html};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::control::backend::Backend;
use crate::control::hub::Published;
use crate::control::protocol::{BackendError, DashboardTicket, QueuePage};
use crate::inputs::api::{self, Api, Pass, SignedIn};

pub(crate) use access::TICKET_LIFETIME;
use access::{Access, Session};
use view::{Overview, RoomPage};

/// What the page's handlers share.
struct Dashboard {
    api: Arc<Api>,
    access: Access,
    /// This start of the service, in the event stream's ids (`START:ID`).
    start: String,
}

/// The page's routes, and `POST /v1/dashboard/ticket` (behind the API's token) that
/// `hotelcare dashboard` asks for its link; and how the API's connection limits recognise a
/// session. `address`: where the service listens.
pub(crate) fn router(api: &Arc<Api>, address: SocketAddr) -> (Router, SignedIn) {
    let state = Arc::new(Dashboard {
        access: Access::new(&api.token, address),
        start: api.instance.chars().take(12).collect(),
        api: Arc::clone(api),
    });
    let ticket = Router::new()
        .route("/v1/dashboard/ticket", post(ticket))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(api),
            api::authorize,
        ))
        .with_state(Arc::clone(&state));
    let pages = Router::new()
        .route("/", get(overview))
        .route("/part/{name}", get(part))
        .route("/rooms/{room}", get(room))
        .route("/events", get(events))
        .route("/queue/retry", get(confirm_retry).post(retry))
        .route("/queue/{seq}/drop", get(confirm_drop).post(drop_command))
        .route("/links/test", post(test_links))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            require_session,
        ))
        .route("/login", get(login))
        .route("/dashboard.css", get(style))
        .route("/dashboard.js", get(script))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(Arc::clone(&state));
    let signed_in: SignedIn = Arc::new(move |headers| state.access.session(headers).is_some());
    (ticket.merge(pages), signed_in)
}

/// `POST /v1/dashboard/ticket`: a link that opens the page once, within a minute.
async fn ticket(State(dashboard): State<Arc<Dashboard>>) -> Response {
    match dashboard.access.issue() {
        Ok(ticket) => axum::Json(DashboardTicket {
            url: format!("http://{}/login?ticket={ticket}", dashboard.access.home()),
            valid_secs: TICKET_LIFETIME.as_secs(),
        })
        .into_response(),
        Err(why) => {
            let error = BackendError::Unavailable(why.to_string());
            (status_of(&error), axum::Json(error.body())).into_response()
        }
    }
}

/// Every page: only at the service's own address (DNS rebinding), never cached (guests'
/// names), never framed, no script or style from elsewhere.
async fn guard(State(dashboard): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    let mut response = if dashboard.access.host_allowed(request.headers()) {
        next.run(request).await
    } else {
        page(
            StatusCode::MISDIRECTED_REQUEST,
            &pages::refused(
                "Wrong address",
                &format!(
                    "The status page answers only at http://{}/ — open the link `hotelcare dashboard` prints.",
                    dashboard.access.home()
                ),
            ),
        )
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Pages with the property's data need a session; its connection then counts as one with
/// the token (kept alive, outside the anonymous share).
async fn require_session(
    State(dashboard): State<Arc<Dashboard>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(session) = dashboard.access.session(request.headers()) else {
        return page(
            StatusCode::UNAUTHORIZED,
            &pages::refused(
                "Sign in first",
                "This page needs a session: run `hotelcare dashboard` on the service's machine and open the link it prints (it works once, within a minute).",
            ),
        );
    };
    if let Some(pass) = request.extensions().get::<Arc<Pass>>() {
        pass.authenticated();
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    ticket: Option<String>,
}

/// `GET /login?ticket=...`: the ticket becomes a session cookie, once. Answered with a page
/// that goes on to `/` by itself, not a redirect: a link followed from another site's page
/// would otherwise reach `/` without the `SameSite=Strict` cookie, its ticket used up. A `HEAD`
/// (a link preview) does not use the ticket.
async fn login(
    State(dashboard): State<Arc<Dashboard>>,
    method: Method,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if method == Method::HEAD {
        return StatusCode::OK.into_response();
    }
    let ticket = query.ok().and_then(|Query(query)| query.ticket);
    match ticket.and_then(|ticket| dashboard.access.redeem(&ticket)) {
        Some(session) => {
            let mut response = pages::signed_in().into_response();
            if let Ok(cookie) = HeaderValue::from_str(&dashboard.access.cookie(&session)) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        None => page(
            StatusCode::FORBIDDEN,
            &pages::refused(
                "This link does not open the page",
                &format!(
                    "A link of `hotelcare dashboard` opens the page once, within {} s; this one has been used, has expired, or is not one. Run `hotelcare dashboard` again.",
                    TICKET_LIFETIME.as_secs()
                ),
            ),
        ),
    }
}

/// `GET /`.
async fn overview(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
) -> Response {
    match Overview::gather(&dashboard.api.local).await {
        Ok(view) => pages::overview(&view, &dashboard.start, &dashboard.access.csrf(&session))
            .into_response(),
        Err(error) => unavailable(&error),
    }
}

/// `GET /part/{links|rooms|queue}`: one part of `/`, as the page's script refreshes it.
async fn part(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    let local = &dashboard.api.local;
    let markup = match name.as_str() {
        "links" => view::links(local)
            .await
            .map(|links| pages::links(&links, &dashboard.access.csrf(&session))),
        "rooms" => view::rooms(local).await.map(|rooms| pages::rooms(&rooms)),
        "queue" => view::queue(local).await.map(|queue| pages::queue(&queue)),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match markup {
        Ok(markup) => markup.into_response(),
        Err(error) => unavailable(&error),
    }
}

/// `POST /links/test`: every PBX asked now (`hotelcare test-access`), so that a link shown down
/// since a command failed is shown as it is, even with nothing left to send.
async fn test_links(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Response {
    if let Some(refusal) = forged(&dashboard, &session, &headers, form.as_deref().ok()) {
        return refusal;
    }
    match dashboard
        .api
        .local
        .inline(&crate::control::backend::Inline::Test, None)
        .await
    {
        Ok(ran) => {
            let text: Vec<&str> = ran
                .events
                .iter()
                .flat_map(|event| event.lines.iter().map(String::as_str))
                .collect();
            let good = ran.events.iter().all(|event| {
                !matches!(
                    event.outcome,
                    Some(
                        crate::control::hub::Ending::Failed | crate::control::hub::Ending::NotDone
                    )
                )
            });
            pages::outcome("PBX links tested", &text.join("\n"), good).into_response()
        }
        Err(error) => not_done("The PBX links were not tested", &error),
    }
}

/// `GET /rooms/{room}`.
async fn room(State(dashboard): State<Arc<Dashboard>>, Path(room): Path<String>) -> Response {
    if room.is_empty() || room.len() > 7 || !room.bytes().all(|b| b.is_ascii_digit()) {
        return page(
            StatusCode::NOT_FOUND,
            &pages::refused("No such room", "A room is an extension: up to 7 digits."),
        );
    }
    match RoomPage::gather(&dashboard.api.local, &room).await {
        Ok(view) => pages::room(&view).into_response(),
        Err(error) => unavailable(&error),
    }
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    /// The last event the page has (it was rendered with the page): `START:ID`.
    after: Option<String>,
}

/// `GET /events`: the monitor's events as Server-Sent Events, each with its id (`START:ID`, the
/// service's start and the event's number), starting after the page's last (or the browser's
/// `Last-Event-ID` when it reconnects): what happened between the page's render and the
/// stream's start is neither lost nor sent twice. An id of another start of the service (the
/// browser reconnects after a restart) starts from what this one kept; events gone from what
/// the service keeps are told as `lagged`, with how many.
async fn events(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let start = dashboard.start.clone();
    let after = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .or(query.after.as_deref())
        .map_or(0, |id| position(id, &start));
    let (kept, gone, receiver) = dashboard.api.local.hub.subscribe_after(after);
    let lagged = (gone > 0).then(|| Ok(SseEvent::default().event("lagged").data(gone.to_string())));
    let replayed: Vec<_> = lagged
        .into_iter()
        .chain(kept.iter().map(|event| Ok(sse(&start, event))))
        .collect();
    let replay = futures_util::stream::iter(replayed);
    let live = futures_util::stream::unfold(
        (receiver, start.clone()),
        |(mut receiver, start)| async move {
            let event = match receiver.recv().await {
                Ok(published) => sse(&start, &published),
                Err(RecvError::Lagged(lost)) => {
                    SseEvent::default().event("lagged").data(lost.to_string())
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (receiver, start)))
        },
    );
    // The stream ends with its session: the browser's reconnection is then refused, and the
    // page asks for a new link.
    let ends = tokio::time::sleep(Access::remaining(&session));
    Sse::new(futures_util::StreamExt::take_until(
        futures_util::StreamExt::chain(replay, live),
        ends,
    ))
    .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The event number in `START:ID` if it is of this start of the service, else 0 (from the
/// start of what is kept).
fn position(id: &str, start: &str) -> u64 {
    match id.split_once(':') {
        Some((of, number)) if of == start => number.parse().unwrap_or(0),
        _ => 0,
    }
}

/// An event as the page's script reads it: without what went over the wire, and without the
/// JSON lines (the page shows the text).
fn sse(start: &str, published: &Published) -> SseEvent {
    SseEvent::default()
        .id(format!("{start}:{}", published.id))
        .data(serde_json::to_string(&published.shown(false, false)).unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct Confirmed {
    csrf: String,
}

/// `GET /queue/retry`: the question.
async fn confirm_retry(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
) -> Response {
    let queue = match dashboard.api.local.queue(None, QueuePage::default()).await {
        Ok(answer) => answer.queue,
        Err(error) => return unavailable(&error),
    };
    pages::confirm(
        "Retry the queue?",
        &html! {
            p { "The " (queue.failed) " failed command(s) become pending again (unless a later command on their room has been done), and every pending command (" (queue.pending) " now) is sent to the PBX at once, oldest first." }
        },
        "/queue/retry",
        "Retry now",
        &dashboard.access.csrf(&session),
    )
    .into_response()
}

/// `POST /queue/retry`.
async fn retry(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Response {
    if let Some(refusal) = forged(&dashboard, &session, &headers, form.as_deref().ok()) {
        return refusal;
    }
    match dashboard.api.local.retry().await {
        Ok(retried) => {
            let mut text = format!(
                "{} failed command(s) pending again; {} pending command(s) running now.",
                retried.requeued,
                retried.pending.len()
            );
            for overtaken in &retried.overtaken {
                let _ = write!(
                    text,
                    "\n#{} `{}` ({}) stays failed: command #{} on the same room was done after it; write a new command if it is still wanted, and drop this one.",
                    overtaken.seq, overtaken.command, overtaken.origin, overtaken.later
                );
            }
            for refused in &retried.refused {
                text.push('\n');
                text.push_str(refused);
            }
            pages::outcome("Queue retried", &text, retried.overtaken.is_empty()).into_response()
        }
        Err(error) => not_done("The queue was not retried", &error),
    }
}

/// `GET /queue/{seq}/drop`: the question, with the command.
async fn confirm_drop(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    Path(seq): Path<u64>,
) -> Response {
    let one = QueuePage {
        after: seq.saturating_sub(1),
        limit: 1,
    };
    let queue = match dashboard.api.local.queue(None, one).await {
        Ok(answer) => answer.queue,
        Err(error) => return unavailable(&error),
    };
    let Some(command) = queue.commands.iter().find(|command| command.seq == seq) else {
        return page(
            StatusCode::NOT_FOUND,
            &pages::outcome(
                "No such command",
                &format!("There is no command #{seq} in the queue (it may have run since)."),
                false,
            ),
        );
    };
    pages::confirm(
        &format!("Drop command #{seq}?"),
        &html! {
            p { "Command #" (seq) " on room " (command.rooms.join(" → ")) ", from " (command.origin) ":" }
            pre { (command.command) }
            p { "Dropped, it is never sent to the PBX: the PBX and the journal may then differ for this room (`hotelcare reconcile` shows how)." }
        },
        &format!("/queue/{seq}/drop"),
        "Drop it",
        &dashboard.access.csrf(&session),
    )
    .into_response()
}

/// `POST /queue/{seq}/drop`.
async fn drop_command(
    State(dashboard): State<Arc<Dashboard>>,
    Extension(session): Extension<Session>,
    Path(seq): Path<u64>,
    headers: HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Response {
    if let Some(refusal) = forged(&dashboard, &session, &headers, form.as_deref().ok()) {
        return refusal;
    }
    match dashboard.api.local.drop_command(seq).await {
        Ok(dropped) => pages::outcome("Command dropped", &dropped.text, true).into_response(),
        Err(error) => not_done(&format!("Command #{seq} was not dropped"), &error),
    }
}

/// A change that does not come from the page's own form (another site's, a replayed one):
/// refused, with why.
fn forged(
    dashboard: &Dashboard,
    session: &Session,
    headers: &HeaderMap,
    form: Option<&Confirmed>,
) -> Option<Response> {
    let holds = form.is_some_and(|form| dashboard.access.csrf_holds(session, &form.csrf))
        && dashboard.access.origin_allowed(headers);
    (!holds).then(|| {
        page(
            StatusCode::FORBIDDEN,
            &pages::refused(
                "Not done",
                "This change did not come from the status page's own form. Open the page again and use its buttons.",
            ),
        )
    })
}

fn unavailable(error: &BackendError) -> Response {
    page(
        status_of(error),
        &pages::refused("Not available", &error.to_string()),
    )
}

/// An action that did not happen: why, with the way back.
fn not_done(title: &str, error: &BackendError) -> Response {
    page(
        status_of(error),
        &pages::outcome(title, &error.to_string(), false),
    )
}

/// The HTTP status of a core's refusal.
fn status_of(error: &BackendError) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

fn page(status: StatusCode, markup: &Markup) -> Response {
    (status, markup.clone()).into_response()
}

/// `GET /dashboard.css`.
async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/dashboard.css"),
    )
        .into_response()
}

/// `GET /dashboard.js`.
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/dashboard.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_id_of_another_start_of_the_service_starts_from_what_is_kept() {
        assert_eq!(position("abc:41", "abc"), 41);
        assert_eq!(
            position("old:5000", "abc"),
            0,
            "the browser reconnects after a restart"
        );
        assert_eq!(position("abc:x", "abc"), 0);
        assert_eq!(position("41", "abc"), 0);
    }
}
