//! The spool directory of `hotelcare watch`: which `*.hc` files are complete, and where they go
//! afterwards (`done/` or `failed/`, with a report beside them).
//!
//! A file counts as complete when its size and modification time have not changed for the
//! settle time: a PMS that writes a file in several steps is not caught half-way. (A PMS that
//! writes `x.tmp` and renames it to `x.hc` is complete at once; names other than `*.hc` are
//! ignored.) The directory is polled rather than watched through OS notifications, because
//! hotels often put spools on network shares, where notifications are unreliable.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Where a finished file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    Failed,
}

impl Verdict {
    fn folder(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// A spool directory.
pub struct Spool {
    dir: PathBuf,
    settle: Duration,
    /// Per file: what it looked like and since when it has looked like that.
    seen: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
}

impl Spool {
    /// Opens `dir` and creates `done/` and `failed/` in it.
    pub fn open(dir: &Path, settle: Duration) -> io::Result<Self> {
        for sub in ["done", "failed"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            settle,
            seen: HashMap::new(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The complete `*.hc` files, in name order.
    pub fn ready(&mut self) -> io::Result<Vec<PathBuf>> {
        let now = Instant::now();
        let mut present = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let is_script = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("hc"))
                && !entry.file_name().to_string_lossy().starts_with('.');
            if !is_script || !entry.file_type()?.is_file() {
                continue;
            }
            let metadata = entry.metadata()?;
            let look = (metadata.len(), metadata.modified().ok());
            let since = match self.seen.get(&path) {
                Some((len, modified, since)) if (*len, *modified) == look => *since,
                _ => now,
            };
            self.seen.insert(path.clone(), (look.0, look.1, since));
            present.push(path);
        }
        self.seen.retain(|path, _| present.contains(path));
        let mut ready: Vec<PathBuf> = present
            .into_iter()
            .filter(|path| now.duration_since(self.seen[path].2) >= self.settle)
            .collect();
        ready.sort();
        Ok(ready)
    }

    /// Moves `file` to `done/` or `failed/` and writes `<name>.report.txt` beside it. An existing
    /// file of the same name there is not overwritten: the new one gets a numbered name.
    pub fn finish(&mut self, file: &Path, verdict: Verdict, report: &str) -> io::Result<PathBuf> {
        let folder = self.dir.join(verdict.folder());
        let name = file
            .file_name()
            .ok_or_else(|| io::Error::other("a spool file without a name"))?
            .to_string_lossy()
            .into_owned();
        let mut target = folder.join(&name);
        let mut n = 1;
        while target.exists() {
            target = folder.join(format!("{name}.{n}"));
            n += 1;
        }
        let report_path = target.with_file_name(format!(
            "{}.report.txt",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        std::fs::write(&report_path, report)?;
        std::fs::rename(file, &target)?;
        self.seen.remove(file);
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settled_hc_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::from_millis(200)).unwrap();
        std::fs::write(dir.path().join("b.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("a.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("c.tmp"), "TEST\n").unwrap();
        std::fs::write(dir.path().join(".d.hc"), "TEST\n").unwrap();
        assert!(spool.ready().unwrap().is_empty(), "not settled yet");
        std::thread::sleep(Duration::from_millis(250));
        let ready = spool.ready().unwrap();
        let names: Vec<_> = ready
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.hc", "b.hc"]);
    }

    #[test]
    fn a_growing_file_is_not_ready() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::from_millis(200)).unwrap();
        let path = dir.path().join("a.hc");
        std::fs::write(&path, "TEST\n").unwrap();
        spool.ready().unwrap();
        std::thread::sleep(Duration::from_millis(150));
        std::fs::write(&path, "TEST\nTEST\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            spool.ready().unwrap().is_empty(),
            "it changed since the last look"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(spool.ready().unwrap(), [path]);
    }

    #[test]
    fn finish_moves_with_report_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO).unwrap();
        for round in 0..2 {
            let path = dir.path().join("a.hc");
            std::fs::write(&path, "TEST\n").unwrap();
            let moved = spool
                .finish(&path, Verdict::Done, &format!("round {round}"))
                .unwrap();
            assert!(!path.exists());
            assert!(moved.exists());
        }
        assert!(dir.path().join("done/a.hc").exists());
        assert!(dir.path().join("done/a.hc.1").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("done/a.hc.1.report.txt")).unwrap(),
            "round 1"
        );
    }
}
