//! The spool directory of `hotelcare watch`: which `*.hc` files are complete, claiming them, and
//! where they go afterwards (`done/` or `failed/`, with a report beside them).
//!
//! A file counts as complete when it ends with a line break and its size and modification time
//! have not changed for the settle time: a PMS that writes a file in several steps is not caught
//! half-way. (A PMS that writes `x.tmp` and renames it to `x.hc` is complete at once; names other
//! than `*.hc` are ignored.) A complete file is claimed by renaming it into `work/` under a name
//! no other file will have, before anything of it is journaled: the journal remembers the claimed
//! name, so a restart finishes a claimed file exactly once, and a new file of the same name is a
//! new file. The directory is polled rather than watched through OS notifications, because hotels
//! often put spools on network shares, where notifications are unreliable.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// Separates the claim stamp from the original name in `work/`.
const STAMP_END: char = '~';

/// A spool directory.
pub struct Spool {
    dir: PathBuf,
    settle: Duration,
    /// Per file: what it looked like and since when it has looked like that.
    seen: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
    claims: u64,
}

impl Spool {
    /// Opens `dir` and creates `work/`, `done/` and `failed/` in it.
    pub fn open(dir: &Path, settle: Duration) -> io::Result<Self> {
        for sub in ["work", "done", "failed"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            settle,
            seen: HashMap::new(),
            claims: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Files claimed earlier and not finished (a run that was stopped), in claim order.
    pub fn claimed(&self) -> io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("work"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        Ok(files)
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
        let mut ready = Vec::new();
        for path in present {
            if now.duration_since(self.seen[&path].2) >= self.settle && ends_with_line_break(&path)?
            {
                ready.push(path);
            }
        }
        ready.sort();
        Ok(ready)
    }

    /// Moves a complete file into `work/` under a name no other file has; returns that path.
    pub fn claim(&mut self, file: &Path) -> io::Result<PathBuf> {
        let name = file_name(file)?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        loop {
            self.claims += 1;
            let claimed = self
                .dir
                .join("work")
                .join(format!("{stamp:020}-{:04}{STAMP_END}{name}", self.claims));
            if !claimed.exists() {
                std::fs::rename(file, &claimed)?;
                self.seen.remove(file);
                return Ok(claimed);
            }
        }
    }

    /// Moves a claimed file to `done/` or `failed/` under its original name and writes
    /// `<name>.report.txt` beside it. A file of the same name there is not overwritten: the new
    /// one gets a numbered name.
    pub fn finish(
        &mut self,
        claimed: &Path,
        verdict: Verdict,
        report: &str,
    ) -> io::Result<PathBuf> {
        let folder = self.dir.join(verdict.folder());
        let name = original_name(claimed)?;
        let mut target = folder.join(&name);
        let mut n = 1;
        while target.exists() {
            target = folder.join(format!("{name}.{n}"));
            n += 1;
        }
        let report_path = folder.join(format!("{}.report.txt", file_name(&target)?));
        std::fs::write(&report_path, report)?;
        std::fs::rename(claimed, &target)?;
        Ok(target)
    }
}

/// The name a claimed file had in the spool.
pub fn original_name(claimed: &Path) -> io::Result<String> {
    let name = file_name(claimed)?;
    Ok(name
        .split_once(STAMP_END)
        .map_or(name.clone(), |(_, original)| original.to_owned()))
}

fn file_name(path: &Path) -> io::Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::other(format!("`{}` has no file name", path.display())))
}

/// An empty file, or one whose last byte is a line break: a writer that stopped in the middle
/// of a line has not finished.
fn ends_with_line_break(path: &Path) -> io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn only_settled_complete_hc_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::from_millis(200)).unwrap();
        std::fs::write(dir.path().join("b.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("a.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("c.tmp"), "TEST\n").unwrap();
        std::fs::write(dir.path().join(".d.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("e.hc"), "CHECKOUT 10").unwrap();
        assert!(spool.ready().unwrap().is_empty(), "not settled yet");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            names(&spool.ready().unwrap()),
            ["a.hc", "b.hc"],
            "e.hc ends in the middle of a line"
        );
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
    fn claimed_files_keep_their_name_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO).unwrap();
        for round in 0..2 {
            let path = dir.path().join("a.hc");
            std::fs::write(&path, "TEST\n").unwrap();
            let claimed = spool.claim(&path).unwrap();
            assert!(!path.exists());
            assert_eq!(spool.claimed().unwrap(), std::slice::from_ref(&claimed));
            assert_eq!(original_name(&claimed).unwrap(), "a.hc");
            let moved = spool
                .finish(&claimed, Verdict::Done, &format!("round {round}"))
                .unwrap();
            assert!(moved.exists());
        }
        assert!(spool.claimed().unwrap().is_empty());
        assert!(dir.path().join("done/a.hc").exists());
        assert!(dir.path().join("done/a.hc.1").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("done/a.hc.1.report.txt")).unwrap(),
            "round 1"
        );
    }
}
