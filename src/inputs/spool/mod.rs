//! The spool directory of `hotelcare watch`: which `*.hc` files are complete, claiming them, and
//! where they go afterwards (`done/` or `failed/`, with a report beside them).
//!
//! A file counts as complete when it ends with a line break and its size and modification time
//! have not changed for the settle time: a PMS that writes a file in several steps is not caught
//! half-way. A settled file without a final line break is reported once (`Notice`); if it stays
//! unchanged for 30 settle times it is taken as complete after all (a PMS that never writes the
//! last line break must still be served), and that is reported too. (A PMS that writes `x.tmp` and renames it to `x.hc` is complete at once; names other
//! than `*.hc` are ignored.) A complete file is claimed by renaming it into `work/` under a name
//! no other file will have, before anything of it is journaled: the journal remembers the claimed
//! name, so a restart finishes a claimed file exactly once, and a new file of the same name is a
//! new file. The directory is polled rather than watched through OS notifications, because hotels
//! often put spools on network shares, where notifications are unreliable.

pub(crate) mod report;
mod runner;

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) use report::Report;
pub(crate) use runner::{ATTEMPTS_KEPT, Attempts, Execute, Stopping, Tell, round};

/// Where a finished file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
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

/// How many settle times a file without a final line break waits before it is taken as complete.
pub(crate) const INCOMPLETE_LINE_PATIENCE: u32 = 30;

/// Something about a spool file worth telling the operator, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// Settled, but its last line has no line break: it is not run yet.
    NoFinalLineBreak(PathBuf),
    /// Unchanged without a final line break for `INCOMPLETE_LINE_PATIENCE` settle times: run
    /// as it is.
    TakenAsComplete(PathBuf),
    /// A symbolic link named `*.hc`: never followed, so never run (told once).
    SymbolicLink(PathBuf),
}

/// What one look at the spool found.
#[derive(Debug, Default)]
pub(crate) struct Poll {
    /// Complete files, in name order.
    pub(crate) ready: Vec<PathBuf>,
    pub(crate) notices: Vec<Notice>,
}

/// What a file looked like, since when, and whether it was reported as incomplete.
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    since: Instant,
    warned: bool,
}

/// A spool directory.
pub(crate) struct Spool {
    dir: PathBuf,
    settle: Duration,
    seen: HashMap<PathBuf, Seen>,
    /// Symbolic links already told about.
    links: std::collections::HashSet<PathBuf>,
    claims: u64,
    /// The group that may read the reports (`[spool] report_group`).
    report_group: Option<u32>,
}

