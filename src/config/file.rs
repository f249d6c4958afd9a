//! The shape of `hotelcare.toml` as serde reads it. Values that need a range check carry their
//! span (`toml::Spanned`) so that a bad value is shown with a caret, like a script error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::charges::{ChargesSection, SmdrSection};
use toml::Spanned;

/// A number the file may leave out, with its default and no place in the file.
fn number<const N: i64>() -> Spanned<i64> {
    Spanned::new(0..0, N)
}

/// The file; `P` is what `[pbx]` holds: one PBX (`PbxSection`), or several named ones
/// (`BTreeMap<String, PbxSection>`, from `[pbx.NAME]` tables).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile<P = PbxSection> {
    pub(crate) pbx: Option<P>,
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
    #[serde(default)]
    pub(crate) service: ServiceSection,
    pub(crate) mitel_pms: Option<MitelPmsSection>,
    pub(crate) fias: Option<FiasSection>,
    #[serde(default)]
    pub(crate) spool: SpoolSection,
    #[serde(default)]
    pub(crate) logs: LogsSection,
    #[serde(default)]
    pub(crate) charges: ChargesSection,
    pub(crate) smdr: Option<SmdrSection>,
}

/// `[logs]`: how much of the service's log is kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogsSection {
    /// Files kept (the current one included).
    #[serde(default = "number::<10>")]
    pub(crate) max_files: Spanned<i64>,
    /// A file's size before the next one starts.
    #[serde(default = "number::<1048576>")]
    pub(crate) max_bytes: Spanned<i64>,
}

impl Default for LogsSection {
    fn default() -> Self {
        Self {
            max_files: number::<10>(),
            max_bytes: number::<1_048_576>(),
        }
    }
}

impl<P> Default for ConfigFile<P> {
    fn default() -> Self {
        Self {
            pbx: None,
            class_of_restriction: CorSection::default(),
            class_of_service: BTreeMap::new(),
            number_transfer: NumberTransferSection::default(),
            run: RunSection::default(),
            simulator: SimulatorSection::default(),
            service: ServiceSection::default(),
            mitel_pms: None,
            fias: None,
            spool: SpoolSection::default(),
            logs: LogsSection::default(),
            charges: ChargesSection::default(),
            smdr: None,
        }
    }
}

impl<P> ConfigFile<P> {
    /// The same file with its `[pbx]` part replaced.
    pub(crate) fn with_pbx<Q>(self, pbx: Option<Q>) -> (ConfigFile<Q>, Option<P>) {
        (
            ConfigFile {
                pbx,
                class_of_restriction: self.class_of_restriction,
                class_of_service: self.class_of_service,
                number_transfer: self.number_transfer,
                run: self.run,
                simulator: self.simulator,
                service: self.service,
                mitel_pms: self.mitel_pms,
                fias: self.fias,
                spool: self.spool,
                logs: self.logs,
                charges: self.charges,
                smdr: self.smdr,
            },
            self.pbx,
        )
    }
}

