//! Configuration: `hotelcare.toml`, the vendor's "data source" dialog as a file.
//!
//! Input: a TOML file (or nothing: the embedded simulator with the vendor's example values).
//! Output: `Config`, plain data passed down by value. A leaf: imports only `diagnostics`.

mod cor;
mod did_range;
mod encoding;
mod error;
mod file;
mod interface;
mod secret;
mod server;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use cor::Cor;
pub use did_range::{DidRange, MAX_DID_DIGITS};
pub use encoding::ScriptEncoding;
pub use error::ConfigError;
pub use interface::{Capabilities, Interface};
pub use secret::Secret;

use crate::diagnostics::{Diagnostic, DiagnosticKind, Span};
use file::ConfigFile;

/// The file `--config` defaults to, when it exists in the working directory.
pub const DEFAULT_FILE: &str = "hotelcare.toml";

/// A checked configuration. Relative paths are already resolved against the file's directory.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file this came from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    /// `None`: no PBX configured, use the embedded simulator.
    pub pbx: Option<PbxConfig>,
    pub cor: CorConfig,
    /// Class of service levels by upper-case name, `ALLOW` and `BLOCK` included.
    pub levels: BTreeMap<String, Cor>,
    /// `None` when telephone number transfer is off.
    pub number_transfer: Option<NumberTransfer>,
    pub run: RunConfig,
    /// Seed file for the simulator's rooms; `None`: the vendor example's rooms 1000 and 2000.
    pub simulator_rooms: Option<PathBuf>,
    /// `[service]`: where `hotelcare serve` answers its clients.
    pub service: ServiceConfig,
    /// `[spool] dir`: the batch directory `hotelcare serve` runs (`--spool` overrides it).
    pub spool: Option<PathBuf>,
    /// `[mitel_pms]`, when the PBX is driven over the Mitel PMS interface.
    pub mitel_pms: Option<MitelPmsConfig>,
    /// `[fias]`, when the service takes guest events from the hotel's PMS over FIAS.
    pub fias: Option<FiasConfig>,
}

/// `[fias]`.
#[derive(Clone, Debug)]
pub struct FiasConfig {
    /// `host:port` of the PMS's FIAS interface (it listens; hotelcare connects).
    pub server: String,
    /// The PMS's text encoding.
    pub codepage: &'static encoding_rs::Encoding,
    /// FIAS class of service (`CS`) values -> level names (`ALLOW`, `BLOCK`, configured).
    pub class_of_service: BTreeMap<String, String>,
}

/// `[mitel_pms]`: what a site must confirm with its PBX technician (the public documents leave
/// it open); `allow` and `block` are `cor.allow` and `cor.block` (RST levels on this wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MitelPmsConfig {
    /// The NAM operation digit that adds a name (`NAM1` in Mitel's PMS Tester).
    pub nam_add: u8,
    /// The NAM operation digit that replaces a name; `None`: RENAME is refused.
    pub nam_replace: Option<u8>,
    /// The width of the extension field (5; 6 or 7 on sites with longer room numbers).
    pub extension_width: usize,
    /// "Are you there" when the link has been idle this long (`None`: never).
    pub keepalive: Option<Duration>,
    /// Answer the PBX's request to initialize with a general reset from the expected state.
    pub general_reset: bool,
}

/// Where `hotelcare serve` listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// `[service]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The control API's address: loopback only (the API can check guests in and out; it is
    /// for programs on this machine).
    pub listen: std::net::SocketAddr,
}

/// `[pbx]`: where the MiVB is and how to log in.
#[derive(Clone, Debug)]
pub struct PbxConfig {
    /// `host`, `host:port`, or with an explicit `https://` / `http://` scheme.
    pub server: String,
    pub user: String,
    pub password: Password,
    pub timeout: Duration,
    pub trust: Trust,
    /// `allow_plain_http = true`: `http://` is accepted (for `hotelcare sim --plain`).
    pub allow_plain_http: bool,
    /// The wire it is driven over.
    pub interface: Interface,
}

/// Where the MiXML user's password comes from. An environment variable is read only when a
/// connection is made, so that `check`, `plan` and `queue list` work without it.
#[derive(Clone, Debug)]
pub enum Password {
    Given(Secret),
    Environment { variable: String, config: PathBuf },
}

impl Password {
    /// The password, or which variable is missing in which configuration file.
    pub fn resolve(&self) -> Result<Secret, ConfigError> {
        match self {
            Self::Given(secret) => Ok(secret.clone()),
            Self::Environment { variable, config } => std::env::var(variable)
                .map(Secret::new)
                .map_err(|_| ConfigError::PasswordMissing {
                    variable: variable.clone(),
                    config: config.clone(),
                }),
        }
    }
}

