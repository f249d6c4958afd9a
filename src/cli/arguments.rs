//! The command line, as clap reads it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand as ClapSubcommand, ValueEnum};

use crate::config::ScriptEncoding;

/// Drive a Mitel MiVoice Business PBX from guest management: check-in, check-out, class of
/// service, room moves and DID transfer, through MiXML.
#[derive(Debug, Parser)]
#[command(
    name = "hotelcare",
    version,
    about,
    long_about = None,
    after_long_help = "Exit codes: 0 done; 1 a script is invalid (nothing was run); 2 usage or configuration error; 3 the PBX is unreachable (commands queued; `hotelcare queue retry` goes on); 4 some commands failed (`hotelcare queue list`)."
)]
pub(crate) struct Arguments {
    /// Configuration file [default: hotelcare.toml if present, else the embedded simulator]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// When to color diagnostics
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub(crate) color: Color,

    /// Text encoding of the scripts read (`windows-1252` for ANSI files from Windows programs)
    /// [default: `[run] script_encoding`, else UTF-8; a byte order mark always wins]
    #[arg(long, global = true, value_name = "ENCODING")]
    pub(crate) encoding: Option<ScriptEncoding>,

    /// Output for programs: `json` prints JSON: one document for `check`, `queue list` and
    /// `rooms`; JSON lines for `plan` and the monitor of `run`, `show`, `test-access` and
    /// `queue retry` (docs/json.md)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,

    #[command(subcommand)]
    pub(crate) command: Subcommand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, ClapSubcommand)]
pub(crate) enum Subcommand {
    /// Validate scripts; run nothing (exit 0 valid, 1 invalid)
    Check {
        /// Script files (`-` reads standard input)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Dry run: print what each command sends (MiXML operations or Mitel PMS frames); send nothing
    Plan {
        /// Script files (`-` reads standard input)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Also print the XML envelopes
        #[arg(long)]
        raw: bool,
    },
    /// Execute scripts on the PBX (or the embedded simulator), showing every operation
    Run {
        /// Script files (`-` reads standard input)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Also print the XML envelopes (the password masked)
        #[arg(long)]
        raw: bool,
        /// Run a script even if one with the same content was accepted within
        /// `[run] duplicate_window_hours` (by default such a script is refused: it would apply
        /// every command twice)
        #[arg(long)]
        again: bool,
    },
    /// The support REPL: type commands, see every operation and the PBX's answer (attached to a running service: its live monitor)
    Repl {
        /// Also print the XML envelopes (the password masked)
        #[arg(long)]
        raw: bool,
        /// Read lines from standard input without line editing (for tests and dumb terminals)
        #[arg(long)]
        no_readline: bool,
    },
    /// "Test access": connect, log in and report what the PBX says
    TestAccess {
        /// Also print the XML envelopes (the password masked)
        #[arg(long)]
        raw: bool,
        /// Only the PBX called NAME (`[pbx.NAME]`)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
    },
    /// Read the rooms from the PBX and compare them with what hotelcare last had confirmed:
    /// the differences, and the script that makes the PBX match
    Reconcile {
        /// Only these extensions [default: every room hotelcare has changed, and the PBX's
        /// other rooms reported as unmanaged]
        #[arg(value_parser = extension, value_name = "EXT")]
        exts: Vec<String>,
        /// Write the script that makes the PBX match to FILE (review it, then `hotelcare run` it)
        #[arg(long, value_name = "FILE")]
        fix_script: Option<PathBuf>,
        /// Journal and run that script now
        #[arg(long)]
        apply: bool,
        /// Only the PBX called NAME (`[pbx.NAME]`)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
    },
    /// The rooms as hotelcare last had them confirmed (occupied, guest, COR, DID, last command)
    Rooms {
        /// Only these extensions [default: every room hotelcare has changed]
        #[arg(value_parser = extension, value_name = "EXT")]
        exts: Vec<String>,
        /// Only the PBX called NAME (`[pbx.NAME]`)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
    },
    /// Print a room's record as the PBX has it
    Show {
        /// The room's extension (directory number)
        #[arg(value_parser = extension)]
        ext: String,
        /// Also print the XML envelopes
        #[arg(long)]
        raw: bool,
        /// Only the PBX called NAME (`[pbx.NAME]`)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
    },
    /// Run a simulator on its own: the MiVB (prints its URL on the first line), the PBX side of the Mitel PMS protocol, or a FIAS PMS (--interface)
    Sim(Box<SimArguments>),
    /// The journal: commands pending (PBX unreachable) or failed (refused by the PBX)
    Queue {
        #[command(subcommand)]
        action: Option<QueueAction>,
    },
    /// Print a shell completion script (`hotelcare completions bash > /etc/bash_completion.d/hotelcare`)
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff: `hotelcare man > hotelcare.1; man ./hotelcare.1`)
    Man,
    /// The service a hotel runs all day: owns the journal, runs the PBX link, the spool and the
    /// local API through which `run`, `queue`, `show`, `test-access`, `rooms` and `repl` work
    Serve {
        /// Run each complete *.hc file dropped into DIR (default: `[spool] dir`)
        #[arg(long, value_name = "DIR")]
        spool: Option<PathBuf>,
        #[command(flatten)]
        spool_options: SpoolArguments,
    },
    /// Everything on one screen: the service, each PBX, the FIAS link, the queue, the journal
    /// and the last problem; exit 0 only if all is well (3: something is down or not running,
    /// 4: commands failed), for monitoring
    Status,
    /// The running service's status page in a browser: prints a link that opens it once,
    /// within a minute, and signs that browser in (the API's token never goes into a page)
    Dashboard {
        /// Open the link in this desktop's browser too
        #[arg(long)]
        open: bool,
    },
    /// The FIAS link of the running service: `hotelcare fias status` shows it, `hotelcare fias
    /// resync` asks the PMS for the whole house and fixes what differs
    Fias {
        #[command(subcommand)]
        action: FiasAction,
    },
    /// The calls of the guests' stays, costed by `[charges]`: `hotelcare charges [EXT]` lists
    /// them with each stay's total and limit; `hotelcare charges import FILE` reads SMDR
    /// records (a PBX's export)
    Charges {
        #[command(subcommand)]
        action: Option<ChargesAction>,
        /// Only this room's stay
        #[arg(value_name = "EXT")]
        room: Option<String>,
    },
    /// Shorthand for `serve --spool DIR`: execute each complete *.hc file dropped into DIR, then
    /// move it to done/ or failed/ with a report
    Watch {
        /// The spool directory
        dir: PathBuf,
        #[command(flatten)]
        spool_options: SpoolArguments,
    },
}

