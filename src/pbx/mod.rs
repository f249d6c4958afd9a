//! The wires to the PBX: one folder per interface, each a `Wire` of the engine: `mixml` (our
//! model of MiVB's provisioning interface, reads and DIDs included) and `mitel_pms` (the
//! documented Mitel PMS protocol: no reads, no DIDs). `registry` has a row per wire; the rest of
//! hotelcare asks it, and never names a wire.

pub(crate) mod mitel_pms;
pub(crate) mod mixml;

// What the compile benchmark measures of the lowering.
pub use mixml::lower::operations;
pub(crate) mod registry;
