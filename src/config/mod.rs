//! Configuration: `hotelcare.toml`, the vendor's "data source" dialog as a file.
//!
//! Input: a TOML file (or nothing: the embedded simulator with the vendor's example values).
//! Output: `Config`, plain data passed down by value. A leaf: imports only `diagnostics`.

mod charges;
mod checker;
mod codepage;
mod cor;
mod did_range;
mod digit_range;
mod encoding;
mod error;
mod file;
mod interface;
pub(crate) mod locate;
mod money;
mod secret;
mod server;
mod site;
mod sites;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use charges::{ChargesConfig, SmdrConfig, SmdrFormat, Tariff};
use checker::Checker;
pub(crate) use codepage::Codepage;
pub(crate) use cor::Cor;
pub(crate) use did_range::DidRange;
pub(crate) use encoding::ScriptEncoding;
pub use error::ConfigError;
pub(crate) use interface::{Capabilities, Interface};
pub(crate) use money::Money;
pub(crate) use secret::Secret;
pub(crate) use site::{MAIN, RoomRange, Site, WireSection};
use sites::{Sections, Settings, base_dir, interface_of, named_sites, not_named_only, pbx_config};

use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use file::ConfigFile;

/// The file `--config` defaults to, when it exists in the working directory.
pub(crate) const DEFAULT_FILE: &str = "hotelcare.toml";

/// The PBX label of a command whose rooms no configured PBX owns.
pub(crate) const NOT_CONFIGURED: &str = "not configured";

/// `--pbx NAME` names no configured PBX.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("there is no PBX `{name}`; the configuration has {}", configured.join(", "))]
pub(crate) struct NoSuchPbx {
    pub(crate) name: String,
    pub(crate) configured: Vec<String>,
}

/// A checked configuration. Relative paths are already resolved against the file's directory.
#[derive(Clone, Debug)]
pub struct Config {
    /// Every PBX, each with all of its own settings (connection, CORs, levels, number
    /// transfer, its wire's section): one (`main`) for a single `[pbx]` or none (then it is the
    /// embedded simulator), or the `[pbx.NAME]` tables sorted by name. Never empty. Code that
    /// drives one PBX takes its `Site`; nothing else holds a PBX's settings.
    pub(crate) pbxs: Vec<Site>,
    pub(crate) run: RunConfig,
    /// Seed file for the simulator's rooms; `None`: the vendor example's rooms 1000 and 2000.
    pub(crate) simulator_rooms: Option<PathBuf>,
    /// `[service]`: where `hotelcare serve` answers its clients.
    pub(crate) service: ServiceConfig,
    /// `[spool] dir`: the batch directory `hotelcare serve` runs (`--spool` overrides it).
    pub(crate) spool: Option<PathBuf>,
    /// How long processed spool files are kept (`[spool] keep_days`; `None`: forever).
    pub(crate) spool_keep: Option<Duration>,
    /// The largest spool file taken (`[spool] max_bytes`); a bigger one is refused unread.
    pub(crate) spool_max_bytes: u64,
    /// The group (its id) that may read the spool's reports (`[spool] report_group`).
    pub(crate) spool_report_group: Option<u32>,
    /// `[fias]`, when the service takes guest events from the hotel's PMS over FIAS.
    pub(crate) fias: Option<FiasConfig>,
    /// `[charges]`: how calls are costed and limited.
    pub(crate) charges: ChargesConfig,
    /// `[smdr]`, when the service reads the PBX's call records.
    pub(crate) smdr: Option<SmdrConfig>,
}

/// `[fias]`.
#[derive(Clone, Debug)]
pub(crate) struct FiasConfig {
    /// `host:port` of the PMS's FIAS interface (it listens; hotelcare connects).
    pub(crate) server: String,
    /// The PMS's text encoding.
    pub(crate) codepage: Codepage,
    /// FIAS class of service (`CS`) values -> level names (`ALLOW`, `BLOCK`, configured).
    pub(crate) class_of_service: BTreeMap<String, String>,
    /// The level of a check-in whose `CS` is not in `class_of_service`.
    pub(crate) default_level: String,
    /// Put the guest's title (`GT`) before the first name.
    pub(crate) title: bool,
    /// A resync that would check out more rooms than this holds those check-outs until
    /// `hotelcare fias resync --confirm`: `Some(0)` never holds; `None` is the default, 10 % of
    /// the occupied rooms and never less than 5.
    pub(crate) resync_checkout_limit: Option<usize>,
    /// Answer `WA ... ASOK` for a wake-up booked on a PBX whose wire reports no result (the
    /// Mitel PMS protocol); `false`: no answer for those.
    pub(crate) wakeup_answer_ok: bool,
}

