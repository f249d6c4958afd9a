//! The MiXML wire as a driver: `lower` turns a checked command into MiXML operations,
//! `crate::pbx::mixml::wire` writes and reads the envelopes, `crate::pbx::mixml::client` carries them over HTTPS
//! (`Transport`), and `driver` runs the operations for the engine. `describe` says how its
//! operations and values look in the monitor and in `plan`.

pub(crate) mod client;
pub(crate) mod describe;
pub(crate) mod driver;
pub(crate) mod lower;
mod row;
pub(crate) mod rules;
pub(crate) mod transport;
pub(crate) mod wire;

pub(crate) use row::WIRE;

pub(crate) use driver::MixmlDriver;
pub(crate) use transport::{ConnectCause, Reply, Transport, TransportError};
