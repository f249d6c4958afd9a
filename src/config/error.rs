//! `ConfigError`: a configuration file that cannot be read or makes no sense.

use std::fmt::{self, Display, Formatter};
use std::io;
use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Source, render};

/// Every configuration error names the file; value errors point at the key with a caret.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read { path: PathBuf, error: io::Error },
    /// The file was read; these are its problems (all of them).
    Invalid {
        path: PathBuf,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// `password_env` names a variable that is not set (found when connecting).
    PasswordMissing {
        /// `pbx.password_env`, `pbx.east.password_env`.
        key: String,
        variable: String,
        config: PathBuf,
    },
    /// `password_file` cannot be read (found when connecting).
    PasswordFile {
        /// `pbx.password_file`, `pbx.east.password_file`.
        key: String,
        path: PathBuf,
        error: String,
    },
}

impl ConfigError {
    /// The full text for a terminal, with source frames.
    pub(crate) fn render(&self, color: bool) -> String {
        match self {
            Self::Invalid {
                path,
                text,
                diagnostics,
            } => {
                let path = path.display().to_string();
                diagnostics
                    .iter()
                    .map(|d| render(d, &Source::file(&path, text), color))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            other @ (Self::Read { .. }
            | Self::PasswordMissing { .. }
            | Self::PasswordFile { .. }) => format!("error: {other}"),
        }
    }
}

impl Display for ConfigError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, error } => write!(
                f,
                "cannot read the configuration `{}`: {error}",
                path.display()
            ),
            Self::PasswordMissing {
                key,
                variable,
                config,
            } => write!(
                f,
                "`{key}` in `{}` names the environment variable `{variable}`, which is not set; set it to the MiXML user's password",
                config.display()
            ),
            Self::PasswordFile { key, path, error } => write!(
                f,
                "`{key}`: the password file `{}` cannot be read ({error}); under systemd, give it with `LoadCredential=` (see dist/hotelcare.service) and run as the unit's user",
                path.display()
            ),
            Self::Invalid {
                path, diagnostics, ..
            } => {
                write!(f, "the configuration `{}` is invalid", path.display())?;
                for diagnostic in diagnostics {
                    write!(f, "; {}", diagnostic.kind)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}