/// How the PBX's TLS certificate is checked. There is no "accept anything".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's trusted roots.
    System,
    /// Certificates signed by the CA(s) in this PEM file.
    CaFile(PathBuf),
    /// Exactly the certificate with this SHA-256 fingerprint (hex, colons optional).
    Pinned([u8; 32]),
}

/// `[class_of_restriction]`: the two COR numbers of the vendor dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorConfig {
    /// "Allow external calls".
    pub allow: Cor,
    /// "Block external calls".
    pub block: Cor,
}

/// `[number_transfer]`, when enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberTransfer {
    pub range: DidRange,
    /// "Signal extension to external": set "Use DID for Outgoing Calls" with the DID.
    pub signal_extension_external: bool,
}

/// `[run]`.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub max_concurrency: usize,
    pub retry: RetryPolicy,
    pub state_dir: PathBuf,
    pub log_dir: PathBuf,
    /// How script files are decoded (`--encoding` overrides it).
    pub script_encoding: ScriptEncoding,
    /// A script with the same content as one accepted this recently is refused (`None`: never).
    pub duplicate_window: Option<Duration>,
    /// How long finished commands (their guest names) may stay in the journal file of a
    /// running service before it is compacted.
    pub retention: Duration,
}

/// `[run.retry]`: how often and how patiently a transient failure is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Config {
    /// No file: the embedded simulator, COR 1/2, no number transfer, state under `./state`.
    pub fn builtin() -> Self {
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
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
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
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            invalid(vec![Diagnostic::new(
                DiagnosticKind::ConfigSyntax {
                    message: error.message().trim_end_matches('.').to_owned(),
                },
                Span::new(span.start, span.end),
            )])
        })?;
        let base = base_dir(path);
        let base = base.as_path();
        let mut diagnostics = Vec::new();
        let mut config = Self::from_file(&file, base, Some(path), &mut diagnostics);
        if !diagnostics.is_empty() {
            return Err(invalid(diagnostics));
        }
        if let Some(pbx) = &file.pbx {
            config.pbx = Some(pbx_config(pbx, base, path, &mut diagnostics));
        }
        if diagnostics.is_empty() {
            Ok(config)
        } else {
            Err(invalid(diagnostics))
        }
    }

    fn from_file(
        file: &ConfigFile,
        base: &Path,
        path: Option<&Path>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut check = Checker { diagnostics };
        let fallback = Cor::new(1).expect("1 is a COR");
        let pms = file
            .pbx
            .as_ref()
            .and_then(|pbx| pbx.interface.as_ref())
            .and_then(|name| Interface::parse(name.get_ref()))
            == Some(Interface::MitelPms);
        let pms_section = file.mitel_pms.as_ref();
        let default_pms = file::MitelPmsSection::default();
        let pms_file = pms_section.unwrap_or(&default_pms);
        let cor = if pms {
            CorConfig {
                allow: check
                    .rst("mitel_pms.allow", &pms_file.allow)
                    .unwrap_or(fallback),
                block: check
                    .rst("mitel_pms.block", &pms_file.block)
                    .unwrap_or(fallback),
            }
        } else {
            CorConfig {
                allow: check
                    .cor(
                        "class_of_restriction.allow",
                        &file.class_of_restriction.allow,
                    )
                    .unwrap_or(fallback),
                block: check
                    .cor(
                        "class_of_restriction.block",
                        &file.class_of_restriction.block,
                    )
                    .unwrap_or(fallback),
            }
        };
        if cor.allow == cor.block {
            let (key, span) = if pms {
                ("mitel_pms.block", pms_file.block.span())
            } else {
                (
                    "class_of_restriction.block",
                    file.class_of_restriction.block.span(),
                )
            };
            check.fail(
                key,
                span,
                "`allow` and `block` are the same COR, so a check-out would not block external calls (and a check-in would not allow them); give two different CORs",
            );
        }
        let mut levels = BTreeMap::from([
            ("ALLOW".to_owned(), cor.allow),
            ("BLOCK".to_owned(), cor.block),
        ]);
        for (name, number) in &file.class_of_service {
            let key = format!("class_of_service.{}", name.get_ref());
            let upper = name.get_ref().to_ascii_uppercase();
            let valid_name = !upper.is_empty()
                && upper.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && upper
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if valid_name {
                match levels.entry(upper) {
                    Entry::Occupied(entry) => check.fail(
                        &key,
                        name.span(),
                        if matches!(entry.key().as_str(), "ALLOW" | "BLOCK") {
                            "ALLOW and BLOCK are set by `[class_of_restriction]` allow and block"
                        } else {
                            "this level is given twice (level names are case-insensitive)"
                        },
                    ),
                    Entry::Vacant(entry) => {
                        let level = if pms {
                            check.rst(&key, number)
                        } else {
                            check.cor(&key, number)
                        };
                        if let Some(cor) = level {
                            entry.insert(cor);
                        }
                    }
                }
            } else {
                check.fail(
                    &key,
                    name.span(),
                    "a level name is a word of letters, digits, `_` and `-` that starts with a letter",
                );
            }
        }
        let nt = &file.number_transfer;
        let number_transfer = if nt.enabled {
            match &nt.range {
                None => {
                    check.fail(
                        "number_transfer.range",
                        0..0,
                        "number transfer is enabled but no `range` (such as \"3000-3005\") is given",
                    );
                    None
                }
                Some(range) => match range.get_ref().parse::<DidRange>() {
                    Ok(parsed) => Some(NumberTransfer {
                        range: parsed,
                        signal_extension_external: nt.signal_extension_external,
                    }),
                    Err(message) => {
                        check.fail("number_transfer.range", range.span(), &message);
                        None
                    }
                },
            }
        } else {
            None
        };
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
        let mitel_pms = match (pms, pms_section) {
            (true, _) => Some(check.mitel_pms(pms_file)),
            (false, Some(section)) => {
                check.fail(
                    "mitel_pms",
                    section.allow.span(),
                    "`[mitel_pms]` is for a PBX with `interface = \"mitel-pms\"` in `[pbx]`",
                );
                None
            }
            (false, None) => None,
        };
        let fias = file
            .fias
            .as_ref()
            .map(|section| check.fias(section, &levels));
        Self {
            path: path.map(Path::to_owned),
            pbx: None,
            cor,
            levels,
            number_transfer,
            run,
            simulator_rooms: file.simulator.rooms.as_ref().map(|p| base.join(p)),
            service,
            spool: file.spool.dir.as_ref().map(|p| base.join(p)),
            mitel_pms,
            fias,
        }
    }

    /// The level names a user may write, for messages and completion: `ALLOW`, `BLOCK`, then
    /// the configured ones.
    pub fn level_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vec!["ALLOW".into(), "BLOCK".into()];
        names.extend(
            self.levels
                .keys()
                .filter(|k| !matches!(k.as_str(), "ALLOW" | "BLOCK"))
                .cloned(),
        );
        names
    }

    /// The level names that stand for the COR `cor` (`ALLOW`, `LOCAL`, ...), for display.
    pub fn level_names_of(&self, cor: u8) -> Vec<String> {
        self.levels
            .iter()
            .filter(|(_, c)| c.get() == cor)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The name of the PBX (one PBX today: `main`).
    pub fn pbx_name(&self) -> &'static str {
        "main"
    }

    /// What the PBX's wire can do (the embedded simulator speaks MiXML).
    pub fn capabilities(&self) -> Capabilities {
        let mut capabilities = self
            .pbx
            .as_ref()
            .map_or(Interface::default(), |pbx| pbx.interface)
            .capabilities();
        if let Some(pms) = &self.mitel_pms {
            capabilities.rename = pms.nam_replace.is_some();
        }
        capabilities
    }

    /// Where the PBX is, for prompts and messages: its address, or "simulator".
    pub fn target_name(&self) -> &str {
        self.pbx
            .as_ref()
            .map_or("simulator", |pbx| pbx.server.as_str())
    }
}