/// What `hotelcare charges` does besides listing.
#[derive(Clone, Debug, clap::Subcommand)]
pub(crate) enum ChargesAction {
    /// Read SMDR call records from FILE (one a line, as the PBX writes them): each costed and
    /// journaled once, whatever reads it again
    Import {
        /// The records
        file: PathBuf,
        /// The PBX that wrote them (`[pbx.NAME]`; default: the first)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
    },
    /// Send a posting whose fate is unknown (or that the PMS refused) to the PMS again, on
    /// purpose: check the guest's folio first, a charge posted twice cannot be taken back
    Repost {
        /// Its number, as `hotelcare charges` shows it (`P#12` or `12`)
        #[arg(value_parser = posting_number)]
        number: u64,
    },
}

/// `P#12` or `12`.
fn posting_number(text: &str) -> Result<u64, NotAPostingNumber> {
    text.trim()
        .trim_start_matches("P#")
        .parse()
        .map_err(|_| NotAPostingNumber(text.to_owned()))
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a posting number; write it as `hotelcare charges` shows it (`P#12`)")]
struct NotAPostingNumber(String);

/// What `hotelcare fias` does.
#[derive(Clone, Copy, Debug, clap::Subcommand)]
pub(crate) enum FiasAction {
    /// The link: up or down since when (and why), the last record, the last resync, check-outs
    /// held; exit 0 while it is up, 3 while it is not
    Status,
    /// Ask the PMS for the whole house (DR ... DS ... DE) and journal only what differs; more
    /// check-outs than `[fias] resync_checkout_limit` are held until `--confirm`
    Resync {
        /// Compare and show the differences; journal nothing
        #[arg(long, conflicts_with = "confirm")]
        dry_run: bool,
        /// Journal the check-outs the last resync held
        #[arg(long)]
        confirm: bool,
    },
}

/// How `serve` and `watch` run the spool.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct SpoolArguments {
    /// Create the spool directory if it does not exist (otherwise that is an error: a
    /// mistyped path would mean watching an empty folder forever)
    #[arg(long)]
    pub(crate) create: bool,
    /// How often to look for files
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub(crate) interval_ms: u64,
    /// How long a file must stay unchanged before it counts as complete
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub(crate) settle_ms: u64,
    /// Print every operation on standard output, as `run` does (it names guests); without it
    /// standard output carries the service's own lines only (the log has everything)
    #[arg(long)]
    pub(crate) monitor: bool,
}

/// Shells `hotelcare completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// `hotelcare queue ...`.
#[derive(Debug, ClapSubcommand)]
pub(crate) enum QueueAction {
    /// Show pending and failed commands (the default)
    List {
        /// Only the PBX called NAME (`[pbx.NAME]`)
        #[arg(long, value_name = "NAME")]
        pbx: Option<String>,
        /// Show at most N commands (the counts are of the whole queue; at most 10,000)
        #[arg(long, value_name = "N", default_value_t = 1_000)]
        limit: usize,
        /// Start after command SEQ (the page after one that said "... and N more")
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        after: u64,
    },
    /// Run failed and pending commands again, in their order
    Retry {
        /// Also print the XML envelopes
        #[arg(long)]
        raw: bool,
    },
    /// Take commands out of the journal for good
    Drop {
        /// Their numbers, as `queue list` shows them (`7` or `#7`), or ranges (`5-9`: those of
        /// them still in the journal)
        #[arg(required_unless_present = "failed", value_parser = sequence_numbers)]
        seqs: Vec<Numbers>,
        /// Every failed command (they are listed first)
        #[arg(long)]
        failed: bool,
    },
}

