//! `Transport`: how the MiXML driver reaches a PBX: the HTTPS client (`client`), which talks to
//! a real MiVB or to the simulator. The errors say what failed in the vendor's "Error analysis"
//! terms, and how to recover (`Recovery`).

use std::fmt::{self, Display, Formatter};
use std::future::Future;
use std::time::Duration;

use crate::engine::Raw;
use crate::pbx::mixml::wire::{Fault, FaultCode, Request, Response};

/// Sends MiXML requests within one logged-in session.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Sends `request`, logging in first when there is no session (or it expired). With `raw`,
    /// the reply carries the envelopes, the password masked.
    fn call(
        &self,
        request: &Request<'_>,
        raw: bool,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send;

    /// Forgets the session and logs in again: the vendor's "Test access".
    fn login(&self, raw: bool) -> impl Future<Output = Result<Reply, TransportError>> + Send;

    /// `user@address`, for messages.
    fn target(&self) -> String;

    /// Ends the session (best effort: a PBX that is gone has ended it anyway).
    fn log_out(&self) -> impl Future<Output = ()> + Send;
}

/// A request the PBX carried out.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) response: Response,
    /// A login was needed first (the session was new or had expired).
    pub(crate) logged_in: bool,
    /// The envelopes sent and received, with `raw`.
    pub(crate) raw: Option<Raw>,
}

/// Why a request did not come back with an answer the PBX carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TransportError {
    /// The connection could not be made.
    Connect {
        address: String,
        cause: ConnectCause,
        detail: String,
    },
    /// No complete answer within `timeout_secs`.
    Timeout { address: String, after: Duration },
    /// The connection broke before the answer was complete.
    Dropped { address: String, detail: String },
    /// The TLS certificate of the PBX is not trusted.
    Certificate { address: String, detail: String },
    /// An HTTP status without a MiXML answer (a proxy, a web server that is not the MiVB).
    Http {
        address: String,
        status: u16,
        excerpt: String,
    },
    /// The server answered with a redirect (never followed: it would re-send the password).
    Redirect {
        address: String,
        status: u16,
        location: String,
    },
    /// An answer that is not MiXML as we know it.
    Malformed { address: String, detail: String },
    /// The PBX refused the login: wrong user name or password.
    Authentication { address: String, user: String },
    /// The PBX refused the request.
    Fault(Fault),
}

/// How a connection failed, as the vendor's "Error analysis" distinguishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnectCause {
    /// The name does not resolve.
    Dns,
    /// Nothing listens at the address.
    Refused,
    /// The address does not answer.
    TimedOut,
    Other,
}

/// What to do after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// Try the same request again after a pause (all sets are absolute, so that is safe).
    Retry,
    /// This command cannot succeed as it is; go on with the others.
    FailCommand,
    /// No command can succeed until someone fixes the configuration (credentials, trust).
    Stop,
}

impl TransportError {
    pub(crate) fn recovery(&self) -> Recovery {
        match self {
            Self::Connect { .. }
            | Self::Timeout { .. }
            | Self::Dropped { .. }
            | Self::Malformed { .. } => Recovery::Retry,
            Self::Http { status, .. } if *status >= 500 => Recovery::Retry,
            Self::Http { .. }
            | Self::Redirect { .. }
            | Self::Certificate { .. }
            | Self::Authentication { .. } => Recovery::Stop,
            Self::Fault(fault) => match fault.code {
                FaultCode::Busy | FaultCode::InternalError | FaultCode::SessionInvalid => {
                    Recovery::Retry
                }
                FaultCode::AuthenticationFailed => Recovery::Stop,
                FaultCode::DidInUse
                | FaultCode::MalformedRequest
                | FaultCode::UnknownDirectoryNumber
                | FaultCode::ValueRefused
                | FaultCode::Other(_) => Recovery::FailCommand,
            },
        }
    }

    /// `true` when the PBX could not be reached at all (for "commands queued" messages).
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. } | Self::Timeout { .. } | Self::Dropped { .. }
        )
    }
}

impl Display for TransportError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect {
                address,
                cause,
                detail,
            } => match cause {
                ConnectCause::Dns => write!(
                    f,
                    "cannot resolve the PBX name in `{address}` ({detail}); check `server` in [pbx] (or [pbx.NAME])"
                ),
                ConnectCause::Refused => write!(
                    f,
                    "the PBX at {address} refused the connection; check `server` (address and port) in [pbx] (or [pbx.NAME]) and that MiXML is enabled"
                ),
                ConnectCause::TimedOut => write!(
                    f,
                    "the PBX at {address} does not answer (connection timed out); check `server` in [pbx] (or [pbx.NAME]) and the network"
                ),
                ConnectCause::Other => {
                    write!(f, "cannot connect to the PBX at {address}: {detail}")
                }
            },
            Self::Timeout { address, after } => write!(
                f,
                "the PBX at {address} did not answer within {} s (`timeout_secs`), so the action counts as failed; check the network and the PBX's load (raise `timeout_secs` only after consulting your PBX technician)",
                after.as_secs_f64()
            ),
            Self::Dropped { address, detail } => {
                write!(
                    f,
                    "the connection to the PBX at {address} broke off: {detail}"
                )
            }
            Self::Certificate { address, detail } => write!(
                f,
                "the TLS certificate of the PBX at {address} is not trusted ({detail}); give the PBX's CA as `ca_file` or its certificate fingerprint as `pin_sha256` in [pbx] (or [pbx.NAME])"
            ),
            Self::Http {
                address,
                status,
                excerpt,
            } => write!(
                f,
                "the server at {address} answered HTTP {status} instead of MiXML ({excerpt}); check that `server` is the MiVB"
            ),
            Self::Redirect {
                address,
                status,
                location,
            } => write!(
                f,
                "the server at {address} answered HTTP {status}, a redirect to `{location}`, which hotelcare does not follow (it would send the password there); check that `server` is the MiVB's own address"
            ),
            Self::Malformed { address, detail } => {
                write!(
                    f,
                    "the PBX at {address} sent an answer hotelcare cannot read: {detail}"
                )
            }
            Self::Authentication { address, user } => write!(
                f,
                "the PBX at {address} refused the login of user `{user}`: wrong user name or password; check `user` and the password in [pbx] (or [pbx.NAME]) (the MiXML user of System Administration -> User Authorization Profiles)"
            ),
            Self::Fault(fault) => write!(f, "the PBX refused: {fault}"),
        }
    }
}

impl std::error::Error for TransportError {}