fn pbx_config(
    pbx: &file::PbxSection,
    base: &Path,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> PbxConfig {
    let mut check = Checker { diagnostics };
    let interface = match &pbx.interface {
        None => Interface::default(),
        Some(name) => Interface::parse(name.get_ref()).unwrap_or_else(|| {
            check.fail(
                "pbx.interface",
                name.span(),
                "hotelcare drives a PBX over `mixml` (its model of MiXML) or `mitel-pms` (the Mitel PMS protocol)",
            );
            Interface::default()
        }),
    };
    if interface == Interface::MitelPms {
        if let Some(problem) = server::pms_problem(pbx.server.get_ref()) {
            check.fail("pbx.server", pbx.server.span(), &problem);
        }
        return PbxConfig {
            server: pbx.server.get_ref().trim().to_owned(),
            user: String::new(),
            password: Password::Given(Secret::default()),
            timeout: Duration::from_secs(
                check.positive("pbx.timeout_secs", &pbx.timeout_secs, 3600) as u64,
            ),
            trust: Trust::System,
            allow_plain_http: false,
            interface,
        };
    }
    if let Some(problem) = server::problem(pbx.server.get_ref(), pbx.allow_plain_http) {
        check.fail("pbx.server", pbx.server.span(), &problem);
    }
    if pbx.user.trim().is_empty() {
        check.fail(
            "pbx.user",
            pbx.server.span(),
            "give the MiXML user name as `user` (a user of System Administration -> User Authorization Profiles)",
        );
    }
    let password = match (&pbx.password, &pbx.password_env) {
        (Some(password), None) => Password::Given(Secret::new(password.clone())),
        (None, Some(variable)) => Password::Environment {
            variable: variable.get_ref().clone(),
            config: path.to_owned(),
        },
        (Some(_), Some(variable)) => {
            check.fail(
                "pbx.password_env",
                variable.span(),
                "give either `password` or `password_env`, not both",
            );
            Password::Given(Secret::default())
        }
        (None, None) => {
            check.fail(
                "pbx",
                pbx.server.span(),
                "give the MiXML user's password as `password_env` (an environment variable) or `password`",
            );
            Password::Given(Secret::default())
        }
    };
    let trust = match (&pbx.ca_file, &pbx.pin_sha256) {
        (None, None) => Trust::System,
        (Some(ca), None) => Trust::CaFile(base.join(ca)),
        (None, Some(pin)) => {
            if let Some(bytes) = parse_fingerprint(pin.get_ref()) {
                Trust::Pinned(bytes)
            } else {
                check.fail(
                    "pbx.pin_sha256",
                    pin.span(),
                    "a SHA-256 fingerprint is 64 hex digits (colons allowed), as `hotelcare sim` prints it",
                );
                Trust::System
            }
        }
        (Some(_), Some(pin)) => {
            check.fail(
                "pbx.pin_sha256",
                pin.span(),
                "give either `ca_file` or `pin_sha256`, not both",
            );
            Trust::System
        }
    };
    let timeout = check.positive("pbx.timeout_secs", &pbx.timeout_secs, 3600);
    PbxConfig {
        server: pbx.server.get_ref().trim().to_owned(),
        user: pbx.user.clone(),
        password,
        timeout: Duration::from_secs(timeout as u64),
        trust,
        allow_plain_http: pbx.allow_plain_http,
        interface,
    }
}

/// What relative paths in a configuration file are relative to: the file's folder, when it is
/// a regular file; the working directory otherwise (`--config /dev/null`, a pipe), so that a
/// configuration that is not a file never makes hotelcare write into `/dev` or the like.
fn base_dir(path: &Path) -> PathBuf {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => PathBuf::from("."),
        _ => path.parent().unwrap_or(Path::new(".")).to_owned(),
    }
}

