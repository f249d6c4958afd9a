//! The running service reached over its API (`Remote`): found through `discovery` (the token
//! goes only to the start of the service that wrote `service.json`), every request typed with
//! the protocol's answers, and its events followed (Server-Sent Events).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::config::ScriptEncoding;
use crate::control::backend::{Answer, Backend, EventStream, Inline, Item};
use crate::control::discovery::{self, ServiceInfo};
use crate::control::protocol::{
    BackendError, ChargesAnswer, DashboardTicket, DirectoryNumbers, Dropped, ErrorBody, Imported,
    Instance, QueueAnswer, QueuePage, Ran, Reconciled, Retried, RoomsAnswer, Said, StatusAnswer,
    Submitted,
};
use crate::inputs::fias::resync::ResyncReport;
use crate::inputs::fias::status::LinkStatus;
use crate::intake::script::Script;

/// Why the service could not be asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    #[error("cannot reach the hotelcare service at {address}: {error}")]
    Unreachable {
        address: std::net::SocketAddr,
        error: String,
    },
    #[error(
        "the hotelcare service at {address} answered what this hotelcare does not read: {error}"
    )]
    Unreadable {
        address: std::net::SocketAddr,
        error: String,
    },
    #[error(
        "a hotelcare service runs for this state directory, but its token cannot be read: {0}; run this command as the service's user"
    )]
    Token(io::Error),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error(
        "the hotelcare service at {address} is busy: all its connections are taken (by clients without its token?); try again in a moment, and see its log"
    )]
    Busy { address: std::net::SocketAddr },
}

/// A running service.
pub(crate) struct Remote {
    pub(crate) info: ServiceInfo,
    base: String,
    token: String,
    http: reqwest::Client,
}

/// `a,b` URL-encoded.
fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `&pbx=NAME` for `--pbx NAME`; empty without it.
fn pbx_param(pbx: Option<&str>) -> String {
    pbx.map_or_else(String::new, |name| format!("&pbx={}", encoded(name)))
}

impl Remote {
    /// The service of `state_dir`, if one runs and answers. `Ok(None)`: none (or a stale
    /// `service.json` of one that is gone): work in-process.
    pub(crate) async fn find(state_dir: &Path) -> Result<Option<Self>, RemoteError> {
        let Some(info) = ServiceInfo::read(state_dir) else {
            return Ok(None);
        };
        // A copy of the state directory (a backup) carries the live service's file along.
        if !info.owns(state_dir) {
            return Ok(None);
        }
        if !info.address.ip().is_loopback() {
            return Ok(None);
        }
        let http = client()?;
        let base = format!("http://{}", info.address);
        // The token goes only to the start of the service that wrote `service.json`: a stale
        // file's address may be taken by another program since.
        let answer = http
            .get(format!("{base}/v1/instance"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        let instance = match answer {
            // The service runs, but has no place for this client now: say so (working
            // in-process instead would only find its journal in use).
            Ok(answer) if answer.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                return Err(RemoteError::Busy {
                    address: info.address,
                });
            }
            Ok(answer) if answer.status().is_success() => answer
                .bytes()
                .await
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Instance>(&bytes).ok())
                .map(|answer| answer.instance),
            _ => None,
        };
        if instance.as_deref() != Some(info.instance.as_str()) || info.instance.is_empty() {
            return Ok(None);
        }
        let token = discovery::read_token(state_dir).map_err(RemoteError::Token)?;
        Ok(Some(Self {
            info,
            base,
            token,
            http,
        }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the token; its answer read as `T`, or the error it is.
    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, BackendError> {
        let address = self.info.address;
        let unreachable = |error: reqwest::Error| RemoteError::Unreachable {
            address,
            error: error.to_string(),
        };
        let answer = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unreachable)?;
        let status = answer.status();
        let bytes = answer.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|error| {
                BackendError::Remote(RemoteError::Unreadable {
                    address,
                    error: error.to_string(),
                })
            });
        }
        let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
            error: format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
            ..ErrorBody::default()
        });
        Err(BackendError::from_answer(status.as_u16(), body))
    }

    async fn get<T: DeserializeOwned>(&self, path: String) -> Result<T, BackendError> {
        self.call(self.http.get(self.url(&path))).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: String,
        body: Vec<u8>,
    ) -> Result<T, BackendError> {
        self.call(
            self.http
                .post(self.url(&path))
                .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(body),
        )
        .await
    }
}

impl Backend for Remote {
    fn describe(&self) -> String {
        format!("the hotelcare service ({})", self.info.describe())
    }

    fn name(&self) -> String {
        format!("service {}", self.info.address)
    }

    fn is_service(&self) -> bool {
        true
    }