impl FiasConfig {
    /// The most check-outs a resync journals by itself when `occupied` rooms are occupied
    /// (`None`: no limit).
    pub(crate) fn checkout_limit(&self, occupied: usize) -> Option<usize> {
        match self.resync_checkout_limit {
            Some(0) => None,
            Some(limit) => Some(limit),
            None => Some(occupied.div_ceil(10).max(5)),
        }
    }
}

/// `[mitel_pms]`: what a site must confirm with its PBX technician (the public documents leave
/// it open); `allow` and `block` are `cor.allow` and `cor.block` (RST levels on this wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MitelPmsConfig {
    /// The NAM operation digit that adds a name (`NAM1` in Mitel's PMS Tester).
    pub(crate) nam_add: u8,
    /// The NAM operation digit that replaces a name; `None`: RENAME is refused.
    pub(crate) nam_replace: Option<u8>,
    /// The width of the extension field (5; 6 or 7 on sites with longer room numbers).
    pub(crate) extension_width: usize,
    /// "Are you there" when the link has been idle this long (`None`: never).
    pub(crate) keepalive: Option<Duration>,
    /// Answer the PBX's request to initialize with a general reset from the expected state.
    pub(crate) general_reset: bool,
    /// The record that books a wake-up (`WKP`, known from one open-source driver only).
    pub(crate) wakeup_code: [u8; 3],
}

impl Default for MitelPmsConfig {
    /// What `[mitel_pms]` says when it is not written.
    fn default() -> Self {
        Self {
            nam_add: 1,
            nam_replace: None,
            extension_width: 5,
            keepalive: Some(Duration::from_secs(60)),
            general_reset: true,
            wakeup_code: *b"WKP",
        }
    }
}

/// Where `hotelcare serve` listens by default.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// `[service]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServiceConfig {
    /// The control API's address: loopback only (the API can check guests in and out; it is
    /// for programs on this machine).
    pub(crate) listen: std::net::SocketAddr,
}

/// `[pbx]`: where the MiVB is and how to log in.
#[derive(Clone, Debug)]
pub(crate) struct PbxConfig {
    /// `host`, `host:port`, or with an explicit `https://` / `http://` scheme.
    pub(crate) server: String,
    pub(crate) user: String,
    pub(crate) password: Password,
    pub(crate) timeout: Duration,
    pub(crate) trust: Trust,
    /// How often the wake-up report is read (which calls rang, and how they ended).
    pub(crate) wakeup_report: Duration,
    /// `host:port` of its SMDR port, when its calls are costed (`smdr = ...`).
    pub(crate) smdr: Option<String>,
}

/// Where the MiXML user's password comes from. An environment variable is read only when a
/// connection is made, so that `check`, `plan` and `queue list` work without it.
#[derive(Clone, Debug)]
pub(crate) enum Password {
    Given(Secret),
    Environment {
        /// Where the file names it (`pbx.password_env`, `pbx.east.password_env`).
        key: String,
        variable: String,
        config: PathBuf,
    },
    /// Read from a file when connecting (`password_file`, e.g. a systemd credential).
    File {
        /// `pbx.password_file`, `pbx.east.password_file`.
        key: String,
        path: PathBuf,
    },
}

impl Password {
    /// The password, or which variable is missing in which configuration file.
    pub(crate) fn resolve(&self) -> Result<Secret, ConfigError> {
        match self {
            Self::Given(secret) => Ok(secret.clone()),
            Self::Environment {
                key,
                variable,
                config,
            } => {
                std::env::var(variable)
                    .map(Secret::new)
                    .map_err(|_| ConfigError::PasswordMissing {
                        key: key.clone(),
                        variable: variable.clone(),
                        config: config.clone(),
                    })
            }
            Self::File { key, path } => std::fs::read_to_string(path)
                .map(|text| Secret::new(text.trim_end_matches(['\r', '\n']).to_owned()))
                .map_err(|error| ConfigError::PasswordFile {
                    key: key.clone(),
                    path: path.clone(),
                    error: error.to_string(),
                }),
        }
    }
}

/// How the PBX's TLS certificate is checked. There is no "accept anything".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    /// The operating system's trusted roots.
    System,
    /// Certificates signed by the CA(s) in this PEM file.
    CaFile(PathBuf),
    /// Exactly the certificate with this SHA-256 fingerprint (hex, colons optional).
    Pinned([u8; 32]),
}

/// `[class_of_restriction]`: the two COR numbers of the vendor dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CorConfig {
    /// "Allow external calls".
    pub(crate) allow: Cor,
    /// "Block external calls".
    pub(crate) block: Cor,
}

