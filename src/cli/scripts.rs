//! Script files as the CLI checks them before anything runs (`intake::script::Script` is a
//! script of a run: a file, standard input or a command line).

use std::io::{self, BufRead};
use std::sync::Arc;

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::summary::print_summary;
use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::{DiagnosticRecord, render};
pub(crate) use crate::intake::script::Script;
use crate::intake::script::{CheckedScript, KEEP_BYTES};
use crate::lang::compile::{Event, Summary, compile, decode};
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
/// already reported. With `keep`, when the scripts are small enough (`KEEP_BYTES` in all), each
/// is returned as a `Script::Checked` with its commands (read once; the run journals those
/// instead of checking it again); else they are returned as they were given.
pub(crate) fn validate_all(
    scripts: &[Script],
    validator: &mut Validator<'_>,
    encoding: ScriptEncoding,
    color: bool,
    keep: bool,
) -> Result<Validated, Exit> {
    let json = output_format() == Format::Json;
    let mut records = Vec::new();
    let fail = |script: &Script, error: io::Error| report(read_error(script, error));
    let mut total = Summary::default();
    let mut checked = Vec::with_capacity(scripts.len());
    // What may still be kept of the run (`KEEP_BYTES` in all).
    let mut budget = if keep { KEEP_BYTES } else { 0 };
    for script in scripts {
        let name = script.name();
        let held = if budget > 0 {
            script.small_bytes(budget).map_err(|e| fail(script, e))?
        } else {
            None
        };
        budget = match &held {
            Some(bytes) => budget.saturating_sub(bytes.len() as u64),
            // One script streams: all do (below), so nothing more is kept.
            None => 0,
        };
        let reader: Box<dyn BufRead + '_> = match &held {
            Some(bytes) => Box::new(decode(bytes.as_slice(), encoding)),
            None => script.reader(encoding).map_err(|e| fail(script, e))?,
        };
        let mut commands = Vec::new();
        let summary = compile(&name, reader, validator, &mut |event| match event {
            Event::Diagnostic { diagnostic, source } => {
                if json {
                    records.push(DiagnosticRecord::new(&diagnostic, &source));
                } else {
                    errln!("{}", render(&diagnostic, &source, color));
                }
            }
            Event::Command(command) => {
                if held.is_some() {
                    commands.push(command);
                }
            }
        })
        .map_err(|e| fail(script, e))?;
        total.add(summary);
        checked.push(match held {
            Some(bytes) => Script::Checked(Arc::new(CheckedScript {
                name,
                bytes,
                commands,
            })),
            None => script.clone(),
        });
    }
    // The scripts of a run share one validator, in order: if one of them is to be checked
    // again as it streams, all are, so that it is checked knowing the ones before it.
    if checked.iter().any(|script| script.commands().is_none()) {
        checked = scripts.to_vec();
    }
    Ok(Validated {
        summary: total,
        records,
        scripts: checked,
    })
}

/// What `validate_all` found.
pub(crate) struct Validated {
    pub(crate) summary: Summary,
    /// The diagnostics, with `--format json` (else they were printed).
    pub(crate) records: Vec<DiagnosticRecord>,
    /// The scripts, those kept with their commands as `Script::Checked`.
    pub(crate) scripts: Vec<Script>,
}