    fn events(&self, raw: bool, json: bool) -> Answer<'_, EventStream> {
        Box::pin(async move {
            let address = self.info.address;
            let stream = |path: String| async move {
                self.http
                    .get(self.url(&path))
                    .bearer_auth(&self.token)
                    .send()
                    .await
                    .map_err(|error| RemoteError::Unreachable {
                        address,
                        error: error.to_string(),
                    })
            };
            let all = format!("/v1/events?raw={raw}");
            let mut answer = if json {
                stream(all.clone()).await?
            } else {
                stream(format!("{all}&json=false")).await?
            };
            if !json && answer.status() == reqwest::StatusCode::BAD_REQUEST {
                // A service of an older release knows no `json` and sends the lines anyway.
                answer = stream(all).await?;
            }
            if !answer.status().is_success() {
                return Err(BackendError::Unavailable(format!(
                    "the hotelcare service refused its event stream ({})",
                    answer.status()
                )));
            }
            Ok(EventStream::Remote(Events {
                answer,
                buffer: Vec::new(),
            }))
        })
    }

    /// Each script is one request (accepted whole, or not at all): a refused script leaves
    /// the ones before it accepted.
    fn submit<'a>(
        &'a self,
        scripts: &'a [Script],
        encoding: ScriptEncoding,
        again: bool,
    ) -> Answer<'a, Submitted> {
        Box::pin(async move {
            let mut all = Submitted::default();
            for script in scripts {
                let name = script.name();
                // The API takes UTF-8, whatever the script is in.
                let bytes = script.utf8(encoding).map_err(|error| {
                    BackendError::BadRequest(format!("cannot read `{name}`: {error}"))
                })?;
                let submitted: Submitted = self
                    .post(
                        format!("/v1/scripts?source={}&again={again}", encoded(&name)),
                        bytes,
                    )
                    .await?;
                all.seqs.extend(submitted.seqs);
                all.diagnostics.extend(submitted.diagnostics);
                all.rendered.push_str(&submitted.rendered);
            }
            Ok(all)
        })
    }

    fn interrupt<'a>(&'a self, _reason: &'a str) -> Answer<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn queue<'a>(&'a self, pbx: Option<&'a str>, page: QueuePage) -> Answer<'a, QueueAnswer> {
        Box::pin(self.get(format!(
            "/v1/queue?after={}&limit={}{}",
            page.after,
            page.limit,
            pbx_param(pbx)
        )))
    }

    fn retry(&self) -> Answer<'_, Retried> {
        Box::pin(self.post("/v1/queue/retry".to_owned(), Vec::new()))
    }

    fn drop_command(&self, seq: u64) -> Answer<'_, Dropped> {
        Box::pin(self.call(self.http.delete(self.url(&format!("/v1/queue/{seq}")))))
    }

    fn rooms<'a>(&'a self, rooms: &'a [String], pbx: Option<&'a str>) -> Answer<'a, RoomsAnswer> {
        Box::pin(self.get(format!(
            "/v1/rooms?rooms={}{}",
            encoded(&rooms.join(",")),
            pbx_param(pbx)
        )))
    }

    fn inline<'a>(&'a self, command: &'a Inline, pbx: Option<&'a str>) -> Answer<'a, Ran> {
        Box::pin(async move {
            match command {
                Inline::Show(ext) => {
                    self.get(format!("/v1/rooms/{}?{}", encoded(ext), pbx_param(pbx)))
                        .await
                }
                Inline::Test => {
                    self.post(format!("/v1/test-access?{}", pbx_param(pbx)), Vec::new())
                        .await
                }
            }
        })
    }

    fn reconcile<'a>(
        &'a self,
        rooms: &'a [String],
        pbx: Option<&'a str>,
    ) -> Answer<'a, Reconciled> {
        Box::pin(self.get(format!(
            "/v1/reconcile?rooms={}{}",
            encoded(&rooms.join(",")),
            pbx_param(pbx)
        )))
    }

    fn general_reset<'a>(&'a self, pbx: &'a str) -> Answer<'a, Said> {
        Box::pin(self.post(
            format!("/v1/reconcile/general-reset?pbx={}", encoded(pbx)),
            Vec::new(),
        ))
    }

    fn directory_numbers(&self) -> Answer<'_, DirectoryNumbers> {
        Box::pin(self.get("/v1/directory-numbers".to_owned()))
    }

    fn status(&self) -> Answer<'_, StatusAnswer> {
        Box::pin(self.get("/v1/status".to_owned()))
    }

    fn dashboard_ticket(&self) -> Answer<'_, DashboardTicket> {
        Box::pin(self.post("/v1/dashboard/ticket".to_owned(), Vec::new()))
    }

    fn fias_status(&self) -> Answer<'_, LinkStatus> {
        Box::pin(self.get("/v1/fias".to_owned()))
    }

    fn import_calls<'a>(&'a self, text: &'a str, pbx: Option<&'a str>) -> Answer<'a, Imported> {
        Box::pin(self.post(
            format!(
                "/v1/charges/import?{}",
                pbx_param(pbx).trim_start_matches('&')
            ),
            text.as_bytes().to_vec(),
        ))
    }

    fn repost(&self, number: u64) -> Answer<'_, Said> {
        Box::pin(self.post(format!("/v1/charges/postings/{number}/repost"), Vec::new()))
    }

    fn charges<'a>(&'a self, room: Option<&'a str>) -> Answer<'a, ChargesAnswer> {
        Box::pin(self.get(match room {
            Some(room) => format!("/v1/charges?room={}", encoded(room)),
            None => "/v1/charges".to_owned(),
        }))
    }

    fn fias_resync(&self, dry_run: bool, confirm: bool) -> Answer<'_, ResyncReport> {
        Box::pin(self.post(
            format!("/v1/fias/resync?dry_run={dry_run}&confirm={confirm}"),
            Vec::new(),
        ))
    }
}

