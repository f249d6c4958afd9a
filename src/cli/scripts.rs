//! Script files as the CLI reads them: by path, or `-` for standard input, each readable twice
//! (once to validate the whole run, once to execute it).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::cli::exit::Exit;
use crate::compile::{Event, Summary, compile};
use crate::diagnostics::render;
use crate::validate::Validator;

/// One script of a run.
#[derive(Clone)]
pub(crate) enum Script {
    File(PathBuf),
    /// Standard input, read once into memory.
    Stdin(String),
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
                    let mut text = String::new();
                    io::stdin().read_to_string(&mut text)?;
                    Ok(Script::Stdin(text))
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

    pub(crate) fn reader(&self) -> io::Result<Box<dyn BufRead + '_>> {
        Ok(match self {
            Self::File(path) => Box::new(BufReader::with_capacity(64 * 1024, File::open(path)?)),
            Self::Stdin(text) | Self::Inline { text, .. } => Box::new(text.as_bytes()),
        })
    }
}

/// A script that could not be read: names the file and what the system said.
pub(crate) fn read_error(script: &Script, error: &io::Error) -> String {
    format!("error: cannot read `{}`: {error}", script.name())
}

/// The exit code of a read error: text that is not UTF-8 is an invalid script (1); a file that
/// is missing or unreadable is a usage error (2).
fn read_exit(error: &io::Error) -> Exit {
    if error.kind() == io::ErrorKind::InvalidData {
        Exit::Invalid
    } else {
        Exit::Usage
    }
}

/// Validates every script of a run in order with one validator, printing every diagnostic to
/// stderr. `Err` is a read error, already reported.
pub(crate) fn validate_all(
    scripts: &[Script],
    validator: &mut Validator<'_>,
    color: bool,
) -> Result<Summary, Exit> {
    let fail = |script: &Script, error: &io::Error| {
        eprintln!("{}", read_error(script, error));
        read_exit(error)
    };
    let mut total = Summary::default();
    for script in scripts {
        let name = script.name();
        let reader = script.reader().map_err(|e| fail(script, &e))?;
        let summary = compile(&name, reader, validator, &mut |event| {
            if let Event::Diagnostic { diagnostic, source } = event {
                eprintln!("{}", render(&diagnostic, &source, color));
            }
        })
        .map_err(|e| fail(script, &e))?;
        total.add(summary);
    }
    Ok(total)
}
