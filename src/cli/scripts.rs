//! Script files as the CLI reads them: by path, or `-` for standard input, each readable twice
//! (once to validate the whole run, once to execute it).

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use crate::cli::arguments::Format;
use crate::cli::error::{Error, report};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::summary::print_summary;
use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::{DiagnosticRecord, render};
use crate::lang::compile::{Event, Summary, compile, decode};
use crate::lang::validate::Validator;
use crate::support::output::{errln, outln};

/// One script of a run.
#[derive(Clone)]
pub(crate) enum Script {
    File(PathBuf),
    /// Standard input, read once into memory (bytes: decoded like a file).
    Stdin(Vec<u8>),
    /// A command made from command-line arguments (`show EXT`), named for messages.
    Inline {
        name: &'static str,
        text: String,
    },
}

impl Script {
    pub(crate) fn open_all(paths: &[PathBuf]) -> io::Result<Vec<Script>> {
        paths
            .iter()
            .map(|path| {
                if path == Path::new("-") {
                    let mut bytes = Vec::new();
                    io::stdin().read_to_end(&mut bytes)?;
                    Ok(Script::Stdin(bytes))
                } else {
                    Ok(Script::File(path.clone()))
                }
            })
            .collect()
    }

    /// How the script is named in messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Stdin(_) => "<stdin>".into(),
            Self::Inline { name, .. } => (*name).to_owned(),
        }
    }

    /// The script's bytes, for its content stamp; `None` for a command line (`show`).
    pub(crate) fn bytes(&self) -> io::Result<Option<Vec<u8>>> {
        Ok(match self {
            Self::File(path) => Some(std::fs::read(path)?),
            Self::Stdin(bytes) => Some(bytes.clone()),
            Self::Inline { .. } => None,
        })
    }

    /// The script's text as UTF-8 lines, decoded from `encoding` (a byte order mark wins).
    pub(crate) fn reader(&self, encoding: ScriptEncoding) -> io::Result<Box<dyn BufRead + '_>> {
        Ok(match self {
            Self::File(path) => Box::new(decode(File::open(path)?, encoding)),
            Self::Stdin(bytes) => Box::new(decode(bytes.as_slice(), encoding)),
            Self::Inline { text, .. } => Box::new(text.as_bytes()),
        })
    }
}

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
    let (summary, records) = validate_all(
        scripts,
        &mut Validator::new(config),
        config.run.script_encoding,
        color,
    )?;
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
