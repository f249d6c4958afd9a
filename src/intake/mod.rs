//! Where commands enter the journal: a script accepted whole and once, a batch of typed commands
//! built from outside data (`acceptance`), and the fix that makes the PBXs match the expected
//! room state (`reconcile`).

pub(crate) mod acceptance;
pub(crate) mod house;
pub(crate) mod reconcile;
pub(crate) mod script;
