//! Who may see the status page, without the API's token ever being pasted into a browser:
//! `hotelcare dashboard` asks the API (with the token) for a one-time ticket; the ticket, used
//! once within `TICKET_LIFETIME`, becomes a session cookie. The cookie is signed with the
//! service's token (HMAC-SHA256), so a new token ends every session, and nothing of a session
//! is stored. Each form carries a CSRF value derived from the session the same way. Only the
//! service's own address is answered (`Host`), which defeats DNS rebinding.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long a ticket of `hotelcare dashboard` may wait before it is used.
pub(crate) const TICKET_LIFETIME: Duration = Duration::from_secs(60);

/// How long a session lasts: a working day, then `hotelcare dashboard` again.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The session cookie's name, followed by the service's port: browsers send a cookie to every
/// port of a host, and two services on one machine must not take each other's.
const COOKIE: &str = "hotelcare_session_";

/// At most this many tickets wait at once (a client asking in a loop cannot fill the memory).
const MAX_TICKETS: usize = 64;

/// A session, as its cookie proves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    /// Random, hex.
    nonce: String,
    /// Seconds since the Unix epoch.
    issued: u64,
}

/// See the module documentation.
pub(crate) struct Access {
    token: String,
    tickets: Mutex<HashMap<String, Instant>>,
    /// The `Host` values this service answers to.
    hosts: Vec<String>,
    /// `hotelcare_session_PORT`.
    cookie: String,
}

impl Access {
    /// For the service whose token is `token`, listening on `address` (loopback).
    pub(crate) fn new(token: &str, address: SocketAddr) -> Self {
        let port = address.port();
        let mut hosts = vec![address.to_string(), format!("localhost:{port}")];
        let loopback = if address.ip().is_ipv6() {
            format!("[::1]:{port}")
        } else {
            format!("127.0.0.1:{port}")
        };
        if !hosts.contains(&loopback) {
            hosts.push(loopback);
        }
        Self {
            token: token.to_owned(),
            tickets: Mutex::new(HashMap::new()),
            hosts,
            cookie: format!("{COOKIE}{port}"),
        }
    }

    /// The address the page is opened at.
    pub(crate) fn home(&self) -> &str {
        &self.hosts[0]
    }

    /// A new one-time ticket.
    pub(crate) fn issue(&self) -> std::io::Result<String> {
        let ticket = crate::control::discovery::random_hex()?;
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        tickets.retain(|_, expires| *expires > now);
        if tickets.len() >= MAX_TICKETS {
            return Err(std::io::Error::other(format!(
                "{MAX_TICKETS} links wait to be opened; open one, or wait a minute"
            )));
        }
        tickets.insert(ticket.clone(), now + TICKET_LIFETIME);
        Ok(ticket)
    }

    /// The session a ticket opens, once: a used, unknown or expired ticket opens none.
    pub(crate) fn redeem(&self, ticket: &str) -> Option<Session> {
        let expires = self
            .tickets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(ticket)?;
        if expires <= Instant::now() {
            return None;
        }
        Some(Session {
            nonce: crate::control::discovery::random_hex().ok()?,
            issued: crate::support::clock::epoch_secs(),
        })
    }

    /// `Set-Cookie` for `session`: the browser sends it only to this page, never to a script
    /// and never from another site's page.
    pub(crate) fn cookie(&self, session: &Session) -> String {
        let value = format!("{}.{}", session.issued, session.nonce);
        format!(
            "{}={value}.{}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
            self.cookie,
            self.sign("session", &value),
            SESSION_LIFETIME.as_secs()
        )
    }