/// `[number_transfer]`, when enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumberTransfer {
    pub(crate) range: DidRange,
    /// "Signal extension to external": set "Use DID for Outgoing Calls" with the DID.
    pub(crate) signal_extension_external: bool,
}

/// `[run]`.
#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    pub(crate) max_concurrency: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) state_dir: PathBuf,
    pub(crate) log_dir: PathBuf,
    /// How script files are decoded (`--encoding` overrides it).
    pub(crate) script_encoding: ScriptEncoding,
    /// A script with the same content as one accepted this recently is refused (`None`: never).
    pub(crate) duplicate_window: Option<Duration>,
    /// How long finished commands (their guest names) may stay in the journal file of a
    /// running service before it is compacted.
    pub(crate) retention: Duration,
    /// `[logs]`: the service's log files kept, and the size of each.
    pub(crate) log_files: usize,
    pub(crate) log_bytes: usize,
}

/// `[run.retry]`: how often and how patiently a transient failure is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in all, the first included.
    pub(crate) attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl Config {
    /// No file: the embedded simulator, COR 1/2, no number transfer, state under `./state`.
    pub(crate) fn builtin() -> Self {
        let mut diagnostics = Vec::new();
        let config = Self::from_file(
            &ConfigFile::default(),
            Path::new("."),
            None,
            &mut diagnostics,
        );
        debug_assert!(diagnostics.is_empty(), "the defaults are valid");
        config
    }

    /// Reads and checks a configuration file.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// Checks configuration text that was read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        // A password pasted into `server` must not appear in the frame of any error.
        let invalid = |diagnostics| ConfigError::Invalid {
            path: path.to_owned(),
            text: server::mask_user_info(text),
            diagnostics,
        };
        let syntax = |error: toml::de::Error| {
            let span = error.span().unwrap_or(0..0);
            invalid(vec![Diagnostic::new(
                DiagnosticKind::ConfigSyntax {
                    message: error.message().trim_end_matches('.').to_owned(),
                },
                Span::new(span.start, span.end),
            )])
        };
        let base = base_dir(path);
        let base = base.as_path();
        let mut diagnostics = Vec::new();
        let config = if file::has_named_pbxs(text) {
            let named: ConfigFile<BTreeMap<String, file::PbxSection>> =
                toml::from_str(text).map_err(syntax)?;
            let (file, pbxs) = named.with_pbx(None);
            let pbxs = pbxs.unwrap_or_default();
            let all_pms = pbxs
                .values()
                .all(|pbx| interface_of(pbx) == Interface::MitelPms);
            let mut config = Self::from_file(&file, base, Some(all_pms), &mut diagnostics);
            config.pbxs = named_sites(&file, &pbxs, base, path, &mut diagnostics);
            if let Some(section) = &file.fias {
                // A FIAS level is sent to whichever PBX has the guest's room: every PBX must
                // have it (a room of one without it could not be checked in).
                let mut check = Checker {
                    diagnostics: &mut diagnostics,
                };
                let mut levels = BTreeMap::new();
                for site in &config.pbxs {
                    levels.extend(site.levels.clone());
                }
                let fias = check.fias(section, &levels);
                let default = section
                    .default_level
                    .as_ref()
                    .map(|level| ("default_level".to_owned(), level));
                let mapped = section
                    .class_of_service
                    .iter()
                    .map(|(cs, level)| (format!("class_of_service.{cs}"), level));
                for (key, level) in mapped.chain(default) {
                    let upper = level.get_ref().trim().to_ascii_uppercase();
                    let lacking: Vec<String> = config
                        .pbxs
                        .iter()
                        .filter(|site| {
                            levels.contains_key(&upper) && !site.levels.contains_key(&upper)
                        })
                        .map(|site| format!("`{}`", site.name))
                        .collect();
                    if !lacking.is_empty() {
                        check.fail(
                            &format!("fias.{key}"),
                            level.span(),
                            &format!(
                                "`{}` is not a level of PBX {}: a guest in one of its rooms could not be checked in; add it to `[pbx.NAME.class_of_service]` there, or use a level every PBX has",
                                level.get_ref(),
                                lacking.join(", ")
                            ),
                        );
                    }
                }
                config.fias = Some(fias);
            }
            config
        } else {
            let file: ConfigFile = toml::from_str(text).map_err(syntax)?;
            let mut config = Self::from_file(&file, base, None, &mut diagnostics);
            if let Some(pbx) = &file.pbx {
                not_named_only(pbx, &mut diagnostics);
                config.pbxs[0].pbx = Some(pbx_config("pbx.", pbx, base, path, &mut diagnostics));
            }
            config
        };
        if diagnostics.is_empty() {
            Ok(config)
        } else {
            Err(invalid(diagnostics))
        }
    }

    /// The file's own sections. `named`: its `[pbx.NAME]` tables are read by the caller and
    /// the file's sections are what they inherit (`Some(true)`: all of them are `mitel-pms`).
    fn from_file(
        file: &ConfigFile,
        base: &Path,
        named: Option<bool>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut check = Checker { diagnostics };
        let pms = named.unwrap_or_else(|| {
            file.pbx
                .as_ref()
                .is_some_and(|pbx| interface_of(pbx) == Interface::MitelPms)
        });
        let mut sections = Sections::of_file(file);
        // Under named PBXs, `[mitel_pms]` is what those of that wire inherit.
        sections.pms_section_is_own = named.is_none();
        let Settings {
            cor,
            levels,
            number_transfer,
            mitel_pms,
        } = check.settings("", pms, &sections);
        let retry = &file.run.retry;
        let run = RunConfig {
            max_concurrency: check.positive("run.max_concurrency", &file.run.max_concurrency, 1024),
            retry: RetryPolicy {
                attempts: u32::try_from(check.positive(
                    "run.retry.attempts",
                    &retry.attempts,
                    1000,
                ))
                .unwrap_or(1),
                initial_backoff: Duration::from_millis(check.positive(
                    "run.retry.initial_backoff_ms",
                    &retry.initial_backoff_ms,
                    3_600_000,
                ) as u64),
                max_backoff: Duration::from_millis(check.positive(
                    "run.retry.max_backoff_ms",
                    &retry.max_backoff_ms,
                    3_600_000,
                ) as u64),
            },
            retention: Duration::from_secs(check.positive(
                "run.retention_secs",
                &file.run.retention_secs,
                30 * 24 * 3600,
            ) as u64),
            state_dir: base.join(&file.run.state_dir),
            log_dir: base.join(&file.run.log_dir),
            log_files: check.positive("logs.max_files", &file.logs.max_files, 1000),
            log_bytes: {
                let bytes = *file.logs.max_bytes.get_ref();
                if (65_536..=1 << 30).contains(&bytes) {
                    usize::try_from(bytes).unwrap_or(1 << 20)
                } else {
                    check.fail(
                        "logs.max_bytes",
                        file.logs.max_bytes.span(),
                        "give a file's size in bytes, from 65536 (64 kB) to 1073741824 (1 GB)",
                    );
                    1 << 20
                }
            },
            duplicate_window: {
                let hours = *file.run.duplicate_window_hours.get_ref();
                if (0..=24 * 365).contains(&hours) {
                    (hours > 0).then(|| Duration::from_secs(hours.unsigned_abs() * 3600))
                } else {
                    check.fail(
                        "run.duplicate_window_hours",
                        file.run.duplicate_window_hours.span(),
                        &format!("{hours} is outside 0 (never refuse a script seen before) to 8760 (a year)"),
                    );
                    None
                }
            },
            script_encoding: match &file.run.script_encoding {
                None => ScriptEncoding::default(),
                Some(label) => label.get_ref().parse().unwrap_or_else(|message: String| {
                    check.fail("run.script_encoding", label.span(), &message);
                    ScriptEncoding::default()
                }),
            },
        };
        if run.retry.initial_backoff > run.retry.max_backoff {
            check.fail(
                "run.retry.initial_backoff_ms",
                retry.initial_backoff_ms.span(),
                &format!(
                    "the first pause ({} ms) is longer than `max_backoff_ms` ({} ms); make it at most that",
                    run.retry.initial_backoff.as_millis(),
                    run.retry.max_backoff.as_millis()
                ),
            );
        }
        let service = ServiceConfig {
            listen: check.listen("service.listen", &file.service.listen),
        };
        // Under named PBXs the levels FIAS may map to are all of theirs (see `parse`).
        let fias = file
            .fias
            .as_ref()
            .filter(|_| named.is_none())
            .map(|section| check.fias(section, &levels));
        Self {
            pbxs: vec![Site {
                name: MAIN.to_owned(),
                rooms: None,
                pbx: None,
                cor,
                levels,
                number_transfer,
                wire: WireSection::of(mitel_pms),
            }],
            run,
            simulator_rooms: file.simulator.rooms.as_ref().map(|p| base.join(p)),
            service,
            spool: file.spool.dir.as_ref().map(|p| base.join(p)),
            spool_keep: {
                let days = check.positive_or_zero("spool.keep_days", &file.spool.keep_days, 3650);
                (days > 0).then(|| Duration::from_secs(days as u64 * 24 * 3600))
            },
            spool_max_bytes: check.positive("spool.max_bytes", &file.spool.max_bytes, 1 << 30)
                as u64,
            spool_report_group: file
                .spool
                .report_group
                .as_ref()
                .and_then(|group| check.report_group(group)),
            fias,
            charges: check.charges(&file.charges, file.fias.is_some()),
            smdr: file.smdr.as_ref().map(|section| check.smdr(section)),
        }
    }

    /// The PBX a configuration always has: the only one, or the first by name.
    pub(crate) fn first_pbx(&self) -> &Site {
        &self.pbxs[0]
    }

    /// The configuration narrowed to PBX `index` (`--pbx NAME`): that PBX and its rooms only.
    #[must_use]
    pub(crate) fn only(&self, index: usize) -> Self {
        Self {
            pbxs: self
                .pbxs
                .get(index)
                .map_or_else(|| self.pbxs.clone(), |site| vec![site.clone()]),
            ..self.clone()
        }
    }

    /// The level names of every PBX (for completion): `ALLOW`, `BLOCK`, then the others.
    pub(crate) fn all_level_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vec!["ALLOW".into(), "BLOCK".into()];
        for site in &self.pbxs {
            for name in site.levels.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }

    /// The level names that stand for `cor` on the PBX of `room`; none for a room no PBX owns
    /// (a COR's names differ from PBX to PBX: the bare number is shown).
    pub(crate) fn level_names_in(&self, room: &str, cor: u8) -> Vec<String> {
        self.pbx_of(room)
            .map(|index| self.pbxs[index].level_names_of(cor))
            .unwrap_or_default()
    }

    /// The name of the PBX; the first one's when there are several.
    pub(crate) fn pbx_name(&self) -> &str {
        self.pbxs.first().map_or(MAIN, |site| site.name.as_str())
    }

    /// Whether several PBXs are configured (`[pbx.NAME]`): messages then name the PBX.
    pub(crate) fn has_several_pbxs(&self) -> bool {
        self.pbxs.len() > 1
    }

    /// The PBX that owns `room` (its index in `pbxs`), if any does.
    pub(crate) fn pbx_of(&self, room: &str) -> Option<usize> {
        self.pbxs.iter().position(|site| site.owns(room))
    }

    /// The PBX called `name`, or what the configured names are.
    pub(crate) fn pbx_named(&self, name: &str) -> Result<usize, NoSuchPbx> {
        self.pbxs
            .iter()
            .position(|site| site.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| NoSuchPbx {
                name: name.to_owned(),
                configured: self.pbx_names(),
            })
    }

    /// The PBX(s) of a command's rooms for people (`east`, `east->west`), when several PBXs
    /// are configured.
    /// A command on rooms no configured PBX owns (its PBX was removed from the configuration)
    /// is labelled `not configured`.
    pub(crate) fn pbx_label(&self, rooms: &[&str]) -> Option<String> {
        if !rooms.is_empty() && rooms.iter().all(|room| self.pbx_of(room).is_none()) {
            return Some(NOT_CONFIGURED.to_owned());
        }
        if !self.has_several_pbxs() {
            return None;
        }
        let mut names: Vec<&str> = rooms
            .iter()
            .filter_map(|room| self.pbx_of(room))
            .map(|index| self.pbxs[index].name.as_str())
            .collect();
        names.dedup();
        Some(if names.is_empty() {
            self.pbxs
                .iter()
                .map(|site| site.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        } else {
            names.join("->")
        })
    }

    /// Whether a command on `rooms` concerns the PBXs of this configuration (`--pbx NAME`
    /// narrows it to one); a command on no room (`TEST`) concerns all.
    pub(crate) fn concerns(&self, rooms: &[&str]) -> bool {
        rooms.is_empty() || rooms.iter().any(|room| self.pbx_of(room).is_some())
    }

    pub(crate) fn pbx_names(&self) -> Vec<String> {
        self.pbxs
            .iter()
            .map(|site| format!("`{}`", site.name))
            .collect()
    }

    /// Where the PBX is, for prompts and messages: its address, or "simulator"; the PBXs'
    /// names when there are several.
    pub(crate) fn target_name(&self) -> String {
        if self.has_several_pbxs() {
            return self
                .pbxs
                .iter()
                .map(|site| site.name.as_str())
                .collect::<Vec<_>>()
                .join(",");
        }
        self.first_pbx().target().to_owned()
    }
}

/// Parses `AB:CD:...` or `abcd...` (64 hex digits).
pub(crate) fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests;
