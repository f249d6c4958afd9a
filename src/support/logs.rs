//! Log files in the configured `logs/` directory, size-rotated by file-rotate like the vendor's:
//! the long-running service (`watch`) keeps at most 10 files of 1 MB, one-shot commands 1 file of
//! 1 MB. Monitor lines go here too; passwords never do (nothing that logs has one).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::support::output::errln;
use chrono::{Datelike as _, Timelike as _, Utc};
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_subscriber::fmt::MakeWriter;

/// The log file of one-shot commands inside the log directory.
pub(crate) const FILE_NAME: &str = "hotelcare.log";
/// The log file of the service (`watch`): its own name, so that a one-shot command's rotation
/// (which keeps no old file) never deletes the service's history.
pub(crate) const SERVICE_FILE_NAME: &str = "hotelcare-service.log";
const FILE_SIZE: usize = 1024 * 1024;

/// How many files are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retention {
    /// `run`, `repl`, `queue`, ...: one file of 1 MB.
    OneShot,
    /// `serve`: `files` files (the current one included) of `bytes` each (`[logs]`).
    Service { files: usize, bytes: usize },
}

impl Retention {
    fn file_name(self) -> &'static str {
        match self {
            Self::OneShot => FILE_NAME,
            Self::Service { .. } => SERVICE_FILE_NAME,
        }
    }

    /// Rotated files kept besides the current one.
    fn rotated(self) -> usize {
        match self {
            Self::OneShot => 0,
            Self::Service { files, .. } => files.saturating_sub(1),
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::OneShot => FILE_SIZE,
            Self::Service { bytes, .. } => bytes,
        }
    }
}

/// `dir/hotelcare.log`, rotated at 1 MB (after the line that passes it), keeping the files of
/// `retention`.
fn rotating_file(dir: &Path, retention: Retention) -> FileRotate<AppendCount> {
    FileRotate::new(
        dir.join(retention.file_name()),
        AppendCount::new(retention.rotated()),
        ContentLimit::BytesSurpassed(retention.bytes()),
        Compression::None,
        Some(private_append()),
    )
}

/// How log files are opened (file-rotate asks for read, create and append): monitor lines name
/// guests, so on Unix a new log file is owner-only.
fn private_append() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// The log file, shared by `tracing` (everything else) and `monitor` (the monitor's lines).
static FILE: OnceLock<Mutex<FileRotate<AppendCount>>> = OnceLock::new();

/// Sends `tracing` output and monitor lines to `dir/hotelcare.log`. A log that cannot be opened
/// is reported once on stderr; the command goes on without it.
pub(crate) fn init(dir: &Path, retention: Retention) {
    if let Err(error) = crate::support::files::create_private_dir(dir) {
        errln!(
            "warning: cannot create the log directory `{}` ({error}); running without a log file",
            dir.display()
        );
        return;
    }
    if FILE.set(Mutex::new(rotating_file(dir, retention))).is_err() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(Shared)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// Monitor lines not yet written to `FILE`, as stdout's (`output::HELD`): written when the
/// runtime waits for something, before any other log line, or once 8 KiB wait. A log file so
/// passes its size limit by at most that much before it is rotated.
static HELD: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Whether `HELD` may hold anything.
static HOLDING: AtomicBool = AtomicBool::new(false);
const HOLD_AT_MOST: usize = 8 * 1024;

/// `tracing`'s handle on `FILE`.
struct Shared;

impl<'a> MakeWriter<'a> for Shared {
    type Writer = Locked<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Locked(FILE.get().map(|file| {
            // The monitor lines held come first: the log keeps the order of events.
            let mut file = lock(file);
            write_held(&mut file);
            file
        }))
    }
}

/// Writes the monitor lines held back (see `HELD`).
pub(crate) fn flush_held() {
    if HOLDING.load(Ordering::Acquire)
        && let Some(file) = FILE.get()
    {
        write_held(&mut lock(file));
    }
}

