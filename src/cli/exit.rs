//! `Exit`: the process exit codes of BRIEF §7, for the PMS middleware that runs hotelcare.

use std::process::ExitCode;

/// Sorted by code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Exit {
    /// Everything done.
    Done = 0,
    /// A script is invalid; nothing was run.
    Invalid = 1,
    /// Bad command line or configuration.
    Usage = 2,
    /// The PBX is unreachable; commands are queued in the journal.
    Queued = 3,
    /// Some commands failed (the PBX refused them); see the monitor and `hotelcare queue list`.
    Failed = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}
