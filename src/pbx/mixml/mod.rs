//! The MiXML wire as a driver: `lower` turns a checked command into MiXML operations,
//! `crate::pbx::mixml::wire` writes and reads the envelopes, `crate::pbx::mixml::client` carries them over HTTPS
//! (`Transport`), and `driver` runs the operations for the engine. `describe` says how its
//! operations and values look in the monitor and in `plan`.

pub mod client;
pub mod describe;
pub(crate) mod driver;
pub mod lower;
mod row;
pub mod transport;
pub mod wire;

pub(crate) use row::WIRE;

pub use driver::{MixmlDriver, Reads};
pub use transport::{ConnectCause, Recovery, Reply, Transport, TransportError};
