//! The MiXML client: HTTPS (rustls) with reqwest, one logged-in session reused over keep-alive,
//! `timeout_secs` on every request. Implements the engine's `Transport`.
//!
//! Input: `PbxConfig` values and `wire::Request`s. Output: `Reply` or `TransportError`.
//! Imports `mixml`, `config` and the engine's transport contract; never `sim`.

mod error;
mod tls;

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use tokio::sync::Mutex;

use crate::config::{ConfigError, Password, PbxConfig, Secret, Trust};
use crate::engine::Raw;
use crate::pbx::mixml::wire::{self, FaultCode, Request, Response, ResponseError};
use crate::pbx::mixml::{Reply, Transport, TransportError};

/// Why a client cannot be set up (before any connection is made).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    #[error(transparent)]
    Password(#[from] ConfigError),
    /// What is wrong with the TLS trust, naming the key (`ca_file`).
    #[error(transparent)]
    Trust(#[from] tls::TrustError),
    #[error("cannot set up the HTTPS client: {0}")]
    Http(reqwest::Error),
}

/// A MiXML connection to one PBX.
pub(crate) struct Client {
    http: reqwest::Client,
    url: String,
    /// `url` parsed once: given a string, reqwest parses it again for every request (a few
    /// thousand instructions each, issue 25). `None` if it does not parse: the request's own
    /// error then says so, as before.
    parsed: Option<reqwest::Url>,
    /// `host:port` as the user knows it, for messages.
    address: String,
    user: String,
    password: Secret,
    timeout: Duration,
    /// The session token; the lock also makes concurrent requests wait for one login.
    session: Mutex<Option<String>>,
}

impl Client {
    /// A client for `[pbx]`. Fails (with a sentence naming the key) when the password is not
    /// there or the TLS trust cannot be set up, e.g. an unreadable `ca_file`.
    pub(crate) fn new(pbx: &PbxConfig) -> Result<Self, SetupError> {
        let password = pbx.password.resolve()?;
        let tls = tls::client_config(&pbx.trust)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(pbx.timeout)
            .connect_timeout(pbx.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .http1_only()
            .no_proxy()
            // A redirect would re-send the login envelope, password included, to wherever it
            // points (even plain HTTP): never follow one; it is an error that names the target.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(SetupError::Http)?;
        let (url, address) = endpoint(&pbx.server);
        Ok(Self {
            http,
            parsed: reqwest::Url::parse(&url).ok(),
            url,
            address,
            user: pbx.user.clone(),
            password,
            timeout: pbx.timeout,
            session: Mutex::new(None),
        })
    }

    async fn exchange(
        &self,
        request: &Request<'_>,
        session: Option<&str>,
        raw: bool,
    ) -> Result<(Response, Option<Raw>), TransportError> {
        let body = request.envelope(session, wire::Password::Send);
        let post = match &self.parsed {
            Some(url) => self.http.post(url.clone()),
            None => self.http.post(&self.url),
        };
        let answer = post
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{}\"", request.soap_action()))
            .body(body)
            .send()
            .await
            .map_err(|e| error::classify(&e, &self.address, self.timeout))?;
        let status = answer.status().as_u16();
        if answer.status().is_redirection() {
            let location = answer
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("nowhere")
                .to_owned();
            return Err(TransportError::Redirect {
                address: self.address.clone(),
                status,
                location,
            });
        }
        let text = answer
            .text()
            .await
            .map_err(|e| error::classify(&e, &self.address, self.timeout))?;
        // The session id is a credential too, while it lasts: masked like the password.
        let parsed = wire::parse_response(&text);
        let raw = raw.then(|| {
            // A login's answer carries the new session id: masked too.
            let response = match &parsed {
                Ok(Response::LoggedIn { session }) => text.replace(session.as_str(), Secret::MASK),
                _ => text.clone(),
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
}