impl Spool {
    /// Opens `dir` and creates `work/`, `done/` and `failed/` in it. A missing `dir` is an error
    /// (`NotFound`) unless `create`: a mistyped path must not mean watching an empty folder.
    pub(crate) fn open(dir: &Path, settle: Duration, create: bool) -> io::Result<Self> {
        if !create && !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "it does not exist (or is not a directory); check the path, or give `--create` to create it",
            ));
        }
        // Processed files name guests: their folders are the service's alone, real folders
        // in the spool (a link could send them anywhere).
        for sub in ["work", "done", "failed"] {
            let folder = dir.join(sub);
            if std::fs::symlink_metadata(&folder).is_ok_and(|meta| meta.file_type().is_symlink()) {
                return Err(io::Error::other(format!(
                    "`{sub}` in it is a symbolic link, which hotelcare does not follow: processed files name guests and stay in the spool; make `{sub}` a real folder"
                )));
            }
            crate::support::files::create_private_dir(&folder)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            settle,
            seen: HashMap::new(),
            links: std::collections::HashSet::new(),
            claims: 0,
            report_group: None,
        })
    }

    /// Lets `group` read the reports: `done/` and `failed/` become theirs, 0750; each report
    /// 0640. The spool files themselves (guests' names) stay owner-only.
    pub(crate) fn share_reports_with(&mut self, group: u32) -> io::Result<()> {
        #[cfg(unix)]
        for folder in [Verdict::Done, Verdict::Failed] {
            use std::os::unix::fs::PermissionsExt;
            let folder = self.dir.join(folder.folder());
            std::os::unix::fs::chown(&folder, None, Some(group))?;
            std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o750))?;
        }
        self.report_group = Some(group);
        Ok(())
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Files claimed earlier and not finished (a run that was stopped), in claim order.
    pub(crate) fn claimed(&self) -> io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("work"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        Ok(files)
    }

    /// The complete `*.hc` files, in name order, and what to tell about the others.
    pub(crate) fn poll(&mut self) -> io::Result<Poll> {
        let now = Instant::now();
        let mut present = Vec::new();
        let mut link_notices = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let is_script = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("hc"))
                && !entry.file_name().to_string_lossy().starts_with('.');
            if !is_script {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                if self.links.insert(path.clone()) {
                    link_notices.push(Notice::SymbolicLink(path));
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let metadata = entry.metadata()?;
            let (len, modified) = (metadata.len(), metadata.modified().ok());
            match self.seen.get_mut(&path) {
                Some(seen) if (seen.len, seen.modified) == (len, modified) => {}
                _ => {
                    self.seen.insert(
                        path.clone(),
                        Seen {
                            len,
                            modified,
                            since: now,
                            warned: false,
                        },
                    );
                }
            }
            present.push(path);
        }
        self.seen.retain(|path, _| present.contains(path));
        let mut poll = Poll {
            notices: link_notices,
            ..Poll::default()
        };
        for path in present {
            let Some(seen) = self.seen.get_mut(&path) else {
                continue;
            };
            let unchanged = now.duration_since(seen.since);
            if unchanged < self.settle {
                continue;
            }
            if ends_with_line_break(&path)? {
                poll.ready.push(path);
            } else if unchanged >= self.settle * INCOMPLETE_LINE_PATIENCE {
                poll.notices.push(Notice::TakenAsComplete(path.clone()));
                poll.ready.push(path);
            } else if !seen.warned {
                seen.warned = true;
                poll.notices.push(Notice::NoFinalLineBreak(path));
            }
        }
        poll.ready.sort();
        Ok(poll)
    }

    /// Moves a complete file into `work/` under a name no other file has; returns that path.
    pub(crate) fn claim(&mut self, file: &Path) -> io::Result<PathBuf> {
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

    /// Moves a claimed file to `done/` or `failed/` (the report's verdict) under its original
    /// name and writes `<name>.report.txt` and `<name>.report.json` beside it. A file of the same
    /// name there is not overwritten: the new one gets a numbered name.
    pub(crate) fn finish(
        &mut self,
        claimed: &Path,
        report: &Report,
        commands: &mut report::Commands<'_>,
    ) -> io::Result<PathBuf> {
        let folder = self.dir.join(report.verdict.folder());
        let name = original_name(claimed)?;
        let mut target = folder.join(&name);
        let mut n = 1;
        while target.exists() {
            target = folder.join(format!("{name}.{n}"));
            n += 1;
        }
        let stem = file_name(&target)?;
        // Reports name guests' rooms and commands: owner-only, like the journal.
        let text_path = folder.join(format!("{stem}.report.txt"));
        let json_path = folder.join(format!("{stem}.report.json"));
        let create =
            |path: &Path| crate::support::files::create_private(path).map(io::BufWriter::new);
        let (mut text, mut json) = (create(&text_path)?, create(&json_path)?);
        report.write(&mut text, &mut json, commands)?;
        for (path, file) in [(&text_path, text), (&json_path, json)] {
            file.into_inner().map_err(io::IntoInnerError::into_error)?;
            #[cfg(unix)]
            if let Some(group) = self.report_group {
                use std::os::unix::fs::PermissionsExt;
                std::os::unix::fs::chown(path, None, Some(group))?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o640))?;
            }
        }
        std::fs::rename(claimed, &target)?;
        crate::support::files::restrict(&target, false)?;
        Ok(target)
    }

    /// Removes what `done/` and `failed/` hold that is older than `keep` (the files and their
    /// reports: guests' data is not kept longer than the hotel says); how many went.
    pub(crate) fn prune(&self, keep: Duration) -> usize {
        let Some(limit) = SystemTime::now().checked_sub(keep) else {
            return 0;
        };
        let mut removed = 0;
        for folder in [Verdict::Done, Verdict::Failed] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(folder.folder())) else {
                continue;
            };
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|modified| modified < limit);
                if old && entry.path().is_file() && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }
}

