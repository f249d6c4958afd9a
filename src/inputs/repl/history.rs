//! The REPL's history between sessions, kept as long as the journal keeps finished commands
//! (`[run] retention_secs`): the lines may name guests. One line per entry, `SECONDS<TAB>line`
//! (seconds since the Unix epoch), owner-only; at the start of a session the entries older than
//! the retention leave the file. A file of an older release (rustyline's own format, without
//! times) is dropped: its age cannot be told.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

/// The entries still within `retention` at `now`, oldest first; the file is rewritten with only
/// those (or removed when none is left).
pub(crate) fn load(path: &Path, retention: Duration, now: u64) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let oldest = now.saturating_sub(retention.as_secs());
    let kept: Vec<(u64, &str)> = text
        .lines()
        .filter_map(|line| {
            let (at, entry) = line.split_once('\t')?;
            Some((at.parse::<u64>().ok()?, entry))
        })
        .filter(|(at, entry)| *at >= oldest && !entry.trim().is_empty())
        .collect();
    if kept.len() != text.lines().count() {
        let mut rewritten = String::new();
        for (at, entry) in &kept {
            let _ = writeln!(rewritten, "{at}\t{entry}");
        }
        let _ = rewrite(path, &rewritten);
    }
    kept.into_iter()
        .map(|(_, entry)| entry.to_owned())
        .collect()
}

/// Adds `line` at `now`, at once (a crash or a kill keeps it).
pub(crate) fn append(path: &Path, line: &str, now: u64) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // One entry a line: a line break inside would start a new entry.
    let line = line.replace(['\n', '\r'], " ");
    writeln!(options.open(path)?, "{now}\t{line}")
}

/// Replaces the file, keeping no copy of what it held (pruned entries leave the disk).
fn rewrite(path: &Path, text: &str) -> std::io::Result<()> {
    if text.is_empty() {
        return std::fs::remove_file(path);
    }
    let fresh = path.with_extension("txt.new");
    {
        let mut file = crate::support::files::create_private(&fresh)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&fresh, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_older_than_the_retention_leave_the_file_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repl-history.txt");
        append(&path, "SHOW 1000", 1_000).unwrap();
        append(&path, "CHECKIN 1000 \"Solo,Alina\"", 5_000).unwrap();
        append(&path, "multi\nline", 5_001).unwrap();
        let kept = load(&path, Duration::from_secs(3_600), 6_000);
        assert_eq!(kept, ["CHECKIN 1000 \"Solo,Alina\"", "multi line"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("SHOW 1000"),
            "the old entry left the disk: {text}"
        );
        assert!(load(&path, Duration::from_secs(60), 100_000).is_empty());
        assert!(!path.exists(), "nothing left: no file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            append(&path, "TEST", 100_000).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_history_of_an_older_release_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repl-history.txt");
        std::fs::write(&path, "#V2\nCHECKOUT 1000\n").unwrap();
        assert!(load(&path, Duration::from_secs(3_600), 6_000).is_empty());
        assert!(!path.exists());
    }
}
