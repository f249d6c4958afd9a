//! Why an exchange with the PBX failed -> `TransportError`: which of the vendor's "Error
//! analysis" cases it is.

use std::error::Error;
use std::io;

use crate::pbx::mixml::{ConnectCause, TransportError};

/// Classifies a connection to the PBX at `address` that could not be made: TCP or TLS, as the
/// connector said (the timeout is the caller's).
pub(crate) fn connect(error: &(dyn Error + 'static), address: &str) -> TransportError {
    if let Some(detail) = certificate_problem(error) {
        return TransportError::Certificate {
            address: address.to_owned(),
            detail,
        };
    }
    let chain = chain(error);
    let cause = match io_kind(error) {
        Some(io::ErrorKind::ConnectionRefused) => ConnectCause::Refused,
        Some(io::ErrorKind::TimedOut) => ConnectCause::TimedOut,
        _ if chain.contains("dns error") || chain.contains("failed to lookup address") => {
            ConnectCause::Dns
        }
        _ => ConnectCause::Other,
    };
    let mut detail = innermost(error);
    if chain.contains("corrupt message") || chain.contains("InvalidContentType") {
        detail.push_str(" (the server does not speak TLS: if it is plain HTTP, write `server = \"http://...\"`)");
    }
    TransportError::Connect {
        address: address.to_owned(),
        cause,
        detail,
    }
}

/// The connection broke, or the answer was not HTTP, after it was made.
pub(crate) fn dropped(error: &(dyn Error + 'static), address: &str) -> TransportError {
    let chain = chain(error);
    let mut detail = innermost(error);
    // The two ways to get the scheme wrong, in words a technician can act on.
    if chain.contains("invalid HTTP version") || chain.contains("InvalidContentType") {
        detail.push_str(" (is the server plain HTTP, or HTTPS? `server` may start with `http://` or `https://`)");
    }
    TransportError::Dropped {
        address: address.to_owned(),
        detail,
    }
}

/// Every message of the error's source chain, joined.
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The most specific message in the chain (what the operating system or TLS said).
fn innermost(error: &(dyn Error + 'static)) -> String {
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// The kind of the first `io::Error` in the chain, `error` itself included.
fn io_kind(error: &(dyn Error + 'static)) -> Option<io::ErrorKind> {
    let mut source = Some(error);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// The rustls error inside `error`, looking through `io::Error`s wrapped in `io::Error`s (as
/// hyper-util wraps them: their `source()` skips the error they wrap).
fn tls_error<'e>(error: &'e (dyn Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = error.downcast_ref::<io::Error>()?.get_ref()?;
    tls_error(inner)
}

/// What is wrong with the PBX's certificate, if that is why the connection failed.
fn certificate_problem(error: &(dyn Error + 'static)) -> Option<String> {
    let mut source = Some(error);
    while let Some(s) = source {
        if let Some(tls) = tls_error(s) {
            match tls {
                // Our own verifier's words (a pin that does not match), not rustls's Debug.
                rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
                    return Some(other.0.to_string());
                }
                rustls::Error::InvalidCertificate(_) | rustls::Error::General(_) => {
                    return Some(tls.to_string());
                }
                _ => {}
            }
        }
        source = s.source();
    }
    // Some layers wrap the TLS error in a type of their own; rustls's words are still there.
    let text = chain(error);
    text.contains("invalid peer certificate")
        .then(|| innermost(error))
}
