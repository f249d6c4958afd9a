//! The inputs of the service and the command line: the control API (`api`), the hotel's PMS over
//! FIAS (`fias`), the spool directory (`spool`) and the REPL (`repl`). Each turns what it is given
//! into checked commands through `intake`, and never into script text built from outside data.

pub(crate) mod api;
pub(crate) mod fias;
pub(crate) mod repl;
pub(crate) mod smdr;
pub(crate) mod spool;
