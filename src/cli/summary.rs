//! The one-line verdict after validation.

use crate::cli::exit::Exit;
use std::fmt::Write as _;

use crate::diagnostics::Count;
use crate::lang::compile::{MAX_DIAGNOSTICS_PER_LINE, MAX_DIAGNOSTICS_PER_SCRIPT, Summary};
use crate::support::output::errln;

/// Prints `ok: 4 commands` or `error: 2 errors; <consequence>`; returns `Invalid` on errors.
pub(crate) fn print_summary(summary: &Summary, consequence: &str) -> Exit {
    let mut warnings = if summary.warnings > 0 {
        format!(", {}", Count(summary.warnings, "warning"))
    } else {
        String::new()
    };
    if summary.suppressed > 0 {
        let _ = write!(
            warnings,
            " ({} not shown: at most {MAX_DIAGNOSTICS_PER_LINE} per line and {MAX_DIAGNOSTICS_PER_SCRIPT} per script are)",
            summary.suppressed
        );
    }
    if summary.errors > 0 {
        errln!(
            "error: {}{warnings}; {consequence}",
            Count(summary.errors, "error")
        );
        Exit::Invalid
    } else {
        errln!("ok: {}{warnings}", Count(summary.commands, "command"));
        Exit::Done
    }
}