/// The name a claimed file had in the spool.
pub(crate) fn original_name(claimed: &Path) -> io::Result<String> {
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

    /// With `[spool] report_group`, the group reads the reports (their folders 0750, the
    /// reports 0640, the group's) and never the spool file itself (0600).
    #[cfg(unix)]
    #[test]
    fn a_report_group_reads_the_reports_and_not_the_files() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let group = std::fs::metadata(dir.path()).unwrap().gid();
        let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        spool.share_reports_with(group).unwrap();
        std::fs::write(dir.path().join("a.hc"), "CHECKOUT 1000\n").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let ready = spool.poll().unwrap().ready;
        let claimed = spool.claim(&ready[0]).unwrap();
        let report = crate::inputs::spool::report::Report::rejected(
            "a.hc",
            "a reason".into(),
            Vec::new(),
            String::new(),
        );
        let moved = spool.finish(&claimed, &report, &mut |_| Ok(())).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("failed")), 0o750);
        assert_eq!(mode(&moved), 0o600, "the file names guests: owner-only");
        let text = dir.path().join("failed/a.hc.report.txt");
        assert_eq!(mode(&text), 0o640);
        assert_eq!(std::fs::metadata(&text).unwrap().gid(), group);
        assert_eq!(mode(&dir.path().join("work")), 0o700);
    }

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn only_settled_complete_hc_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::from_millis(200), false).unwrap();
        std::fs::write(dir.path().join("b.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("a.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("c.tmp"), "TEST\n").unwrap();
        std::fs::write(dir.path().join(".d.hc"), "TEST\n").unwrap();
        std::fs::write(dir.path().join("e.hc"), "CHECKOUT 10").unwrap();
        assert!(spool.poll().unwrap().ready.is_empty(), "not settled yet");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            names(&spool.poll().unwrap().ready),
            ["a.hc", "b.hc"],
            "e.hc ends in the middle of a line"
        );
    }

    /// A spool with the settle time `settle` and `a.hc` written into it.
    fn spool_with_a(settle: u64, text: &str) -> (tempfile::TempDir, Spool, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), Duration::from_millis(settle), false).unwrap();
        let path = dir.path().join("a.hc");
        std::fs::write(&path, text).unwrap();
        (dir, spool, path)
    }

    #[test]
    fn a_file_without_a_final_line_break_is_reported_once_then_taken_as_complete() {
        let (_dir, mut spool, path) = spool_with_a(20, "CHECKOUT 1000");
        spool.poll().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let first = spool.poll().unwrap();
        assert!(first.ready.is_empty());
        assert_eq!(first.notices, [Notice::NoFinalLineBreak(path.clone())]);
        assert!(spool.poll().unwrap().notices.is_empty(), "told once");
        std::thread::sleep(Duration::from_millis(
            20 * u64::from(INCOMPLETE_LINE_PATIENCE),
        ));
        let last = spool.poll().unwrap();
        assert_eq!(last.ready, std::slice::from_ref(&path));
        assert_eq!(last.notices, [Notice::TakenAsComplete(path)]);
    }

    #[test]
    fn a_missing_directory_is_an_error_unless_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nodir");
        let error = Spool::open(&missing, Duration::ZERO, false).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(!missing.exists());
        Spool::open(&missing, Duration::ZERO, true).unwrap();
        assert!(missing.join("work").is_dir());
    }

    #[test]
    fn a_growing_file_is_not_ready() {
        let (_dir, mut spool, path) = spool_with_a(200, "TEST\n");
        spool.poll().unwrap();
        std::thread::sleep(Duration::from_millis(150));
        std::fs::write(&path, "TEST\nTEST\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            spool.poll().unwrap().ready.is_empty(),
            "it changed since the last look"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(spool.poll().unwrap().ready, [path]);
    }

    #[test]
    fn claimed_files_keep_their_name_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        for round in 0..2 {
            let path = dir.path().join("a.hc");
            std::fs::write(&path, "TEST\n").unwrap();
            let claimed = spool.claim(&path).unwrap();
            assert!(!path.exists());
            assert_eq!(spool.claimed().unwrap(), std::slice::from_ref(&claimed));
            assert_eq!(original_name(&claimed).unwrap(), "a.hc");
            let report = Report::finished(
                &format!("round {round}"),
                report::Accepted::default(),
                report::Tally::default(),
            );
            let moved = spool.finish(&claimed, &report, &mut |_| Ok(())).unwrap();
            assert!(moved.exists());
        }
        assert!(spool.claimed().unwrap().is_empty());
        assert!(dir.path().join("done/a.hc").exists());
        assert!(dir.path().join("done/a.hc.1").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("done/a.hc.1.report.txt"))
                .unwrap()
                .lines()
                .next(),
            Some("hotelcare watch: round 1")
        );
        assert!(dir.path().join("done/a.hc.1.report.json").exists());
    }

    #[test]
    fn processed_files_are_private_and_kept_only_as_long_as_the_hotel_says() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("done"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        }
        let old = dir.path().join("done/old.hc");
        let new = dir.path().join("failed/new.hc");
        std::fs::write(&old, "CHECKOUT 1000\n").unwrap();
        std::fs::write(&new, "CHECKOUT 2000\n").unwrap();
        let ten_days_ago = SystemTime::now() - Duration::from_secs(10 * 24 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(ten_days_ago)
            .unwrap();
        assert_eq!(spool.prune(Duration::from_secs(7 * 24 * 3600)), 1);
        assert!(!old.exists() && new.exists());
    }
}