/// Whether `text`'s `[pbx]` holds named PBXs (`[pbx.NAME]` tables) rather than one PBX's keys.
pub(crate) fn has_named_pbxs(text: &str) -> bool {
    text.parse::<toml::Table>().is_ok_and(|file| {
        file.get("pbx")
            .and_then(toml::Value::as_table)
            .is_some_and(|pbx| !pbx.is_empty() && pbx.values().all(toml::Value::is_table))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PbxSection {
    pub(crate) server: Spanned<String>,
    #[serde(default)]
    pub(crate) user: String,
    pub(crate) password: Option<String>,
    pub(crate) password_env: Option<Spanned<String>>,
    /// A file that holds the password (a systemd credential: `LoadCredential=`).
    pub(crate) password_file: Option<Spanned<PathBuf>>,
    #[serde(default = "number::<10>")]
    pub(crate) timeout_secs: Spanned<i64>,
    /// How often the PBX's wake-up report is read (MiXML).
    #[serde(default = "number::<30>")]
    pub(crate) wakeup_report_secs: Spanned<i64>,
    /// `host:port` of this PBX's SMDR port (its call records; `[smdr] server` for the first).
    pub(crate) smdr: Option<Spanned<String>>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) pin_sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) allow_plain_http: bool,
    pub(crate) interface: Option<Spanned<String>>,
    /// `[pbx.NAME]` only: the rooms this PBX owns (`"1000-1999"`, `"2050"`).
    pub(crate) rooms: Option<Spanned<Vec<Spanned<String>>>>,
    /// `[pbx.NAME]` only: where this PBX differs from the file's own sections.
    pub(crate) class_of_restriction: Option<CorSection>,
    pub(crate) class_of_service: Option<BTreeMap<Spanned<String>, Spanned<i64>>>,
    pub(crate) number_transfer: Option<NumberTransferSection>,
    pub(crate) mitel_pms: Option<MitelPmsSection>,
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
    #[serde(default = "number::<4>")]
    pub(crate) max_concurrency: Spanned<i64>,
    #[serde(default = "default_state_dir")]
    pub(crate) state_dir: PathBuf,
    #[serde(default = "default_log_dir")]
    pub(crate) log_dir: PathBuf,
    #[serde(default)]
    pub(crate) retry: RetrySection,
    pub(crate) script_encoding: Option<Spanned<String>>,
    #[serde(default = "number::<24>")]
    pub(crate) duplicate_window_hours: Spanned<i64>,
    #[serde(default = "number::<3600>")]
    pub(crate) retention_secs: Spanned<i64>,
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
            max_concurrency: number::<4>(),
            state_dir: default_state_dir(),
            log_dir: default_log_dir(),
            retry: RetrySection::default(),
            script_encoding: None,
            duplicate_window_hours: number::<24>(),
            retention_secs: number::<3600>(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetrySection {
    #[serde(default = "number::<5>")]
    pub(crate) attempts: Spanned<i64>,
    #[serde(default = "number::<500>")]
    pub(crate) initial_backoff_ms: Spanned<i64>,
    #[serde(default = "number::<10_000>")]
    pub(crate) max_backoff_ms: Spanned<i64>,
}

impl Default for RetrySection {
    fn default() -> Self {
        Self {
            attempts: number::<5>(),
            initial_backoff_ms: number::<500>(),
            max_backoff_ms: number::<10_000>(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulatorSection {
    pub(crate) rooms: Option<PathBuf>,
}

/// `[service]`: the local control API of `hotelcare serve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceSection {
    #[serde(default = "default_listen")]
    pub(crate) listen: Spanned<String>,
}

fn default_listen() -> Spanned<String> {
    Spanned::new(0..0, crate::config::DEFAULT_LISTEN.to_owned())
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}

/// `[spool]`: the directory `hotelcare serve` runs batch files from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpoolSection {
    pub(crate) dir: Option<PathBuf>,
    /// Days processed files (and their reports) are kept in `done/` and `failed/`; 0: forever.
    #[serde(default = "number::<7>")]
    pub(crate) keep_days: Spanned<i64>,
    /// The largest file the spool takes, in bytes (the API's limit by default).
    #[serde(default = "number::<16_777_216>")]
    pub(crate) max_bytes: Spanned<i64>,
    /// A Unix group that may read the reports (`done/` and `failed/` become 0750, the reports
    /// 0640, that group's); the spool files themselves stay owner-only.
    pub(crate) report_group: Option<Spanned<String>>,
}

impl Default for SpoolSection {
    fn default() -> Self {
        Self {
            dir: None,
            keep_days: number::<7>(),
            max_bytes: number::<16_777_216>(),
            report_group: None,
        }
    }
}

/// `[mitel_pms]`: the settings of the Mitel PMS interface (`[pbx] interface = "mitel-pms"`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MitelPmsSection {
    /// The RST level (0-5) that ALLOW sends.
    #[serde(default = "number::<2>")]
    pub(crate) allow: Spanned<i64>,
    /// The RST level (0-5) that BLOCK (and a check-out) sends.
    #[serde(default = "number::<0>")]
    pub(crate) block: Spanned<i64>,
    /// The NAM operation digit that adds a name.
    #[serde(default = "number::<1>")]
    pub(crate) nam_add: Spanned<i64>,
    /// The NAM operation digit that replaces a name (no public default: needed for RENAME).
    pub(crate) nam_replace: Option<Spanned<i64>>,
    /// The width of the extension field, 5 to 7.
    #[serde(default = "number::<5>")]
    pub(crate) extension_width: Spanned<i64>,
    /// How often to ask the PBX "are you there" when idle (0: never).
    #[serde(default = "number::<60>")]
    pub(crate) keepalive_secs: Spanned<i64>,
    /// Answer the PBX's request to initialize with a general reset from the expected room state.
    #[serde(default = "yes")]
    pub(crate) general_reset: bool,
    /// The three letters of the record that books a wake-up (`WKP`).
    pub(crate) wakeup_code: Option<Spanned<String>>,
}

impl Default for MitelPmsSection {
    fn default() -> Self {
        Self {
            allow: number::<2>(),
            block: number::<0>(),
            nam_add: number::<1>(),
            nam_replace: None,
            extension_width: number::<5>(),
            keepalive_secs: number::<60>(),
            general_reset: true,
            wakeup_code: None,
        }
    }
}

/// `[fias]`: the hotel's PMS, spoken to over FIAS (the PMS is the TCP server).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FiasSection {
    pub(crate) server: Spanned<String>,
    pub(crate) codepage: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) title: bool,
    /// The level a check-in gets whose `CS` is not in `class_of_service` (default `BLOCK`).
    pub(crate) default_level: Option<Spanned<String>>,
    /// A resync that would check out more rooms than this holds them (0: no limit).
    pub(crate) resync_checkout_limit: Option<Spanned<i64>>,
    /// What the PMS is answered for a wake-up booked on a PBX that reports no result: `OK` or
    /// `none`.
    pub(crate) wakeup_answer: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) class_of_service: BTreeMap<String, Spanned<String>>,
}
