//! What every layer uses and nothing here depends on: private files (`files`), certificate fingerprints (`fingerprint`), the log files
//! (`logs`), printing that never panics (`output`) and HTTP connections with time limits
//! (`serving`).

pub(crate) mod audience;
pub(crate) mod clock;
pub(crate) mod files;
pub(crate) mod fingerprint;
pub(crate) mod logs;
pub(crate) mod output;
pub(crate) mod serving;
pub(crate) mod shown;
