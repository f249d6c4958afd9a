//! `hotelcare status`: the service, each PBX link, the FIAS link, the queue, the journal and the
//! last problem on one screen (`--format json` for programs); exit 0 only if all is well, so that
//! monitoring can call it.

use std::fmt::Write as _;

use crate::cli::arguments::Format;
use crate::cli::client::{Need, failed, with_backend};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::queue::print_json;
use crate::config::Config;
use crate::control::protocol::StatusAnswer;
use crate::diagnostics::LocalTime;
use crate::inputs::fias::status::LinkState;
use crate::support::output::out;

pub(crate) fn status(config: &Config) -> Exit {
    with_backend(config, Need::Journal, false, async |client| {
        let status = client.backend.status().await.map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&status);
        } else {
            out!("{}", describe(&status));
        }
        Ok(if status.well {
            Exit::Done
        } else if status.failed > 0 {
            Exit::Failed
        } else {
            Exit::Queued
        })
    })
}

/// The screen.
fn describe(status: &StatusAnswer) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(match &status.service {
        Some(service) => format!("service:  running ({service})"),
        None => "service:  not running for this state directory (`hotelcare serve`)".to_owned(),
    });
    for pbx in &status.pbxs {
        let state = match pbx.reachable {
            Some(true) => "answers",
            Some(false) => "DOES NOT ANSWER",
            None => "not known without the service (`hotelcare test-access` asks it)",
        };
        line(format!("PBX {}:  {} — {state}", pbx.name, pbx.target));
    }
    if let Some(fias) = &status.fias {
        let state = match fias.state {
            LinkState::Up => "up".to_owned(),
            LinkState::Down => format!(
                "DOWN{}",
                fias.last_error
                    .as_deref()
                    .map(|why| format!(" ({why})"))
                    .unwrap_or_default()
            ),
            LinkState::Connecting => "connecting".to_owned(),
        };
        line(format!("FIAS:     {} — {state}", fias.server));
    }
    let mut queue = format!(
        "queue:    {} pending, {} failed",
        status.pending, status.failed
    );
    if let Some(oldest) = &status.oldest_pending {
        let _ = write!(queue, "; the oldest: {oldest}");
    }
    if status.failed > 0 {
        queue.push_str(" (`hotelcare queue list`)");
    }
    line(queue);
    if let Some(bytes) = status.journal_bytes {
        line(format!("journal:  {} kB", bytes.div_ceil(1024)));
    }
    if let Some(fault) = &status.journal_fault {
        line(format!(
            "journal:  CANNOT BE WRITTEN since {} ({}): free space on its disk",
            LocalTime(fault.since),
            fault.error
        ));
    }
    if let Some((problem, at)) = &status.last_problem {
        line(format!("last problem ({}): {problem}", LocalTime(*at)));
    }
    line(if status.well {
        "all is well".to_owned()
    } else {
        "NOT all is well".to_owned()
    });
    out
}