/// An HTTP client for loopback: no proxy (an `HTTP_PROXY` must not see the token), no
/// redirects, TLS set up explicitly (the API is plain HTTP on loopback; no certificate is
/// ever trusted through it).
fn client() -> Result<reqwest::Client, RemoteError> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| RemoteError::Client(e.to_string()))?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| RemoteError::Client(e.to_string()))
}

/// The service's events (Server-Sent Events).
pub(crate) struct Events {
    answer: reqwest::Response,
    buffer: Vec<u8>,
}

impl Events {
    /// The next event; `None` when the service closed the stream (it stopped, or is gone).
    pub(crate) async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(end) = find_blank_line(&self.buffer) {
                let block: Vec<u8> = self.buffer.drain(..end).collect();
                if let Some(item) = parse_block(&String::from_utf8_lossy(&block)) {
                    return Some(item);
                }
                continue;
            }
            match self.answer.chunk().await {
                Ok(Some(chunk)) => self.buffer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

/// Where the first event block ends (after its blank line).
fn find_blank_line(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| at + 2)
}

/// One SSE block: `event:` and `data:` lines; comments (keep-alives) give nothing.
fn parse_block(block: &str) -> Option<Item> {
    let mut event = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            event = value.trim();
        } else if let Some(value) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    match event {
        "lagged" => Some(Item::Lagged(data.trim().parse().unwrap_or(0))),
        _ if data.is_empty() => None,
        _ => serde_json::from_str(&data)
            .ok()
            .map(|published| Item::Event(Arc::new(published))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_blocks_are_read_as_events_lags_and_keep_alives() {
        assert!(parse_block(":\n\n").is_none(), "a keep-alive comment");
        assert!(matches!(
            parse_block("event: lagged\ndata: 12\n\n"),
            Some(Item::Lagged(12))
        ));
        let data = r#"data: {"id":3,"type":"finished","seq":7,"source":"x.hc:1","room":"1000","command":"CHECKOUT","outcome":"done","reason":null,"lines":["done"]}"#;
        match parse_block(&format!("{data}\n\n")) {
            Some(Item::Event(event)) => {
                assert_eq!(event.seq, Some(7));
                assert_eq!(event.outcome, Some(crate::control::hub::Ending::Done));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(find_blank_line(b"data: x\n\ndata: y"), Some(9));
    }

    /// A service of an older release refuses the `json` it does not know (`400`): the client
    /// asks again without it.
    #[tokio::test]
    async fn a_service_that_knows_no_json_parameter_is_asked_again_without_it() {
        use std::io::{BufRead as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let mut asked = Vec::new();
            for stream in listener.incoming().take(2) {
                let mut stream = stream.unwrap();
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                asked.push(line.trim().to_owned());
                let answer = if line.contains("json") {
                    "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                } else {
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
                };
                stream.write_all(answer.as_bytes()).unwrap();
            }
            asked
        });
        let remote = Remote {
            info: ServiceInfo {
                address,
                pid: 1,
                started: String::new(),
                version: "older".into(),
                instance: "x".into(),
                state_dir: None,
            },
            base: format!("http://{address}"),
            token: "t".into(),
            http: client().unwrap(),
        };
        assert!(remote.events(false, false).await.is_ok());
        assert_eq!(
            server.join().unwrap(),
            [
                "GET /v1/events?raw=false&json=false HTTP/1.1",
                "GET /v1/events?raw=false HTTP/1.1"
            ]
        );
    }
}