/// Called with the file locked (the lock order is always the file, then `HELD`).
fn write_held(file: &mut FileRotate<AppendCount>) {
    if !HOLDING.swap(false, Ordering::Acquire) {
        return;
    }
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(PoisonError::into_inner));
    // A log that cannot be written is not worth stopping a check-in for (as with `tracing`).
    let _ = file.write_all(&held);
}

fn lock(file: &Mutex<FileRotate<AppendCount>>) -> MutexGuard<'_, FileRotate<AppendCount>> {
    file.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The log file while one line is written (or nothing, before `init`).
struct Locked<'a>(Option<MutexGuard<'a, FileRotate<AppendCount>>>);

impl std::io::Write for Locked<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(file) => file.write(bytes),
            None => Ok(bytes.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.as_mut().map_or(Ok(()), |file| file.flush())
    }
}

/// How a monitor line is logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Info,
    Warn,
}

/// Logs one monitor line as `tracing` would (`2026-12-03T08:28:45.317604Z  INFO text`, control
/// characters escaped the same way), without its per-event machinery: the monitor logs about
/// five lines a command, and `tracing`'s formatting of them cost about a twentieth of
/// hotelcare's CPU (issue 25). Held back with the rest of a burst (see `HELD`). Nothing before
/// `init`.
pub(crate) fn monitor(level: Level, text: &str) {
    if FILE.get().is_none() {
        return;
    }
    let line = log_line(std::time::SystemTime::now(), level, text);
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    held.extend_from_slice(line.as_bytes());
    HOLDING.store(true, Ordering::Release);
    if held.len() >= HOLD_AT_MOST {
        drop(held);
        flush_held();
    }
}