    /// The session the request's cookie proves, if it is signed with this token and not older
    /// than `SESSION_LIFETIME`.
    pub(crate) fn session(&self, headers: &HeaderMap) -> Option<Session> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|cookie| cookie.trim().strip_prefix(&self.cookie)?.strip_prefix('='))
            .find_map(|value| self.proven(value))
    }

    /// The session one cookie's value proves.
    fn proven(&self, value: &str) -> Option<Session> {
        let mut parts = value.splitn(3, '.');
        let (issued, nonce, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if !self.verify("session", &format!("{issued}.{nonce}"), signature) {
            return None;
        }
        let issued: u64 = issued.parse().ok()?;
        let age = crate::support::clock::epoch_secs().checked_sub(issued)?;
        (age < SESSION_LIFETIME.as_secs()).then(|| Session {
            nonce: nonce.to_owned(),
            issued,
        })
    }

    /// How long `session` has left.
    pub(crate) fn remaining(session: &Session) -> Duration {
        let age = crate::support::clock::epoch_secs().saturating_sub(session.issued);
        SESSION_LIFETIME.saturating_sub(Duration::from_secs(age))
    }

    /// The value a form of `session` carries to prove it comes from the page.
    pub(crate) fn csrf(&self, session: &Session) -> String {
        self.sign("csrf", &session.nonce)
    }

    /// `given` is the CSRF value of `session`.
    pub(crate) fn csrf_holds(&self, session: &Session, given: &str) -> bool {
        self.verify("csrf", &session.nonce, given)
    }

    /// The request names this service's own address (a page of another name that resolves to
    /// 127.0.0.1 is not answered).
    pub(crate) fn host_allowed(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .is_some_and(|host| self.hosts.iter().any(|own| own.eq_ignore_ascii_case(host)))
    }

    /// A state-changing request either names no origin or names this service.
    pub(crate) fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::ORIGIN).map(|origin| origin.to_str()) {
            None => true,
            Some(Ok(origin)) => origin
                .strip_prefix("http://")
                .is_some_and(|host| self.hosts.iter().any(|own| own.eq_ignore_ascii_case(host))),
            Some(Err(_)) => false,
        }
    }

    /// HMAC takes a key of any length: `None` does not happen.
    fn mac(&self, purpose: &str, value: &str) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.token.as_bytes()).ok()?;
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        Some(mac)
    }

    /// Empty only if there were no MAC (and an empty signature never verifies).
    fn sign(&self, purpose: &str, value: &str) -> String {
        self.mac(purpose, value)
            .map(|mac| hex(&mac.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// Compared in constant time.
    fn verify(&self, purpose: &str, value: &str, signature: &str) -> bool {
        let Some(bytes) = unhex(signature) else {
            return false;
        };
        self.mac(purpose, value)
            .is_some_and(|mac| mac.verify_slice(&bytes).is_ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn access(token: &str) -> Access {
        Access::new(token, "127.0.0.1:7878".parse().expect("an address"))
    }

    fn with_cookie(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        // What a browser sends back: the name and value, without the attributes.
        let pair = cookie.split(';').next().expect("a pair");
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).expect("a header"),
        );
        headers
    }

    #[test]
    fn a_cookie_of_another_port_or_a_bad_one_beside_opens_nothing_but_the_good_one_does() {
        let ours = access("t".repeat(64).as_str());
        let session = ours
            .redeem(&ours.issue().expect("a ticket"))
            .expect("a session");
        let cookie = ours.cookie(&session);
        let other = Access::new(
            &"t".repeat(64),
            "127.0.0.1:7879".parse().expect("an address"),
        );
        assert_eq!(
            other.session(&with_cookie(&cookie)),
            None,
            "another port's service"
        );
        let pair = cookie.split(';').next().expect("a pair");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("hotelcare_session_7878=1.2.3; {pair}"))
                .expect("a header"),
        );
        assert_eq!(ours.session(&headers), Some(session));
    }

    #[test]
    fn a_ticket_opens_one_session_once() {
        let access = access("t".repeat(64).as_str());
        let ticket = access.issue().expect("a ticket");
        assert!(access.redeem("0000").is_none());
        let session = access.redeem(&ticket).expect("a session");
        assert!(access.redeem(&ticket).is_none(), "a ticket is used once");
        let cookie = access.cookie(&session);
        assert!(
            cookie.contains("HttpOnly; SameSite=Strict; Path=/"),
            "{cookie}"
        );
        assert_eq!(access.session(&with_cookie(&cookie)), Some(session));
    }

    #[test]
    fn an_expired_ticket_opens_nothing() {
        let access = access("t".repeat(64).as_str());
        let ticket = access.issue().expect("a ticket");
        access
            .tickets
            .lock()
            .expect("not poisoned")
            .insert(ticket.clone(), Instant::now());
        assert!(access.redeem(&ticket).is_none());
    }

    #[test]
    fn a_new_token_ends_every_session_and_a_changed_cookie_is_refused() {
        let before = access("a".repeat(64).as_str());
        let session = before
            .redeem(&before.issue().expect("a ticket"))
            .expect("a session");
        let cookie = before.cookie(&session);
        let after = access("b".repeat(64).as_str());
        assert_eq!(after.session(&with_cookie(&cookie)), None);
        let forged = cookie.replacen(&session.issued.to_string(), "1", 1);
        assert_eq!(before.session(&with_cookie(&forged)), None);
        assert_eq!(before.session(&HeaderMap::new()), None);
    }

    #[test]
    fn an_old_session_has_ended() {
        let access = access("t".repeat(64).as_str());
        let old = Session {
            nonce: "ab".into(),
            issued: crate::support::clock::epoch_secs() - SESSION_LIFETIME.as_secs() - 1,
        };
        assert_eq!(access.session(&with_cookie(&access.cookie(&old))), None);
    }

    #[test]
    fn a_session_has_what_is_left_of_its_lifetime() {
        let fresh = Session {
            nonce: "ab".into(),
            issued: crate::support::clock::epoch_secs(),
        };
        assert!(
            Access::remaining(&fresh) > SESSION_LIFETIME.saturating_sub(Duration::from_secs(5))
        );
        let old = Session {
            nonce: "ab".into(),
            issued: crate::support::clock::epoch_secs() - SESSION_LIFETIME.as_secs() - 1,
        };
        assert_eq!(Access::remaining(&old), Duration::ZERO);
    }

    #[test]
    fn the_csrf_value_belongs_to_its_session() {
        let access = access("t".repeat(64).as_str());
        let one = access
            .redeem(&access.issue().expect("a ticket"))
            .expect("one");
        let two = access
            .redeem(&access.issue().expect("a ticket"))
            .expect("two");
        assert!(access.csrf_holds(&one, &access.csrf(&one)));
        assert!(!access.csrf_holds(&two, &access.csrf(&one)));
        assert!(!access.csrf_holds(&one, ""));
        assert!(!access.csrf_holds(&one, "zz"));
    }

    #[test]
    fn only_the_services_own_host_and_origin_are_answered() {
        let access = access("t".repeat(64).as_str());
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::HOST,
                HeaderValue::from_str(value).expect("a header"),
            );
            headers
        };
        assert!(access.host_allowed(&host("127.0.0.1:7878")));
        assert!(access.host_allowed(&host("localhost:7878")));
        assert!(!access.host_allowed(&host("evil.example:7878")));
        assert!(!access.host_allowed(&host("127.0.0.1:7879")));
        assert!(!access.host_allowed(&HeaderMap::new()));
        let origin = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_str(value).expect("a header"),
            );
            headers
        };
        assert!(access.origin_allowed(&HeaderMap::new()));
        assert!(access.origin_allowed(&origin("http://127.0.0.1:7878")));
        assert!(!access.origin_allowed(&origin("http://evil.example:7878")));
        assert!(!access.origin_allowed(&origin("null")));
    }
}
