//! The MiXML client: HTTPS (rustls) over hyper's HTTP/1.1 connections, kept alive one per request
//! in flight (`connections`), one logged-in session, `timeout_secs` on every request. Implements
//! the engine's `Transport`.
//!
//! hyper directly, not reqwest: reqwest's own layers (a redirect policy we turn off, the request's
//! URL parsed twice more for every request, its retry service) cost about a seventh of a request's
//! instructions (issue 25), for nothing this client uses.
//!
//! Input: `PbxConfig` values and `wire::Request`s. Output: `Reply` or `TransportError`.
//! Imports `mixml`, `config` and the engine's transport contract; never `sim`.

mod connections;
mod error;
mod tls;

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderName, HeaderValue, LOCATION};
use hyper::{Method, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::sync::Mutex;

use connections::{Connections, Failure};

use crate::config::{ConfigError, Password, PbxConfig, Secret, Trust};
use crate::engine::Raw;
use crate::pbx::mixml::wire::{self, FaultCode, Request, Response, ResponseError};
use crate::pbx::mixml::{ConnectCause, Reply, Transport, TransportError};

/// The largest answer read from a PBX: a directory number list of a large system is a few
/// hundred kilobytes; anything far beyond is not a MiXML answer, and is not held in memory.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// TCP keep-alive: the first probe after this long idle, then one this often, three at most.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// The header naming the operation (lower case, as HTTP/1 sends every header name).
const SOAP_ACTION: HeaderName = HeaderName::from_static("soapaction");

/// Why a client cannot be set up (before any connection is made).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    #[error(transparent)]
    Password(#[from] ConfigError),
    /// What is wrong with the TLS trust, naming the key (`ca_file`).
    #[error(transparent)]
    Trust(#[from] tls::TrustError),
}

/// A MiXML connection to one PBX.
pub(crate) struct Client {
    connections: Connections,
    /// Where requests go, worked out once; why not, if the address does not parse (the
    /// request's error says so).
    endpoint: Result<Endpoint, String>,
    /// `host:port` as the user knows it, for messages.
    address: String,
    user: String,
    password: Secret,
    timeout: Duration,
    /// The session token; the lock also makes concurrent requests wait for one login.
    session: Mutex<Option<String>>,
    /// Each operation's `SOAPAction` header, made once (it was two `format!`s per request).
    actions: std::sync::Mutex<Vec<(&'static str, HeaderValue)>>,
}

impl Client {
    /// A client for `[pbx]`. Fails (with a sentence naming the key) when the password is not
    /// there or the TLS trust cannot be set up, e.g. an unreadable `ca_file`.
    pub(crate) fn new(pbx: &PbxConfig) -> Result<Self, SetupError> {
        let password = pbx.password.resolve()?;
        let tls = tls::client_config(&pbx.trust)?;
        let mut tcp = HttpConnector::new();
        // The scheme is checked by the TLS layer around it (`https_or_http`).
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(pbx.timeout));
        // A request is one small write: sent at once, not held back for more.
        tcp.set_nodelay(true);
        // A kept connection idles up to a minute: probes keep a firewall's state of it alive
        // (reqwest's defaults, which this client had before).
        tcp.set_keepalive(Some(KEEPALIVE));
        tcp.set_keepalive_interval(Some(KEEPALIVE));
        tcp.set_keepalive_retries(Some(3));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            // Plain HTTP only where the configuration allows it (`allow_plain_http`).
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        // No redirects are followed (hyper follows none): a redirect would re-send the login
        // envelope, password included, to wherever it points. It is an error that names the
        // target.
        let (url, address) = endpoint(&pbx.server);
        // Through `url` first, as the configuration's check reads `server`: a host name that is
        // not ASCII becomes its ASCII (punycode) form, which `Uri` takes.
        let endpoint = url::Url::parse(&url)
            .map_err(|why| why.to_string())
            .and_then(|parsed| {
                parsed
                    .as_str()
                    .parse::<Uri>()
                    .map_err(|why| why.to_string())
            })
            .map_err(|why| format!("`{url}` is not a valid address: {why}"))
            .and_then(|target| {
                // HTTP/1.1 wants a `Host` on every request.
                let host = host_header(&target).ok_or_else(|| format!("`{url}` names no host"))?;
                Ok(Endpoint {
                    target,
                    path: Uri::from_static(wire::names::PATH),
                    host,
                })
            });
        Ok(Self {
            connections: Connections::new(connector),
            endpoint,
            address,
            user: pbx.user.clone(),
            password,
            timeout: pbx.timeout,
            session: Mutex::new(None),
            actions: std::sync::Mutex::default(),
        })
    }

    /// The `SOAPAction` header of `request`'s operation, quoted as SOAP 1.1 has it.
    fn soap_action(&self, request: &Request<'_>) -> Option<HeaderValue> {
        let operation = request.operation();
        let mut actions = self
            .actions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, action)) = actions.iter().find(|(known, _)| *known == operation) {
            return Some(action.clone());
        }
        let action = HeaderValue::from_str(&format!("\"{}\"", request.soap_action())).ok()?;
        actions.push((operation, action.clone()));
        Some(action)
    }

    /// Sends `body` and reads the whole answer, within the timeout: its status, its `Location`
    /// (for a redirect) and its body.
    async fn post(
        &self,
        body: String,
        soap_action: Option<HeaderValue>,
    ) -> Result<(u16, Option<String>, Bytes), TransportError> {
        let endpoint = self
            .endpoint
            .as_ref()
            .map_err(|detail| TransportError::Connect {
                address: self.address.clone(),
                cause: ConnectCause::Other,
                detail: detail.clone(),
            })?;
        let mut request = hyper::Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        // Origin-form, as HTTP/1.1 wants it of a request that is not to a proxy.
        *request.uri_mut() = endpoint.path.clone();
        let headers = request.headers_mut();
        headers.insert(HOST, endpoint.host.clone());
        // As the client sent it before (reqwest's default): nothing else on the wire changed.
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        if let Some(action) = soap_action {
            headers.insert(SOAP_ACTION, action);
        }
        let exchange = async {
            let (answer, connection) = self
                .connections
                .send(&endpoint.target, request)
                .await
                .map_err(|failure| match failure {
                    Failure::Connect(e) => error::connect(&*e, &self.address),
                    Failure::Send(e) => error::dropped(&e, &self.address),
                })?;
            let status = answer.status().as_u16();
            let location = answer.status().is_redirection().then(|| {
                answer
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("nowhere")
                    .to_owned()
            });
            let body = Limited::new(answer.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        TransportError::Malformed {
                            address: self.address.clone(),
                            detail: format!(
                                "its answer is larger than {} MiB, far more than any MiXML answer; check that `server` is the MiVB",
                                MAX_ANSWER >> 20
                            ),
                        }
                    } else {
                        error::dropped(&*e, &self.address)
                    }
                })?
                .to_bytes();
            connection.keep();
            Ok((status, location, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(TransportError::Timeout {
                    address: self.address.clone(),
                    after: self.timeout,
                })
            })
    }

    async fn exchange(
        &self,
        request: &Request<'_>,
        session: Option<&str>,
        raw: bool,
    ) -> Result<(Response, Option<Raw>), TransportError> {
        let body = request.envelope(session, wire::Password::Send);
        let (status, location, body) = self.post(body, self.soap_action(request)).await?;
        if let Some(location) = location {
            return Err(TransportError::Redirect {
                address: self.address.clone(),
                status,
                location,
            });
        }
        // `from_utf8` checks a word at a time where `from_utf8_lossy` walks byte by byte (1.3 %
        // of a run's instructions); the lossy reading is only for an answer that is not UTF-8.
        let text: Cow<'_, str> = match std::str::from_utf8(&body) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&body),
        };
        // The session id is a credential too, while it lasts: masked like the password.
        let parsed = wire::parse_response(&text);
        let raw = raw.then(|| {
            // A login's answer carries the new session id: masked too.
            let response = match &parsed {
                Ok(Response::LoggedIn { session }) => text.replace(session.as_str(), Secret::MASK),
                _ => text.clone().into_owned(),
            };
            Raw {
                request: request.envelope(session.map(|_| Secret::MASK), wire::Password::Mask),
                response,
            }
        });
        match parsed {
            Ok(response) if status == 200 => Ok((response, raw)),
            Err(ResponseError::Fault(fault)) => Err(TransportError::Fault(fault)),
            Ok(_) | Err(ResponseError::Malformed(_)) if status != 200 => {
                Err(TransportError::Http {
                    address: self.address.clone(),
                    status,
                    excerpt: excerpt(&text),
                })
            }
            Err(ResponseError::Malformed(detail)) => Err(TransportError::Malformed {
                address: self.address.clone(),
                detail,
            }),
            Ok(_) => unreachable!("status 200 is handled above"),
        }
    }

    /// Logs in and stores the session. Called with the session lock held.
    async fn log_in(&self, slot: &mut Option<String>, raw: bool) -> Result<Reply, TransportError> {
        *slot = None;
        let request = Request::Login {
            user: &self.user,
            password: &self.password,
        };
        match self.exchange(&request, None, raw).await {
            Ok((response, raw)) => {
                let Response::LoggedIn { session } = &response else {
                    return Err(TransportError::Malformed {
                        address: self.address.clone(),
                        detail: "the answer to the login carries no session".into(),
                    });
                };
                *slot = Some(session.clone());
                Ok(Reply {
                    response,
                    logged_in: true,
                    raw,
                })
            }
            Err(TransportError::Fault(fault)) if fault.code == FaultCode::AuthenticationFailed => {
                Err(TransportError::Authentication {
                    address: self.address.clone(),
                    user: self.user.clone(),
                })
            }
            Err(other) => Err(other),
        }
    }

    /// The current session, logging in if there is none. `Some(reply)` when a login happened.
    async fn session(&self, raw: bool) -> Result<(String, Option<Reply>), TransportError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            return Ok((session.clone(), None));
        }
        let login = self.log_in(&mut slot, raw).await?;
        let session = slot.clone().expect("a successful login stores the session");
        Ok((session, Some(login)))
    }

    /// Logs in again unless another request already did since `stale` was handed out.
    async fn renew(
        &self,
        stale: &str,
        raw: bool,
    ) -> Result<(String, Option<Reply>), TransportError> {
        let mut slot = self.session.lock().await;
        if let Some(current) = slot.as_ref()
            && current != stale
        {
            return Ok((current.clone(), None));
        }
        let login = self.log_in(&mut slot, raw).await?;
        let session = slot.clone().expect("a successful login stores the session");
        Ok((session, Some(login)))
    }
}

