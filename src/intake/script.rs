//! A script of a run: a file by path, standard input (`-`), or a command made from command-line
//! arguments; each readable twice (once to check the whole run, once to journal it). A script
//! small enough to hold is read once and kept with its checked commands (`Checked`), so that
//! journaling it does not parse and check it a second time.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::ScriptEncoding;
use crate::lang::compile::decode;
use crate::lang::validate::Command;

/// The scripts of a run up to this size in all are read into memory once and keep their checked
/// commands (about 18,000 of the shortest, `CHECKOUT 1000`, a few MiB with their commands); a
/// run of more streams them, in constant memory.
pub(crate) const KEEP_BYTES: u64 = 256 * 1024;

/// A script read and checked whole, with its commands: what runs is exactly what was checked.
pub(crate) struct CheckedScript {
    pub(crate) name: String,
    /// As read, undecoded: its content hash, and its text for a service that checks it itself.
    pub(crate) bytes: Vec<u8>,
    pub(crate) commands: Vec<Command>,
}

/// One script of a run.
#[derive(Clone)]
pub(crate) enum Script {
    File(PathBuf),
    /// Standard input, read once into memory (bytes: decoded like a file).
    Stdin(Vec<u8>),
    /// A file or standard input checked whole without errors, with its commands.
    Checked(Arc<CheckedScript>),
    /// A command made from command-line arguments (`show EXT`), named for messages.
    Inline {
        name: &'static str,
        text: String,
    },
    /// A line typed into the REPL: its commands' origin is `source` itself (`repl:3`).
    Line {
        source: String,
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

    /// Where a command of the script at `line` comes from: `tonight.hc:3`, or the REPL's
    /// line itself.
    pub(crate) fn origin(&self, line: usize) -> String {
        match self {
            Self::Line { source, .. } => source.clone(),
            other => format!("{}:{line}", other.name()),
        }
    }

    /// How the script is named in messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Stdin(_) => "<stdin>".into(),
            Self::Checked(checked) => checked.name.clone(),
            Self::Inline { name, .. } => (*name).to_owned(),
            Self::Line { source, .. } => source.clone(),
        }
    }

    /// The script's bytes, for its content stamp; `None` for a command line (`show`).
    pub(crate) fn bytes(&self) -> io::Result<Option<Vec<u8>>> {
        Ok(match self {
            Self::File(path) => Some(std::fs::read(path)?),
            Self::Stdin(bytes) => Some(bytes.clone()),
            Self::Checked(checked) => Some(checked.bytes.clone()),
            Self::Inline { .. } | Self::Line { .. } => None,
        })
    }

    /// The commands a `Checked` script was checked into.
    pub(crate) fn commands(&self) -> Option<&[Command]> {
        match self {
            Self::Checked(checked) => Some(&checked.commands),
            _ => None,
        }
    }

    /// The bytes of a regular file or of standard input if they are at most `limit`, read once;
    /// `None` for a larger one, which streams, and for a pipe given by its path (`<(...)`),
    /// which is not read here: what it has read could not be read again.
    pub(crate) fn small_bytes(&self, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let small = |bytes: &[u8]| bytes.len() as u64 <= limit;
        Ok(match self {
            Self::File(path) => {
                let metadata = std::fs::metadata(path)?;
                if !metadata.is_file() || metadata.len() > limit {
                    return Ok(None);
                }
                // It may have grown since: at most one byte more than may be kept is read.
                let mut bytes = Vec::new();
                File::open(path)?
                    .take(limit.saturating_add(1))
                    .read_to_end(&mut bytes)?;
                small(&bytes).then_some(bytes)
            }
            Self::Stdin(bytes) => small(bytes).then(|| bytes.clone()),
            Self::Checked(_) | Self::Inline { .. } | Self::Line { .. } => None,
        })
    }

    /// The script's text as UTF-8 bytes, decoded from `encoding` (a byte order mark wins).
    pub(crate) fn utf8(&self, encoding: ScriptEncoding) -> io::Result<Vec<u8>> {
        let mut text = String::new();
        self.reader(encoding)?.read_to_string(&mut text)?;
        Ok(text.into_bytes())
    }

    /// The script's text as UTF-8 lines, decoded from `encoding` (a byte order mark wins).
    pub(crate) fn reader(&self, encoding: ScriptEncoding) -> io::Result<Box<dyn BufRead + '_>> {
        Ok(match self {
            Self::File(path) => Box::new(decode(File::open(path)?, encoding)),
            Self::Stdin(bytes) => Box::new(decode(bytes.as_slice(), encoding)),
            Self::Checked(checked) => Box::new(decode(checked.bytes.as_slice(), encoding)),
            Self::Inline { text, .. } | Self::Line { text, .. } => Box::new(text.as_bytes()),
        })
    }
}
