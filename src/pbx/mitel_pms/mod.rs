//! The Mitel PMS wire: the documented hotel/motel Property Management System interface of MiVB
//! (and the 3300 ICP and SX-2000 before it, and PBXs that emulate it), as the PMS side speaks
//! it (`../shared/spec/mitel-pms-protocol.md`). `frame` is the records and their bytes, `link`
//! the session layer over TCP, `driver` the engine's `Wire`: which records a command sends, `row`
//! its row of the registry.
//! This wire cannot read the PBX: what a command needs to know of a room (is it occupied, who
//! is in it for a move) comes from the expected room state in the journal.

pub(crate) mod driver;
pub(crate) mod frame;
pub(crate) mod link;
mod row;
pub(crate) mod rules;
pub(crate) mod unsolicited;

pub(crate) use driver::MitelPmsDriver;
pub(crate) use row::WIRE;
