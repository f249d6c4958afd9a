//! `hotelcare charges [EXT]`: the open stays' calls, totals and limits; `hotelcare charges
//! import FILE`: SMDR records read through the same path as the SMDR link. Both through the
//! running service when there is one.

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::arguments::Format;
use crate::cli::client::{Need, failed, with_backend, with_service};
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::queue::print_json;
use crate::config::Config;
use crate::control::protocol::{ChargesAnswer, Imported};
use crate::diagnostics::{Count, LocalTime};
use crate::support::output::out;

/// `charges [EXT]`: exit 0.
pub(crate) fn list(config: &Config, room: Option<&str>) -> Exit {
    with_backend(config, Need::Journal, false, async |client| {
        let answer = client.backend.charges(room).await.map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&answer);
        } else {
            out!("{}", describe(&answer));
        }
        Ok(Exit::Done)
    })
}

/// `charges import FILE`: exit 0 when every line was a record, 4 when some were not.
pub(crate) fn import(config: &Config, file: &Path, pbx: Option<&str>) -> Exit {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            return report(Error::Other(format!(
                "cannot read `{}`: {error}",
                file.display()
            )));
        }
    };
    // SMDR is ASCII; a line with anything else is refused with that reason, never guessed at.
    let text = String::from_utf8_lossy(&bytes);
    with_backend(config, Need::Journal, false, async |client| {
        let imported = client
            .backend
            .import_calls(&text, pbx)
            .await
            .map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&imported);
        } else {
            out!(
                "{}",
                describe_import(&imported, &file.display().to_string())
            );
        }
        Ok(if imported.refused.is_empty() {
            Exit::Done
        } else {
            Exit::Failed
        })
    })
}

/// `charges repost P#`: through the service (its FIAS link sends it).
pub(crate) fn repost(config: &Config, number: u64) -> Exit {
    with_service(config, async |client| {
        let said = client.backend.repost(number).await.map_err(failed)?;
        out!("{}\n", said.text);
        Ok(Exit::Done)
    })
    .unwrap_or_else(|| {
        report(Error::Other(
            "postings go out over the FIAS link inside `hotelcare serve`, which does not run for this state directory: start it".into(),
        ))
    })
}

fn describe(answer: &ChargesAnswer) -> String {
    let mut out = String::new();
    if answer.stays.is_empty() {
        out.push_str("no stay is open (a check-in begins one)\n");
    }
    for stay in &answer.stays {
        let _ = writeln!(
            out,
            "room {}  stay #{} since {}  total {} {}{}",
            stay.room,
            stay.stay,
            LocalTime(stay.since),
            stay.total,
            stay.limit.as_ref().map_or_else(
                || "(no limit)".to_owned(),
                |limit| format!("of limit {limit}")
            ),
            if stay.blocked {
                "  BLOCKED by the limit"
            } else {
                ""
            }
        );
        if stay.calls.is_empty() {
            out.push_str("  no charged calls\n");
        }
        for call in &stay.calls {
            let _ = writeln!(
                out,
                "  {}  {:<20} {:>3}:{:02}  {:<20} {:>10}  {}",
                call.start,
                call.number,
                call.duration_secs / 60,
                call.duration_secs % 60,
                call.tariff.as_deref().unwrap_or("(no tariff)"),
                call.amount,
                call.posting
            );
        }
    }
    out
}

fn describe_import(imported: &Imported, file: &str) -> String {
    let mut out = format!(
        "{file}: {} recorded, {} recorded before",
        Count(imported.new, "call"),
        imported.again
    );
    if imported.without_tariff > 0 {
        let _ = write!(
            out,
            "; {} matched no tariff (charged 0: `hotelcare charges` shows the numbers; add a `[[charges.tariff]]` for their prefix)",
            Count(imported.without_tariff, "call")
        );
    }
    if imported.refused.is_empty() {
        out.push('\n');
        return out;
    }
    let _ = writeln!(
        out,
        ", {} not a record:",
        Count(imported.refused.len(), "line")
    );
    for refused in &imported.refused {
        let _ = writeln!(out, "  {file}:{}: {}", refused.line, refused.reason);
    }
    out
}
