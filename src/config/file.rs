//! The shape of `hotelcare.toml` as serde reads it. Values that need a range check carry their
//! span (`toml::Spanned`) so that a bad value is shown with a caret, like a script error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub(crate) pbx: Option<PbxSection>,
    #[serde(default)]
    pub(crate) class_of_restriction: CorSection,
    #[serde(default)]
    pub(crate) class_of_service: BTreeMap<Spanned<String>, Spanned<i64>>,
    #[serde(default)]
    pub(crate) number_transfer: NumberTransferSection,
    #[serde(default)]
    pub(crate) run: RunSection,
    #[serde(default)]
    pub(crate) simulator: SimulatorSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PbxSection {
    pub(crate) server: Spanned<String>,
    pub(crate) user: String,
    pub(crate) password: Option<String>,
    pub(crate) password_env: Option<Spanned<String>>,
    #[serde(default = "default_timeout")]
    pub(crate) timeout_secs: Spanned<i64>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) pin_sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) allow_plain_http: bool,
    pub(crate) interface: Option<Spanned<String>>,
}

fn default_timeout() -> Spanned<i64> {
    Spanned::new(0..0, 10)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorSection {
    pub(crate) allow: Spanned<i64>,
    pub(crate) block: Spanned<i64>,
}

/// The vendor document's example configuration: allow = 1, block = 2.
impl Default for CorSection {
    fn default() -> Self {
        Self {
            allow: Spanned::new(0..0, 1),
            block: Spanned::new(0..0, 2),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberTransferSection {
    #[serde(default)]
    pub(crate) enabled: bool,
    pub(crate) range: Option<Spanned<String>>,
    #[serde(default = "yes")]
    pub(crate) signal_extension_external: bool,
}

fn yes() -> bool {
    true
}

impl Default for NumberTransferSection {
    fn default() -> Self {
        Self {
            enabled: false,
            range: None,
            signal_extension_external: true,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunSection {
    #[serde(default = "default_concurrency")]
    pub(crate) max_concurrency: Spanned<i64>,
    #[serde(default = "default_state_dir")]
    pub(crate) state_dir: PathBuf,
    #[serde(default = "default_log_dir")]
    pub(crate) log_dir: PathBuf,
    #[serde(default)]
    pub(crate) retry: RetrySection,
    pub(crate) script_encoding: Option<Spanned<String>>,
    #[serde(default = "default_duplicate_window")]
    pub(crate) duplicate_window_hours: Spanned<i64>,
}

fn default_duplicate_window() -> Spanned<i64> {
    Spanned::new(0..0, 24)
}

fn default_concurrency() -> Spanned<i64> {
    Spanned::new(0..0, 4)
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("state")
}

fn default_log_dir() -> PathBuf {
    PathBuf::from("logs")
}

impl Default for RunSection {
    fn default() -> Self {
        Self {
            max_concurrency: default_concurrency(),
            state_dir: default_state_dir(),
            log_dir: default_log_dir(),
            retry: RetrySection::default(),
            script_encoding: None,
            duplicate_window_hours: default_duplicate_window(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetrySection {
    #[serde(default = "default_attempts")]
    pub(crate) attempts: Spanned<i64>,
    #[serde(default = "default_initial_backoff")]
    pub(crate) initial_backoff_ms: Spanned<i64>,
    #[serde(default = "default_max_backoff")]
    pub(crate) max_backoff_ms: Spanned<i64>,
}

fn default_attempts() -> Spanned<i64> {
    Spanned::new(0..0, 5)
}

fn default_initial_backoff() -> Spanned<i64> {
    Spanned::new(0..0, 500)
}

fn default_max_backoff() -> Spanned<i64> {
    Spanned::new(0..0, 10_000)
}

impl Default for RetrySection {
    fn default() -> Self {
        Self {
            attempts: default_attempts(),
            initial_backoff_ms: default_initial_backoff(),
            max_backoff_ms: default_max_backoff(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulatorSection {
    pub(crate) rooms: Option<PathBuf>,
}
