//! The control core and its protocol: `local::Local` carries commands out (journal, engine,
//! hub of events, drainer) and answers every request of the control protocol (`protocol`);
//! `backend::Backend` is what the command line and the REPL are written against, once, and is
//! either that core in this process or the running service reached over its API (`remote`,
//! found through `discovery`). `hub` turns engine events into what listeners get; `metrics`
//! counts them; `links` keeps each link's state; `drainer` runs the journal's commands.

pub(crate) mod awaited;
pub(crate) mod backend;
pub(crate) mod charges;
pub(crate) mod discovery;
pub(crate) mod drainer;
pub(crate) mod hub;
pub(crate) mod links;
pub(crate) mod local;
pub(crate) mod metrics;
pub(crate) mod protocol;
pub(crate) mod remote;
