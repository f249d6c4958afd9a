//! `hotelcare fias status | resync [--dry-run | --confirm]`: the FIAS link of the running
//! service. The link lives inside `hotelcare serve`; these ask it through the API.

use std::fmt::Write as _;

use crate::cli::arguments::Format;
use crate::cli::client::{failed, with_service};
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::queue::print_json;
use crate::config::Config;
use crate::diagnostics::LocalTime;
use crate::inputs::fias::resync::ResyncReport;
use crate::inputs::fias::status::{LinkState, LinkStatus};
use crate::support::output::outln;

/// What `hotelcare fias` says when no service runs.
const NO_SERVICE: &str = "the FIAS link runs inside `hotelcare serve`, which does not run for this state directory: start it (with `[fias]` in the configuration)";

/// `fias status`: exit 0 while the link is up, 3 while it is not.
pub(crate) fn status(config: &Config) -> Exit {
    with_service(config, async |client| {
        let status = client.backend.fias_status().await.map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&status);
        } else {
            outln!("{}", describe_status(&status).trim_end());
        }
        Ok(if status.state == LinkState::Up {
            Exit::Done
        } else {
            Exit::Queued
        })
    })
    .unwrap_or_else(|| report(Error::Other(NO_SERVICE.into())))
}

/// `fias resync`: exit 0 when the resync ran (its report printed), 3 when the link is down.
pub(crate) fn resync(config: &Config, dry_run: bool, confirm: bool) -> Exit {
    with_service(config, async |client| {
        let report = client
            .backend
            .fias_resync(dry_run, confirm)
            .await
            .map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&report);
        } else {
            outln!("{}", describe_resync(&report, confirm).trim_end());
        }
        Ok(Exit::Done)
    })
    .unwrap_or_else(|| report(Error::Other(NO_SERVICE.into())))
}

fn describe_status(status: &LinkStatus) -> String {
    let mut out = String::new();
    let state = match status.state {
        LinkState::Up => "up",
        LinkState::Down => "down",
        LinkState::Connecting => "connecting",
    };
    let _ = write!(
        out,
        "FIAS link to the PMS at {}: {state} since {}",
        status.server,
        LocalTime(status.since)
    );
    if let Some(why) = &status.last_error {
        let _ = write!(out, " ({why})");
    }
    if let Some(next) = status.next_try {
        let _ = write!(out, "; next try at {}", LocalTime(next));
    }
    out.push('\n');
    match &status.last_record {
        Some(record) => {
            let _ = writeln!(
                out,
                "last record: {} at {} ({})",
                record.kind,
                LocalTime(record.at),
                record.outcome.label()
            );
        }
        None => out.push_str("last record: none since the service started\n"),
    }
    match &status.last_resync {
        Some(resync) => {
            let _ = writeln!(
                out,
                "last resync: {}: {} occupied room(s) at the PMS, {} difference(s), {} command(s) journaled{}",
                LocalTime(resync.at),
                resync.occupied,
                resync.differences.len(),
                resync.journaled,
                resync
                    .error
                    .as_deref()
                    .map(|why| format!("; not applied: {why}"))
                    .unwrap_or_default()
            );
        }
        None => out.push_str("last resync: none since the service started\n"),
    }
    if !status.held.is_empty() {
        let _ = writeln!(
            out,
            "held check-outs: {} room(s) the PMS has vacant: {}\n  `hotelcare fias resync --confirm` checks them out; a new resync compares again",
            status.held.len(),
            status.held.join(", ")
        );
    }
    out
}

fn describe_resync(report: &ResyncReport, confirm: bool) -> String {
    let mut out = String::new();
    if confirm {
        let _ = writeln!(
            out,
            "{} held check-out(s) journaled: {}",
            report.journaled,
            report.differences.join("; ")
        );
        return out;
    }
    let _ = writeln!(
        out,
        "FIAS resync{}: {} occupied room(s) at the PMS, {} difference(s)",
        if report.dry_run { " (dry run)" } else { "" },
        report.occupied,
        report.differences.len()
    );
    for difference in &report.differences {
        let _ = writeln!(out, "  {difference}");
    }
    if let Some(why) = &report.error {
        let _ = writeln!(out, "the fixes were not applied: {why}");
    } else if report.dry_run {
        out.push_str("nothing was journaled (dry run)\n");
    } else {
        let _ = writeln!(out, "{} command(s) journaled", report.journaled);
    }
    if !report.held.is_empty() {
        let _ = writeln!(
            out,
            "{} check-outs {}: more than the limit of {} (`[fias] resync_checkout_limit`): {}\n  if the PMS's house is right, `hotelcare fias resync --confirm` checks them out",
            report.held.len(),
            if report.dry_run {
                "would be held"
            } else {
                "are held"
            },
            report.limit.unwrap_or_default(),
            report.held.join(", ")
        );
    }
    out
}
