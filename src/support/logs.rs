//! Log files in the configured `logs/` directory, size-rotated by file-rotate like the vendor's:
//! the long-running service (`watch`) keeps at most 10 files of 1 MB, one-shot commands 1 file of
//! 1 MB. Monitor lines go here too; passwords never do (nothing that logs has one).

use std::path::Path;
use std::sync::Mutex;

use crate::support::output::errln;
use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};

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

/// Sends `tracing` output to `dir/hotelcare.log`. A log that cannot be opened is reported once
/// on stderr; the command goes on without it.
pub(crate) fn init(dir: &Path, retention: Retention) {
    if let Err(error) = crate::support::files::create_private_dir(dir) {
        errln!(
            "warning: cannot create the log directory `{}` ({error}); running without a log file",
            dir.display()
        );
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(rotating_file(dir, retention)))
        .with_ansi(false)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

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
