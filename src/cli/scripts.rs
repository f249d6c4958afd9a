//! Script files as the CLI checks them before anything runs (`intake::script::Script` is a
//! script of a run: a file, standard input or a command line).

use std::io;

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::summary::print_summary;
use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::{DiagnosticRecord, render};
pub(crate) use crate::intake::script::Script;
use crate::lang::compile::{Event, Summary, compile};
use crate::lang::validate::Validator;
use crate::support::output::{errln, outln};

/// A script that could not be read: names the file and what the system said (its exit code:
/// text that is not in the script's encoding is an invalid script, 1; a file that is missing or
/// unreadable is a usage error, 2).
pub(crate) fn read_error(script: &Script, error: io::Error) -> Error {
    Error::Script {
        name: script.name(),
        error,
    }
}

/// Validates every script of a run in order with one validator, printing every diagnostic to
/// stderr; with `--format json` they are returned as records instead. `Err` is a read error,
/// already reported.
pub(crate) fn validate_all(
    scripts: &[Script],
    validator: &mut Validator<'_>,
    encoding: ScriptEncoding,
    color: bool,
) -> Result<(Summary, Vec<DiagnosticRecord>), Exit> {
    let json = output_format() == Format::Json;
    let mut records = Vec::new();
    let fail = |script: &Script, error: io::Error| report(read_error(script, error));
    let mut total = Summary::default();
    for script in scripts {
        let name = script.name();
        let reader = script.reader(encoding).map_err(|e| fail(script, e))?;
        let summary = compile(&name, reader, validator, &mut |event| {
            if let Event::Diagnostic { diagnostic, source } = event {
                if json {
                    records.push(DiagnosticRecord::new(&diagnostic, &source));
                } else {
                    errln!("{}", render(&diagnostic, &source, color));
                }
            }
        })
        .map_err(|e| fail(script, e))?;
        total.add(summary);
    }
    Ok((total, records))
}

/// `validate_all` for commands that go on to run or plan: the diagnostics go to stderr (or as
/// JSON lines to stdout); `Err` is the exit code of a script that cannot be read or is invalid
/// (after the summary line, which ends with `consequence`).
pub(crate) fn validated(
    scripts: &[Script],
    config: &Config,
    color: bool,
    consequence: &str,
) -> Result<Summary, Exit> {
    let mut validator = Validator::new(config);
    if let Some(house) = crate::cli::client::house(config) {
        validator = validator.knowing(house);
    }
    let (summary, records) =
        validate_all(scripts, &mut validator, config.run.script_encoding, color)?;
    print_diagnostic_lines(&records);
    if summary.errors > 0 {
        return Err(print_summary(&summary, consequence));
    }
    Ok(summary)
}

/// Diagnostics as JSON lines (`{"type":"diagnostic", ...}`), for the streams of `plan` and `run`.
fn print_diagnostic_lines(records: &[DiagnosticRecord]) {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(flatten)]
        record: &'a DiagnosticRecord,
    }
    for record in records {
        if let Ok(text) = serde_json::to_string(&Line {
            kind: "diagnostic",
            record,
        }) {
            outln!("{text}");
        }
    }
}
