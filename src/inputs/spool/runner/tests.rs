use std::sync::Mutex;
use std::time::Duration;

use super::*;

#[derive(Default)]
struct Recorded {
    lines: Mutex<Vec<String>>,
    executed: Mutex<Vec<u64>>,
    /// Carries the commands out (takes them out of this journal), and meanwhile appends
    /// `grow` to the file being run (a program that still writes to it).
    carry_out: Option<(Journal, std::path::PathBuf, &'static str)>,
}

impl Execute for Recorded {
    fn execute<'a>(
        &'a self,
        commands: &'a Marker,
        _fresh: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), Stopping>> + Send + 'a>> {
        let seqs: Vec<u64> = commands.seqs().collect();
        self.executed.lock().unwrap().extend_from_slice(&seqs);
        Box::pin(async move {
            if let Some((journal, work, grow)) = &self.carry_out {
                for file in std::fs::read_dir(work).unwrap() {
                    use std::io::Write as _;
                    let mut file = std::fs::OpenOptions::new()
                        .append(true)
                        .open(file.unwrap().path())
                        .unwrap();
                    file.write_all(grow.as_bytes()).unwrap();
                }
                for seq in seqs {
                    journal.remove(seq).await.unwrap();
                }
            }
            Ok(())
        })
    }

    fn accepted(&self, _count: usize) {}
}

impl Tell for Recorded {
    fn tell(&self, line: &str) {
        self.lines.lock().unwrap().push(line.to_owned());
    }

    fn problem(&self, line: &str) {
        self.lines.lock().unwrap().push(line.to_owned());
    }
}

/// A file that arrives while the journal's disk is full is not the file's fault: it waits in
/// work/ (never failed/), and is accepted once the journal can be written again.
#[tokio::test]
async fn a_file_waits_in_the_spool_while_the_journal_cannot_be_written() {
    let disk = crate::tests::disk::Disk::default();
    let journal = disk.journal(Duration::from_secs(600));
    let config = Config::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
    std::fs::write(dir.path().join("a.hc"), "CHECKOUT 1000\n").unwrap();
    let recorded = Recorded::default();
    let attempts = Attempts::default();

    disk.fill(true);
    let waiting = round(
        &config, &journal, &recorded, &attempts, &mut spool, &recorded,
    )
    .await;
    assert_eq!(waiting, 1);
    let lines = recorded.lines.lock().unwrap().join("\n");
    assert!(
        lines.contains("`a.hc` waits in work/") && lines.contains("No space left"),
        "{lines}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("work")).unwrap().count(),
        1,
        "{lines}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("failed"))
            .unwrap()
            .count(),
        0
    );

    disk.empty(&journal).await;
    round(
        &config, &journal, &recorded, &attempts, &mut spool, &recorded,
    )
    .await;
    let entries = journal.entries().unwrap();
    assert_eq!(entries.len(), 1, "accepted once there is space");
    assert_eq!(*recorded.executed.lock().unwrap(), [entries[0].seq]);
    assert_eq!(
        std::fs::read_dir(dir.path().join("failed"))
            .unwrap()
            .count(),
        0
    );
}

/// A file is journaled a batch at a time. A stop after the first batch (emulated: its
/// marker says 1,000 of 2,500 taken) journals the rest at the next round, none twice, and
/// the report lists every command with its line.
#[tokio::test]
async fn a_file_journaled_in_part_gets_the_rest_journaled_once() {
    let journal = Journal::in_memory().unwrap();
    let config = Config::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
    let text = "COS 1000 BLOCK\nCOS 2000 BLOCK\n".repeat(1250);
    std::fs::write(dir.path().join("big.hc"), &text).unwrap();
    let claimed = spool.claim(&dir.path().join("big.hc")).unwrap();
    let name = "big.hc";
    let marker = format!("spool:{}", claimed.file_name().unwrap().to_string_lossy());
    assert!(
        accept(&config, &journal, &claimed, name, &marker)
            .await
            .is_ok()
    );
    let found = journal.marked(&marker).unwrap().unwrap();
    let mut accepted: Accepted = serde_json::from_value(found.details).unwrap();
    assert_eq!((accepted.total, accepted.taken), (2500, 0));
    assert_eq!(found.runs, [], "nothing journaled by the check");
    // The first batch, as `journal_rest` writes it; then the service stopped.
    let mut first = Vec::new();
    commands_of(&config, name, text.as_bytes(), None, |origin, command| {
        if first.len() < BATCH {
            first.push((origin, command));
        }
    })
    .unwrap();
    accepted.taken = BATCH;
    journal
        .append_with(
            first,
            Extras {
                marker: Some((marker.clone(), serde_json::to_value(&accepted).unwrap())),
                ..Extras::default()
            },
        )
        .await
        .unwrap();
    // Another input's command between the batches.
    journal
        .append(vec![("api:1".into(), command_of("COS 1000 ALLOW"))])
        .await
        .unwrap();

    let recorded = Recorded {
        carry_out: Some((journal.clone(), dir.path().join("work"), "")),
        ..Recorded::default()
    };
    let waiting = round(
        &config,
        &journal,
        &recorded,
        &Attempts::default(),
        &mut spool,
        &recorded,
    )
    .await;
    assert_eq!(waiting, 0);
    let executed = recorded.executed.lock().unwrap().clone();
    assert_eq!(executed.len(), 2500, "each command once");
    assert_eq!(executed[..BATCH], (1..=1000).collect::<Vec<u64>>());
    assert_eq!(executed[BATCH..], (1002..=2501).collect::<Vec<u64>>());
    let report = std::fs::read_to_string(dir.path().join("done/big.hc.report.txt")).unwrap();
    assert!(report.contains("2500 commands done, 0 failed"), "{report}");
    assert!(report.contains("line 1: COS 1000: done\n"), "{report}");
    assert!(report.contains("line 2500: COS 2000: done\n"), "{report}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("done/big.hc.report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["commands"].as_array().unwrap().len(), 2500);
    assert_eq!(json["commands"][1001]["seq"], 1003);
    assert_eq!(json["commands"][1001]["line"], 1002);
    assert_eq!(journal.marked(&marker).unwrap(), None, "done with");
}

