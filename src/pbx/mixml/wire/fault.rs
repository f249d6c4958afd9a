//! `Fault`: what the PBX said when it refused a request (a SOAP 1.1 fault with MiXML detail).

use std::fmt::{self, Display, Formatter};

use crate::pbx::mixml::wire::names;

/// The MiXML fault codes we model, and what they mean for a retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FaultCode {
    AuthenticationFailed,
    Busy,
    DidInUse,
    InternalError,
    MalformedRequest,
    SessionInvalid,
    UnknownDirectoryNumber,
    ValueRefused,
    /// A code this model does not know; kept verbatim for the message.
    Other(String),
}

impl FaultCode {
    pub(crate) fn from_wire(code: &str) -> Self {
        match code {
            names::AUTHENTICATION_FAILED => Self::AuthenticationFailed,
            names::BUSY => Self::Busy,
            names::DID_IN_USE => Self::DidInUse,
            names::INTERNAL_ERROR => Self::InternalError,
            names::MALFORMED_REQUEST => Self::MalformedRequest,
            names::SESSION_INVALID => Self::SessionInvalid,
            names::UNKNOWN_DIRECTORY_NUMBER => Self::UnknownDirectoryNumber,
            names::VALUE_REFUSED => Self::ValueRefused,
            other => Self::Other(other.to_owned()),
        }
    }

    pub(crate) fn as_wire(&self) -> &str {
        match self {
            Self::AuthenticationFailed => names::AUTHENTICATION_FAILED,
            Self::Busy => names::BUSY,
            Self::DidInUse => names::DID_IN_USE,
            Self::InternalError => names::INTERNAL_ERROR,
            Self::MalformedRequest => names::MALFORMED_REQUEST,
            Self::SessionInvalid => names::SESSION_INVALID,
            Self::UnknownDirectoryNumber => names::UNKNOWN_DIRECTORY_NUMBER,
            Self::ValueRefused => names::VALUE_REFUSED,
            Self::Other(code) => code,
        }
    }
}

/// A refusal from the PBX. `field` is the wire name of the field at fault, if the PBX named one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) code: FaultCode,
    /// The PBX's own words (`faultstring`).
    pub(crate) message: String,
    pub(crate) directory_number: Option<String>,
    pub(crate) field: Option<String>,
    /// For `DidInUse`: the directory number that holds the DID.
    pub(crate) owner: Option<String>,
}

impl Display for Fault {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_wire())
    }
}