/// `AB:CD:...`: how fingerprints are shown and how `pin_sha256` takes them.
pub fn format_fingerprint(bytes: &[u8; 32]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses `AB:CD:...` or `abcd...` (64 hex digits).
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
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

/// Collects value errors with the key's name and span.
struct Checker<'a> {
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn fail(&mut self, key: &str, span: std::ops::Range<usize>, message: &str) {
        self.diagnostics.push(Diagnostic::new(
            DiagnosticKind::ConfigInvalid {
                key: key.to_owned(),
                message: message.to_owned(),
            },
            Span::new(span.start, span.end),
        ));
    }

    /// A loopback `address:port` for the service's API.
    fn listen(&mut self, key: &str, value: &toml::Spanned<String>) -> std::net::SocketAddr {
        let fallback = std::net::SocketAddr::from(([127, 0, 0, 1], 7878));
        match value.get_ref().trim().parse::<std::net::SocketAddr>() {
            Ok(address) if address.ip().is_loopback() => address,
            Ok(address) => {
                self.fail(
                    key,
                    value.span(),
                    &format!(
                        "{} is not a loopback address: the API checks guests in and out, so it answers only programs on this machine; use 127.0.0.1:PORT or [::1]:PORT",
                        address.ip()
                    ),
                );
                fallback
            }
            Err(_) => {
                self.fail(
                    key,
                    value.span(),
                    "write it as IP:PORT, such as 127.0.0.1:7878 (a name like `localhost` is not taken: it could resolve elsewhere)",
                );
                fallback
            }
        }
    }

    fn fias(&mut self, section: &file::FiasSection, levels: &BTreeMap<String, Cor>) -> FiasConfig {
        if let Some(problem) = server::pms_problem(section.server.get_ref()) {
            self.fail(
                "fias.server",
                section.server.span(),
                &problem.replace(
                    "the PBX's PMS port is site configuration; ask the PBX technician",
                    "the FIAS port is configured in the PMS's interface program",
                ),
            );
        }
        let codepage = match &section.codepage {
            None => encoding_rs::WINDOWS_1252,
            Some(label) => encoding_rs::Encoding::for_label(label.get_ref().trim().as_bytes())
                .unwrap_or_else(|| {
                    self.fail(
                        "fias.codepage",
                        label.span(),
                        "not an encoding name; the PMS's code page, such as \"windows-1252\" or \"iso-8859-2\"",
                    );
                    encoding_rs::WINDOWS_1252
                }),
        };
        let mut class_of_service = BTreeMap::new();
        for (cs, level) in &section.class_of_service {
            let upper = level.get_ref().to_ascii_uppercase();
            if levels.contains_key(&upper) {
                class_of_service.insert(cs.clone(), upper);
            } else {
                self.fail(
                    &format!("fias.class_of_service.{cs}"),
                    level.span(),
                    &format!(
                        "`{}` is not a level; use ALLOW, BLOCK or one of `[class_of_service]`",
                        level.get_ref()
                    ),
                );
            }
        }
        FiasConfig {
            server: section.server.get_ref().trim().to_owned(),
            codepage,
            class_of_service,
        }
    }

    /// An RST level of the Mitel PMS interface.
    fn rst(&mut self, key: &str, value: &toml::Spanned<i64>) -> Option<Cor> {
        let level = Cor::restriction_level(*value.get_ref());
        if level.is_none() {
            self.fail(
                key,
                value.span(),
                &format!(
                    "{} is not a restriction level of the Mitel PMS interface: RST levels are 0 (internal) to {} (the PBX's Hotel Options form maps each to a COR)",
                    value.get_ref(),
                    Cor::MAX_RST
                ),
            );
        }
        level
    }

    /// A digit 0-9 (a NAM operation code).
    fn digit(&mut self, key: &str, value: &toml::Spanned<i64>) -> u8 {
        match u8::try_from(*value.get_ref()) {
            Ok(digit) if digit <= 9 => digit,
            _ => {
                self.fail(
                    key,
                    value.span(),
                    "a NAM operation code is one digit, 0 to 9",
                );
                1
            }
        }
    }

    fn mitel_pms(&mut self, section: &file::MitelPmsSection) -> MitelPmsConfig {
        let width = *section.extension_width.get_ref();
        let extension_width = if (5..=7).contains(&width) {
            usize::try_from(width).unwrap_or(5)
        } else {
            self.fail(
                "mitel_pms.extension_width",
                section.extension_width.span(),
                "the extension field is 5 characters wide (6 or 7 on sites with longer room numbers)",
            );
            5
        };
        let keepalive = *section.keepalive_secs.get_ref();
        if !(0..=3600).contains(&keepalive) {
            self.fail(
                "mitel_pms.keepalive_secs",
                section.keepalive_secs.span(),
                "give 1 to 3600 seconds, or 0 for no \"are you there\" messages",
            );
        }
        let nam_add = self.digit("mitel_pms.nam_add", &section.nam_add);
        let nam_replace = section
            .nam_replace
            .as_ref()
            .map(|value| self.digit("mitel_pms.nam_replace", value));
        MitelPmsConfig {
            nam_add,
            nam_replace,
            extension_width,
            keepalive: (keepalive > 0).then(|| Duration::from_secs(keepalive.unsigned_abs())),
            general_reset: section.general_reset,
        }
    }

    fn cor(&mut self, key: &str, value: &toml::Spanned<i64>) -> Option<Cor> {
        let cor = Cor::new(*value.get_ref());
        if cor.is_none() {
            self.fail(
                key,
                value.span(),
                &format!(
                    "{} is not a Class of Restriction; MiVB numbers them 1 to {}",
                    value.get_ref(),
                    Cor::MAX
                ),
            );
        }
        cor
    }

    /// A whole number in `1..=max`; 1 when it is not.
    fn positive(&mut self, key: &str, value: &toml::Spanned<i64>, max: i64) -> usize {
        let n = *value.get_ref();
        if (1..=max).contains(&n) {
            usize::try_from(n).unwrap_or(1)
        } else {
            self.fail(key, value.span(), &format!("{n} is outside 1 to {max}"));
            1
        }
    }
}

#[cfg(test)]
mod tests;