fn log_line(at: std::time::SystemTime, level: Level, text: &str) -> String {
    thread_local! {
        /// The last second written, as `2026-12-03T08:28:45`: the calendar is worked out once
        /// a second, not for every line.
        static SECOND: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let at = chrono::DateTime::<Utc>::from(at);
    let mut line = String::with_capacity(text.len() + 40);
    SECOND.with_borrow_mut(|(written, prefix)| {
        if *written != at.timestamp() {
            *written = at.timestamp();
            prefix.clear();
            let _ = write!(
                prefix,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                at.month(),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
            );
        }
        line.push_str(prefix);
    });
    let _ = write!(
        line,
        ".{:06}Z  {} ",
        at.timestamp_subsec_micros().min(999_999),
        match level {
            Level::Info => "INFO",
            Level::Warn => "WARN",
        }
    );
    escape_into(&mut line, text);
    line.push('\n');
    line
}

/// `text` with the characters a terminal could take for commands escaped, as `tracing` does
/// (ESC, BEL, BS, FF, DEL, C1 controls): a guest name or a PBX's answer never drives the
/// terminal of someone reading the log.
fn escape_into(out: &mut String, text: &str) {
    // 0xC2 starts every C1 control in UTF-8; a line without these bytes is copied as it is.
    // Looked for with `memchr`'s vector search: a byte-by-byte test cost about 660
    // instructions a monitor line (issue 25).
    let bytes = text.as_bytes();
    if memchr::memchr3(0x1b, 0x07, 0x08, bytes).is_none()
        && memchr::memchr3(0x0c, 0x7f, 0xc2, bytes).is_none()
    {
        out.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '\x1b' => out.push_str("\\x1b"),
            '\x07' => out.push_str("\\x07"),
            '\x08' => out.push_str("\\x08"),
            '\x0c' => out.push_str("\\x0c"),
            '\x7f' => out.push_str("\\x7f"),
            '\u{80}'..='\u{9f}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(ch));
            }
            _ => out.push(ch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A monitor line is logged as `tracing` logs one (the log's format does not change), with
    /// the same escapes.
    #[test]
    fn a_monitor_line_is_logged_as_tracing_would() {
        let at: std::time::SystemTime =
            chrono::DateTime::parse_from_rfc3339("2026-12-03T08:28:45.317604Z")
                .unwrap()
                .with_timezone(&Utc)
                .into();
        assert_eq!(
            log_line(
                at,
                Level::Info,
                "08:28:45.317    20000  CHECKOUT  done  (a.hc:1)"
            ),
            "2026-12-03T08:28:45.317604Z  INFO 08:28:45.317    20000  CHECKOUT  done  (a.hc:1)\n"
        );
        assert_eq!(
            log_line(
                at,
                Level::Warn,
                "room 1: \u{1b}[31mred\u{7}\u{85}é\u{8}\u{c}\u{7f}"
            ),
            "2026-12-03T08:28:45.317604Z  WARN room 1: \\x1b[31mred\\x07\\u{85}é\\x08\\x0c\\x7f\n"
        );
        assert_eq!(
            log_line(at + std::time::Duration::from_secs(61), Level::Info, "x"),
            "2026-12-03T08:29:46.317604Z  INFO x\n",
            "the next second's lines"
        );
    }

    /// Each character a terminal could take for a command is found on its own, wherever it is
    /// in a line.
    #[test]
    fn every_control_character_is_escaped_alone() {
        let long = "x".repeat(100);
        for (raw, shown) in [
            ("\u{1b}", "\\x1b"),
            ("\u{7}", "\\x07"),
            ("\u{8}", "\\x08"),
            ("\u{c}", "\\x0c"),
            ("\u{7f}", "\\x7f"),
            ("\u{9b}", "\\u{9b}"),
        ] {
            for text in [
                format!("{raw}{long}"),
                format!("{long}{raw}{long}"),
                format!("{long}{raw}"),
            ] {
                let mut out = String::new();
                escape_into(&mut out, &text);
                assert_eq!(out, text.replace(raw, shown), "{shown}");
            }
        }
        let mut out = String::new();
        escape_into(&mut out, "Solo,Alina é ü");
        assert_eq!(out, "Solo,Alina é ü", "other text as it is");
    }

    /// Writes 5 MB of log lines and returns the sizes of the log files left.
    fn fill(retention: Retention) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let mut file = rotating_file(dir.path(), retention);
        let line = format!("{}\n", "x".repeat(99));
        for _ in 0..50_000 {
            file.write_all(line.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let mut sizes: Vec<u64> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .collect();
        sizes.sort_unstable();
        sizes
    }

    /// The service's default (`[logs]` unwritten).
    const SERVICE: Retention = Retention::Service {
        files: 10,
        bytes: FILE_SIZE,
    };

    #[test]
    fn one_shot_commands_keep_one_file_of_about_one_megabyte() {
        let sizes = fill(Retention::OneShot);
        assert_eq!(sizes.len(), 1);
        assert!(sizes[0] <= FILE_SIZE as u64 + 100);
    }

    #[test]
    fn the_service_keeps_ten_files_of_about_one_megabyte() {
        let sizes = fill(SERVICE);
        assert_eq!(sizes.len(), 5, "5 MB written: 5 files");
        assert!(sizes.iter().all(|s| *s <= FILE_SIZE as u64 + 100));
        let dir = tempfile::tempdir().unwrap();
        let mut file = rotating_file(dir.path(), SERVICE);
        let line = format!("{}\n", "y".repeat(99));
        for _ in 0..150_000 {
            file.write_all(line.as_bytes()).unwrap();
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            10,
            "15 MB written: still 10 files"
        );
    }

    #[test]
    fn the_services_files_follow_its_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Retention::Service {
            files: 3,
            bytes: 65_536,
        };
        let mut file = rotating_file(dir.path(), limits);
        let line = format!("{}\n", "z".repeat(99));
        for _ in 0..10_000 {
            file.write_all(line.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let sizes: Vec<u64> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .collect();
        assert_eq!(sizes.len(), 3, "{sizes:?}");
        assert!(sizes.iter().all(|s| *s <= 65_536 + 100), "{sizes:?}");
    }
}