/// `validate_all` for commands that go on to run or plan: the diagnostics go to stderr (or as
/// JSON lines to stdout); `Err` is the exit code of a script that cannot be read or is invalid
/// (after the summary line, which ends with `consequence`). With the summary, the scripts to go
/// on with (small ones kept with their commands, see `validate_all`).
pub(crate) fn validated(
    scripts: &[Script],
    config: &Config,
    color: bool,
    consequence: &str,
) -> Result<(Summary, Vec<Script>), Exit> {
    let mut validator = Validator::new(config);
    if let Some(house) = crate::cli::client::house(config) {
        validator = validator.knowing(house);
    }
    let validated = validate_all(
        scripts,
        &mut validator,
        config.run.script_encoding,
        color,
        true,
    )?;
    print_diagnostic_lines(&validated.records);
    if validated.summary.errors > 0 {
        return Err(print_summary(&validated.summary, consequence));
    }
    Ok((validated.summary, validated.scripts))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(scripts: &[Script]) -> Validated {
        let config = Config::builtin();
        let mut validator = Validator::new(&config);
        validate_all(
            scripts,
            &mut validator,
            config.run.script_encoding,
            false,
            true,
        )
        .expect("the scripts read")
    }

    fn lines(script: &Script) -> Option<Vec<usize>> {
        script
            .commands()
            .map(|commands| commands.iter().map(|c| c.line).collect())
    }

    #[test]
    fn small_scripts_are_kept_with_their_commands_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tonight.hc");
        std::fs::write(&path, "CHECKOUT 1000\n# comment\nCHECKOUT 1001\n").unwrap();
        let validated = validate(&[
            Script::File(path.clone()),
            Script::Stdin(b"TEST\n".to_vec()),
        ]);
        assert_eq!(validated.summary.commands, 3);
        let [file, stdin] = validated.scripts.as_slice() else {
            panic!("two scripts");
        };
        assert_eq!(lines(file), Some(vec![1, 3]));
        assert_eq!(file.name(), path.display().to_string());
        assert_eq!(file.origin(3), format!("{}:3", path.display()));
        assert_eq!(
            file.bytes().unwrap().unwrap(),
            std::fs::read(&path).unwrap()
        );
        assert_eq!(lines(stdin), Some(vec![1]));
        assert_eq!(stdin.name(), "<stdin>");
    }

    #[test]
    fn one_script_too_large_to_keep_keeps_none() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.hc");
        std::fs::write(&small, "CHECKOUT 1000\n").unwrap();
        let large = dir.path().join("large.hc");
        let line = "# comment\n";
        let copies = usize::try_from(KEEP_BYTES).unwrap() / line.len() + 1;
        std::fs::write(&large, line.repeat(copies) + "CHECKOUT 1001\n").unwrap();
        let validated = validate(&[Script::File(small), Script::File(large)]);
        assert_eq!(validated.summary.commands, 2);
        assert!(
            validated
                .scripts
                .iter()
                .all(|script| matches!(script, Script::File(_)))
        );
    }

    #[test]
    fn scripts_over_the_limit_together_keep_none() {
        let dir = tempfile::tempdir().unwrap();
        let line = "# comment\n";
        let copies = usize::try_from(KEEP_BYTES).unwrap() / line.len() * 6 / 10;
        let scripts: Vec<Script> = ["a.hc", "b.hc"]
            .iter()
            .map(|name| {
                let path = dir.path().join(name);
                std::fs::write(&path, line.repeat(copies) + "CHECKOUT 1000\n").unwrap();
                Script::File(path)
            })
            .collect();
        let validated = validate(&scripts);
        assert_eq!(validated.summary.commands, 2);
        assert!(validated.scripts.iter().all(|s| s.commands().is_none()));
        // Each alone is kept.
        assert!(validate(&scripts[..1]).scripts[0].commands().is_some());
    }

    #[test]
    fn a_script_exactly_at_the_limit_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("limit.hc");
        let limit = usize::try_from(KEEP_BYTES).unwrap();
        let mut text = "CHECKOUT 1000\n".to_owned();
        while limit - text.len() > 64 {
            text.push_str(&"#".repeat(63));
            text.push('\n');
        }
        text.push_str(&"#".repeat(limit - text.len() - 1));
        text.push('\n');
        assert_eq!(text.len() as u64, KEEP_BYTES);
        std::fs::write(&path, &text).unwrap();
        let validated = validate(&[Script::File(path)]);
        assert_eq!(lines(&validated.scripts[0]), Some(vec![1]));
    }
}