impl Transport for Client {
    async fn call(&self, request: &Request<'_>, raw: bool) -> Result<Reply, TransportError> {
        let (mut session, mut login) = self.session(raw).await?;
        let mut renewed = false;
        loop {
            match self.exchange(request, Some(&session), raw).await {
                Ok((response, reply_raw)) => {
                    return Ok(Reply {
                        response,
                        logged_in: login.is_some(),
                        raw: Raw::join(login.and_then(|l| l.raw), reply_raw),
                    });
                }
                Err(TransportError::Fault(fault))
                    if fault.code == FaultCode::SessionInvalid && !renewed =>
                {
                    renewed = true;
                    let (fresh, again) = self.renew(&session, raw).await?;
                    session = fresh;
                    login = again.or(login);
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn login(&self, raw: bool) -> Result<Reply, TransportError> {
        let mut slot = self.session.lock().await;
        self.log_in(&mut slot, raw).await
    }

    fn target(&self) -> String {
        format!("{}@{}", self.user, self.address)
    }

    async fn log_out(&self) {
        let session = self.session.lock().await.take();
        if let Some(session) = session {
            let _ = self.exchange(&Request::Logout, Some(&session), false).await;
        }
    }
}

/// Where a client's requests go.
struct Endpoint {
    /// The whole URL: what is connected to.
    target: Uri,
    /// Its path: what a request names.
    path: Uri,
    /// Its `Host` header, worked out once (hyper-util's client formatted it for every request).
    host: HeaderValue,
}

/// `server` -> (URL, address for messages). HTTPS unless the scheme says otherwise.
fn endpoint(server: &str) -> (String, String) {
    let server = server.trim().trim_end_matches('/');
    let (scheme, rest) = match server.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), server),
    };
    (
        format!("{scheme}://{rest}{}", wire::names::PATH),
        rest.to_owned(),
    )
}

/// The `Host` header hyper's client writes for `uri`: the host, and the port where it is not
/// the scheme's default (as `hyper_util`'s `get_non_default_port`).
fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let host = uri.host()?;
    let secure = matches!(uri.scheme_str(), Some("https" | "wss"));
    let value = match uri.port() {
        Some(port) if port.as_u16() != if secure { 443 } else { 80 } => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

/// The first line of a non-MiXML answer, shortened, for messages.
fn excerpt(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("empty body");
    line.chars().take(80).collect()
}

/// A `PbxConfig` for a simulator: pinned to its certificate, or plain HTTP.
pub(crate) fn simulator_pbx(
    url: &str,
    user: &str,
    password: &str,
    pin: Option<[u8; 32]>,
    timeout: Duration,
) -> PbxConfig {
    PbxConfig {
        server: url.to_owned(),
        user: user.to_owned(),
        password: Password::Given(Secret::new(password)),
        timeout,
        trust: pin.map_or(Trust::System, Trust::Pinned),
        // A simulator in this process: reading its report is cheap.
        wakeup_report: Duration::from_secs(5),
        smdr: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client for `url` (nothing is sent).
    fn client_of(url: &str) -> Client {
        let pbx = simulator_pbx(
            url,
            "hotelcare",
            "secret",
            Some([0; 32]),
            Duration::from_secs(1),
        );
        Client::new(&pbx).unwrap()
    }

    #[test]
    fn each_operation_has_its_own_soap_action_made_once() {
        let client = client_of("https://127.0.0.1:4443");
        let action = |request: &Request<'_>| client.soap_action(request).unwrap();
        let logout = "\"urn:hotelcare:mixml:model:1#Logout\"";
        let info = "\"urn:hotelcare:mixml:model:1#GetSystemInfo\"";
        assert_eq!(action(&Request::Logout), logout);
        assert_eq!(action(&Request::SystemInfo), info);
        assert_eq!(action(&Request::Logout), logout);
        assert_eq!(client.actions.lock().unwrap().len(), 2);
        assert_eq!(SOAP_ACTION.as_str(), "soapaction");
    }

    #[test]
    fn a_host_name_that_is_not_ascii_is_sent_in_its_ascii_form() {
        let client = client_of("https://mivb.hôtel.local:4443");
        let endpoint = client.endpoint.as_ref().unwrap();
        assert_eq!(endpoint.host, "mivb.xn--htel-vqa.local:4443");
        assert_eq!(
            endpoint.target.to_string(),
            "https://mivb.xn--htel-vqa.local:4443/mixml/v1"
        );
    }

    #[test]
    fn endpoint_defaults_to_https() {
        assert_eq!(
            endpoint("10.0.0.5"),
            ("https://10.0.0.5/mixml/v1".into(), "10.0.0.5".into())
        );
        assert_eq!(
            endpoint("mivb.local:4443/"),
            (
                "https://mivb.local:4443/mixml/v1".into(),
                "mivb.local:4443".into()
            )
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8080"),
            (
                "http://127.0.0.1:8080/mixml/v1".into(),
                "127.0.0.1:8080".into()
            )
        );
    }

    #[test]
    fn the_host_header_names_the_port_only_where_it_is_not_the_default() {
        let host = |url: &str| {
            let uri = url.parse::<Uri>().unwrap();
            host_header(&uri).unwrap().to_str().unwrap().to_owned()
        };
        assert_eq!(host("https://mivb.local/mixml/v1"), "mivb.local");
        assert_eq!(host("https://mivb.local:443/mixml/v1"), "mivb.local");
        assert_eq!(host("https://mivb.local:4443/mixml/v1"), "mivb.local:4443");
        assert_eq!(host("http://10.0.0.5:80/mixml/v1"), "10.0.0.5");
        assert_eq!(host("http://10.0.0.5:443/mixml/v1"), "10.0.0.5:443");
        assert_eq!(host("https://[::1]:8443/mixml/v1"), "[::1]:8443");
    }
}

/// The client against the simulator over real loopback HTTPS.
#[cfg(test)]
mod loopback_tests {
    use std::borrow::Cow;

    use super::*;
    use crate::pbx::mixml::lower::ops::{Field, Form};
    use crate::sim::{Faults, Options, Simulator};

    async fn pair(options: Options) -> (Simulator, Client) {
        let sim = Simulator::start(options).await.unwrap();
        let pbx = simulator_pbx(
            sim.url(),
            "hotelcare",
            "secret",
            sim.fingerprint(),
            Duration::from_secs(2),
        );
        let client = Client::new(&pbx).unwrap();
        (sim, client)
    }

    #[tokio::test]
    async fn logs_in_once_and_updates() {
        let (sim, client) = pair(Options::new("hotelcare", "secret")).await;
        let update = Request::Update {
            room: "1000",
            form: Form::UserProfile,
            values: vec![
                (Field::LastName, Cow::Borrowed("Solo & <Co>")),
                (Field::FirstName, Cow::Borrowed("Zoë")),
            ],
        };
        let first = client.call(&update, false).await.unwrap();
        assert!(first.logged_in);
        let read = Request::Read {
            room: "1000",
            form: Form::UserProfile,
            fields: &[Field::LastName, Field::FirstName],
        };
        let second = client.call(&read, true).await.unwrap();
        assert!(!second.logged_in);
        assert_eq!(
            second.response,
            Response::Fields(vec![
                (Field::LastName, "Solo & <Co>".into()),
                (Field::FirstName, "Zoë".into())
            ])
        );
        assert!(
            second
                .raw
                .unwrap()
                .request
                .contains("<mx:ReadUserAndServices>")
        );
        assert_eq!(sim.record("1000").unwrap().last_name, "Solo & <Co>");
        assert_eq!(sim.stats().logins, 1);
    }

    #[tokio::test]
    async fn lists_directory_numbers() {
        let (_sim, client) = pair(Options::new("hotelcare", "secret")).await;
        let reply = client
            .call(&Request::ListDirectoryNumbers, false)
            .await
            .unwrap();
        assert_eq!(
            reply.response,
            Response::DirectoryNumbers(vec!["1000".into(), "2000".into()])
        );
    }

    #[tokio::test]
    async fn expired_session_logs_in_again() {
        let (sim, client) = pair(Options::new("hotelcare", "secret")).await;
        client.call(&Request::SystemInfo, false).await.unwrap();
        sim.expire_sessions();
        let reply = client.call(&Request::SystemInfo, false).await.unwrap();
        assert!(reply.logged_in);
        assert_eq!(sim.stats().logins, 2);
    }

    #[tokio::test]
    async fn wrong_password_is_an_authentication_error_without_the_password() {
        let sim = Simulator::start(Options::new("hotelcare", "right"))
            .await
            .unwrap();
        let pbx = simulator_pbx(
            sim.url(),
            "hotelcare",
            "wrong-pw",
            sim.fingerprint(),
            Duration::from_secs(2),
        );
        let error = Client::new(&pbx)
            .unwrap()
            .call(&Request::SystemInfo, false)
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransportError::Authentication { .. }),
            "{error:?}"
        );
        assert!(!error.to_string().contains("wrong-pw"));
        assert!(error.to_string().contains("wrong user name or password"));
    }

    // Paused time: the 2 s timeout of a PBX that never answers passes at once (the handshake
    // before it is I/O readiness, which the paused runtime still polls before it moves the clock).
    #[tokio::test(start_paused = true)]
    async fn refused_and_timeouts_are_told_apart() {
        let mut options = Options::new("u", "p");
        options.faults = Faults {
            hang_rate: 1.0,
            ..Faults::default()
        };
        let (sim, client) = pair(Options {
            user: "hotelcare".into(),
            password: "secret".into(),
            ..options
        })
        .await;
        // The paused clock's time: the client gave up after its own timeout, not another.
        let started = tokio::time::Instant::now();
        let error = client.call(&Request::SystemInfo, false).await.unwrap_err();
        assert!(matches!(error, TransportError::Timeout { .. }), "{error:?}");
        let waited = started.elapsed();
        assert!(
            (Duration::from_secs(1)..Duration::from_secs(4)).contains(&waited),
            "{waited:?}"
        );
        sim.set_faults(Faults {
            refuse_connections: true,
            ..Faults::default()
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fresh = Client::new(&simulator_pbx(
            sim.url(),
            "hotelcare",
            "secret",
            sim.fingerprint(),
            Duration::from_secs(2),
        ))
        .unwrap();
        let error = fresh.call(&Request::SystemInfo, false).await.unwrap_err();
        assert!(
            matches!(
                error,
                TransportError::Connect {
                    cause: crate::pbx::mixml::ConnectCause::Refused,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    // The simulated PBX's latency runs from the request: it carries the request out as it
    // comes and answers when the latency is up, as a real one does, so a benchmark's floor of
    // requests x latency is what the PBX takes (issue 25: its work came after the latency).
    #[tokio::test]
    async fn the_simulator_carries_a_request_out_within_its_latency() {
        let latency = Duration::from_secs(1);
        let mut options = Options::new("hotelcare", "secret");
        options.faults = Faults {
            latency_ms: 1000,
            ..Faults::default()
        };
        let (sim, client) = pair(options).await;
        let started = tokio::time::Instant::now();
        let call = tokio::spawn(async move {
            let update = Request::Update {
                room: "1000",
                form: Form::UserProfile,
                values: vec![(Field::LastName, Cow::Borrowed("Early"))],
            };
            client.call(&update, false).await.map(|_| started.elapsed())
        });
        // The login takes one latency; the update is carried out as soon as it arrives.
        let seen = loop {
            if sim.record("1000").is_some_and(|r| r.last_name == "Early") {
                break started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never carried out"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let answered = call.await.unwrap().unwrap();
        assert!(answered >= 2 * latency, "answered after {answered:?}");
        assert!(
            seen + latency / 2 < answered,
            "carried out at {seen:?}, answered at {answered:?}"
        );
    }
}