/// `hotelcare sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArguments {
    /// What to simulate: `mixml` (the MiVB over HTTPS), `mitel-pms` (the PBX side of the PMS
    /// protocol; it takes --listen, --rooms, --latency-ms and --failure-rate as its NAK rate) or
    /// `fias-pms` (a hotel PMS speaking FIAS; it takes --listen and --script)
    #[arg(long, default_value = "mixml", value_name = "INTERFACE")]
    pub(crate) interface: String,
    /// `fias-pms`: records to send once the link is up, one per line after `< `
    #[arg(long, value_name = "FILE")]
    pub(crate) script: Option<PathBuf>,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:4443")]
    pub(crate) listen: SocketAddr,
    /// Rooms to start with (TOML: `[[room]] extension = "1000"  label = "Room 1000"`)
    #[arg(long, value_name = "FILE")]
    pub(crate) rooms: Option<PathBuf>,
    /// MiXML user name the simulator accepts
    #[arg(long, default_value = "hotelcare")]
    pub(crate) user: String,
    /// Password the simulator accepts
    #[arg(
        long,
        env = "HOTELCARE_SIM_PASSWORD",
        default_value = "hotelcare",
        hide_env_values = true
    )]
    pub(crate) password: String,
    /// Write the generated TLS certificate here (PEM), to use as `ca_file`
    #[arg(long, value_name = "PEM")]
    pub(crate) cert_out: Option<PathBuf>,
    /// Plain HTTP instead of HTTPS
    #[arg(long)]
    pub(crate) plain: bool,
    /// How long after a request its answer comes (the simulated PBX's own work is part of it)
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) latency_ms: u64,
    /// Share of requests answered "busy" without being carried out (0 to 1)
    #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = rate)]
    pub(crate) failure_rate: f64,
    /// Share of requests carried out whose answer breaks off (0 to 1)
    #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = rate)]
    pub(crate) drop_rate: f64,
    /// Share of requests never answered (0 to 1)
    #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = rate)]
    pub(crate) hang_rate: f64,
    /// Refuse connections (as a PBX that is down) until the test API switches it off
    #[arg(long)]
    pub(crate) refuse_connections: bool,
    /// Close a connection whose TLS handshake takes longer than this
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub(crate) handshake_timeout_ms: u64,
    /// Close a connection whose request headers take longer than this to arrive
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub(crate) header_timeout_ms: u64,
    /// Close a connection on which nothing moves for this long
    #[arg(long, default_value_t = 60_000, value_name = "MS")]
    pub(crate) idle_timeout_ms: u64,
    /// Keep the rooms and the TLS certificate here, so that a restarted simulator has the same
    /// rooms and is still trusted
    #[arg(long, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Serve the PBX's SMDR call records on this address too, as MiVB does on port 1752
    /// (`POST /_sim/calls` with `{"room", "number", "duration_secs"}` places a call)
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) smdr_listen: Option<SocketAddr>,
}

/// A value clap cannot take, in a sentence.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
enum BadValue {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error(transparent)]
    Rate(#[from] crate::sim::NotAShare),
    #[error(
        "`{0}` is not a command number; give it as `queue list` shows it, such as `#7` or `7`, or a range such as `5-9` (first to last, at most 100000)"
    )]
    SequenceNumber(String),
    #[error("give the room's extension: its directory number, 1 to 7 digits")]
    Extension,
}

/// A share of requests: a number from 0 to 1.
fn rate(text: &str) -> Result<f64, BadValue> {
    let rate: f64 = text
        .parse()
        .map_err(|_| BadValue::NotANumber(text.to_owned()))?;
    Ok(crate::sim::check_rate(rate)?)
}

/// Commands' numbers as given: one (`7`, `#7`) or a range (`5-9`, `#5-#9`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Numbers {
    One(u64),
    Range(u64, u64),
}

/// The widest range `queue drop` takes at once.
const MAX_RANGE: u64 = 100_000;

/// A command's number as `queue list` prints it, or a range of them.
fn sequence_numbers(text: &str) -> Result<Numbers, BadValue> {
    let one = |part: &str| {
        part.trim()
            .trim_start_matches('#')
            .parse::<u64>()
            .map_err(|_| BadValue::SequenceNumber(text.to_owned()))
    };
    match text.split_once('-') {
        None => one(text).map(Numbers::One),
        Some((first, last)) => {
            let (first, last) = (one(first)?, one(last)?);
            if first > last || last - first >= MAX_RANGE {
                return Err(BadValue::SequenceNumber(text.to_owned()));
            }
            Ok(Numbers::Range(first, last))
        }
    }
}

/// An extension on the command line: 1 to 7 digits, nothing else (it becomes part of a command).
fn extension(text: &str) -> Result<String, BadValue> {
    if (1..=7).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(BadValue::Extension)
    }
}
