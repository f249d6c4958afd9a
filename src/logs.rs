//! Log files in the configured `logs/` directory, size-rotated by file-rotate like the vendor's:
//! the long-running service (`watch`) keeps at most 10 files of 1 MB, one-shot commands 1 file of
//! 1 MB. Monitor lines go here too; passwords never do (nothing that logs has one).

use std::path::Path;
use std::sync::Mutex;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};

/// The log file's name inside the log directory.
pub const FILE_NAME: &str = "hotelcare.log";
const FILE_SIZE: usize = 1024 * 1024;

/// How many files are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// `run`, `repl`, `queue`, ...: one file of 1 MB.
    OneShot,
    /// `watch`: ten files of 1 MB.
    Service,
}

impl Retention {
    /// Rotated files kept besides the current one.
    fn rotated(self) -> usize {
        match self {
            Self::OneShot => 0,
            Self::Service => 9,
        }
    }
}

/// Sends `tracing` output to `dir/hotelcare.log`. A log that cannot be opened is reported once
/// on stderr; the command goes on without it.
pub fn init(dir: &Path, retention: Retention) {
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!(
            "warning: cannot create the log directory `{}` ({error}); running without a log file",
            dir.display()
        );
        return;
    }
    let file = FileRotate::new(
        dir.join(FILE_NAME),
        AppendCount::new(retention.rotated()),
        ContentLimit::BytesSurpassed(FILE_SIZE),
        Compression::None,
        None,
    );
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