/// The rest of a file is read as of the time it was checked: a wake-up that was ahead then
/// and has passed since is journaled as checked, not dropped (which would shift every
/// later command against its number).
#[tokio::test]
async fn the_rest_of_a_file_is_read_as_of_its_check() {
    let journal = Journal::in_memory().unwrap();
    let config = Config::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
    let now = chrono::Local::now().naive_local();
    let passed = now - chrono::Duration::minutes(5);
    let text = format!(
        "WAKEUP 1000 {}\nCOS 1000 BLOCK\n",
        passed.format("%H:%M %Y-%m-%d")
    );
    std::fs::write(dir.path().join("w.hc"), &text).unwrap();
    let claimed = spool.claim(&dir.path().join("w.hc")).unwrap();
    let marker = format!("spool:{}", claimed.file_name().unwrap().to_string_lossy());
    // Accepted ten minutes ago, when the wake-up was still ahead; nothing journaled yet.
    let accepted = Accepted {
        bytes: text.len() as u64,
        total: 2,
        hash: acceptance::content_hash(text.as_bytes()),
        checked_at: Some(now - chrono::Duration::minutes(10)),
        ..Accepted::default()
    };
    journal
        .append_with(
            Vec::new(),
            Extras {
                marker: Some((marker, serde_json::to_value(&accepted).unwrap())),
                ..Extras::default()
            },
        )
        .await
        .unwrap();
    let recorded = Recorded::default();
    one_round(&config, &journal, &recorded, &mut spool).await;
    let keywords: Vec<&str> = journal
        .entries()
        .unwrap()
        .iter()
        .map(|entry| entry.command.action.keyword())
        .collect();
    assert_eq!(keywords, ["WAKEUP", "COS"]);
    assert_eq!(*recorded.executed.lock().unwrap(), [1, 2]);
}

/// One round over the spool, `recorded` carrying out and telling, no attempts known.
async fn one_round(
    config: &Config,
    journal: &Journal,
    recorded: &Recorded,
    spool: &mut Spool,
) -> usize {
    round(
        config,
        journal,
        recorded,
        &Attempts::default(),
        spool,
        recorded,
    )
    .await
}

fn command_of(text: &str) -> Command {
    let mut commands = Vec::new();
    commands_of(
        &Config::builtin(),
        "t",
        format!("{text}\n").as_bytes(),
        None,
        |_, c| {
            commands.push(c);
        },
    )
    .unwrap();
    commands.remove(0)
}

/// A file larger than `[spool] max_bytes` is refused unread (to failed/, with why).
#[tokio::test]
async fn a_file_larger_than_the_limit_is_refused_unread() {
    let journal = Journal::in_memory().unwrap();
    let mut config = Config::builtin();
    config.spool_max_bytes = 20;
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
    std::fs::write(dir.path().join("big.hc"), "CHECKOUT 1000\nCHECKOUT 2000\n").unwrap();
    let recorded = Recorded::default();
    one_round(&config, &journal, &recorded, &mut spool).await;
    let lines = recorded.lines.lock().unwrap().join("\n");
    assert!(
        lines.contains("larger than 20 bytes") && lines.contains("split it"),
        "{lines}"
    );
    assert!(journal.entries().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("failed"))
            .unwrap()
            .count(),
        3,
        "the file and its two reports"
    );
}

/// A file that grows after it was taken: what was taken runs, and the report says what was
/// not; the text report lists every command with its result.
#[tokio::test]
async fn a_file_that_grows_after_it_was_taken_is_told_and_every_command_is_listed() {
    let journal = Journal::in_memory().unwrap();
    let config = Config::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), Duration::ZERO, false).unwrap();
    std::fs::write(dir.path().join("a.hc"), "CHECKOUT 1000\nCHECKOUT 2000\n").unwrap();
    let recorded = Recorded {
        carry_out: Some((journal.clone(), dir.path().join("work"), "CHECKOUT 3000\n")),
        ..Recorded::default()
    };
    let attempts = Attempts::default();
    attempts.lock().unwrap().insert(2, 2);
    round(
        &config, &journal, &recorded, &attempts, &mut spool, &recorded,
    )
    .await;
    let report = std::fs::read_dir(dir.path().join("done"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with(".report.txt"))
        .map_or_else(
            || recorded.lines.lock().unwrap().join("\n"),
            |path| std::fs::read_to_string(path).unwrap(),
        );
    assert!(report.contains("line 1: CHECKOUT 1000: done\n"), "{report}");
    assert!(
        report.contains("line 2: CHECKOUT 2000: done (after 2 failed attempts)"),
        "{report}"
    );
    assert!(
        report.contains("note: the file grew by 14 bytes after it was taken"),
        "{report}"
    );
    assert_eq!(
        *recorded.executed.lock().unwrap(),
        [1, 2],
        "what was taken ran; line 3 did not"
    );
}
