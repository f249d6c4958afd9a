//! The wires to the PBX: one folder per interface, each a `Driver` of the engine. Today MiXML
//! (`mixml`: our model of MiVB's provisioning interface, reads and DIDs included).

pub mod mixml;
