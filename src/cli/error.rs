//! `Error`: whatever stops a command, from every layer, with its exit code. `report` is the one
//! place that prints an error and picks the code; the layers below return typed errors and
//! print nothing.

use std::io;

use crate::cli::exit::Exit;
use crate::config::{ConfigError, NoSuchPbx};
use crate::control::local::StartError;
use crate::control::protocol::BackendError;
use crate::engine::JournalError;
use crate::inputs::repl::ReplError;
use crate::pbx::registry::ConnectError;
use crate::sim::{FaultsError, SeedError};
use crate::support::output::errln;

/// Everything that stops a command before or around its real work.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Faults(#[from] FaultsError),
    #[error(transparent)]
    Repl(#[from] ReplError),
    #[error(transparent)]
    Pbx(#[from] NoSuchPbx),
    /// What the backend (the service, or the core in this process) answered.
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Start(#[from] StartError),
    /// A script that cannot be read: not UTF-8 (or its encoding) is an invalid script.
    #[error("cannot read `{name}`: {error}")]
    Script { name: String, error: io::Error },
    /// A file or folder hotelcare needs and cannot use.
    #[error("{what}: {error}")]
    Io { what: String, error: io::Error },
    /// Anything else, in a sentence that says what to do.
    #[error("{0}")]
    Other(String),
}

/// A message of the command line itself (already a sentence that says what to do).
impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::Other(message)
    }
}

impl Error {
    /// The exit code (BRIEF §7): an unreadable script's text is an invalid script (1);
    /// everything else here is a usage or configuration error (2).
    pub(crate) fn exit(&self) -> Exit {
        match self {
            Self::Script { error, .. } if error.kind() == io::ErrorKind::InvalidData => {
                Exit::Invalid
            }
            Self::Backend(BackendError::Invalid { .. }) => Exit::Invalid,
            // A PBX, the PMS or the journal that cannot be reached now: the work waits.
            Self::Backend(BackendError::Unavailable(_) | BackendError::Timeout(_)) => Exit::Queued,
            _ => Exit::Usage,
        }
    }
}

/// Prints `error` (a configuration error with its carets) and returns its exit code.
pub(crate) fn report(error: impl Into<Error>) -> Exit {
    let error = error.into();
    match &error {
        Error::Config(config) => errln!("{}", config.render(super::color())),
        Error::Backend(BackendError::Invalid {
            rendered, message, ..
        }) => {
            if !rendered.trim().is_empty() {
                errln!("{}", rendered.trim_end());
            }
            errln!("error: {message}");
        }
        other => errln!("error: {other}"),
    }
    error.exit()
}
