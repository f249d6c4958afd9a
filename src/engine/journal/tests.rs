use super::*;
use crate::lang::validate::Action;

/// A completion that leaves its rooms as they stood.
fn unchanged() -> After {
    Box::new(|_| Vec::new())
}

fn command(room: &str) -> (String, Command) {
    (
        format!("t.hc:{room}"),
        Command {
            line: 1,
            text: format!("CHECKOUT {room}"),
            action: Action::CheckOut { room: room.into() },
            reservation: None,
        },
    )
}

#[tokio::test]
async fn survives_reopening_and_keeps_order_status_reads_and_markers() {
    let dir = tempfile::tempdir().unwrap();
    {
        let journal = Journal::open(dir.path()).unwrap();
        let seqs = journal
            .append_with(
                vec![command("1"), command("2"), command("3")],
                Extras {
                    marker: Some(("spool/a.hc".into(), serde_json::json!({"x": 1}))),
                    scripts: vec![("abc".into(), "a.hc".into())],
                    refuse_seen_within: None,
                    room_flags: vec![("9".into(), FlagChange::Reservation(Some("7".into())))],
                    pms_wakeups: Vec::new(),
                    blocked: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(
            journal
                .room("9")
                .unwrap()
                .unwrap()
                .flags
                .reservation
                .as_deref(),
            Some("7"),
            "the flags are written with the commands"
        );
        let second = journal.get(2).unwrap().unwrap();
        journal.complete_now(&second, unchanged()).await.unwrap();
        let mut third = journal.get(3).unwrap().unwrap();
        third.status = Status::Failed;
        third.attempts = 4;
        third.kept = serde_json::json!({"1": [["ServiceLabel", "Room 3"]]});
        journal.update(&third).await.unwrap();
    }
    let journal = Journal::open(dir.path()).unwrap();
    let marker = journal.marked("spool/a.hc").unwrap().unwrap();
    assert_eq!(marker.seqs().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(marker.details["x"], 1);
    let stamp = journal.script_seen("abc").unwrap().unwrap();
    assert_eq!((stamp.name.as_str(), stamp.first_seq), ("a.hc", Some(1)));
    assert_eq!(journal.script_seen("abd").unwrap(), None);
    assert_eq!(journal.marked("spool/b.hc").unwrap(), None);
    let entries = journal.entries().unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(entries[1].kept["1"][0][1], "Room 3");
    assert_eq!(journal.pending_after(0, 10).unwrap().len(), 1);
    let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
    assert_eq!((requeued.len(), overtaken.len()), (1, 0));
    assert_eq!(journal.pending_after(0, 10).unwrap().len(), 2);
    assert_eq!(journal.pending_after(1, 10).unwrap()[0].seq, 3);
    // Sequence numbers are never reused.
    assert_eq!(journal.append(vec![command("4")]).await.unwrap(), [4]);
}

#[tokio::test]
async fn a_flag_written_while_a_command_ran_survives_its_completion() {
    let journal = Journal::in_memory().unwrap();
    journal.append(vec![command("1")]).await.unwrap();
    let entry = journal.get(1).unwrap().unwrap();
    // The FIAS link (or the PBX) wrote a flag while the command ran...
    journal
        .set_room_flag("1", FlagChange::Reservation(Some("2".into())))
        .await
        .unwrap();
    // ...and the command's new state is worked out from the room as it stands then.
    journal
        .complete_now(
            &entry,
            Box::new(|before| {
                let state = RoomState {
                    cor: Some(2),
                    ..before("1")
                };
                vec![("1".into(), state)]
            }),
        )
        .await
        .unwrap();
    let room = journal.room("1").unwrap().unwrap();
    assert_eq!(room.cor, Some(2));
    assert_eq!(room.flags.reservation.as_deref(), Some("2"));
    // A flag command's own flag is its own.
    let flag = (
        "t.hc:2".to_owned(),
        Command {
            line: 2,
            text: "MW 1 ON".into(),
            action: Action::SetFlag {
                room: "1".into(),
                flag: crate::lang::syntax::Flag::MessageWaiting,
                on: true,
            },
            reservation: None,
        },
    );
    journal.append(vec![flag]).await.unwrap();
    let entry = journal.get(2).unwrap().unwrap();
    journal
        .complete_now(
            &entry,
            Box::new(|before| {
                let mut state = before("1");
                state.flags.message_waiting = Some(true);
                vec![("1".into(), state)]
            }),
        )
        .await
        .unwrap();
    let room = journal.room("1").unwrap().unwrap();
    assert_eq!(room.flags.reservation.as_deref(), Some("2"));
    assert_eq!(room.flags.message_waiting, Some(true));
}

/// `queue drop` while the command ran: what the run writes of it afterwards (its reads, a
/// failure) does not bring it back.
#[tokio::test]
async fn a_command_dropped_while_it_ran_stays_dropped() {
    let journal = Journal::in_memory().unwrap();
    let seqs = journal
        .append(vec![command("1"), command("2")])
        .await
        .unwrap();
    let mut dropped = journal.get(seqs[0]).unwrap().unwrap();
    let mut kept = journal.get(seqs[1]).unwrap().unwrap();
    journal.remove(seqs[0]).await.unwrap();
    dropped.kept = serde_json::json!("read before writing");
    kept.kept = serde_json::json!("read before writing");
    journal.update(&dropped).await.unwrap();
    journal.update(&kept).await.unwrap();
    assert!(journal.get(seqs[0]).unwrap().is_none(), "still dropped");
    assert_eq!(journal.get(seqs[1]).unwrap().unwrap().kept, kept.kept);
}

#[tokio::test]
async fn a_failed_command_overtaken_on_its_room_is_not_requeued() {
    let journal = Journal::in_memory().unwrap();
    journal
        .append(vec![command("1"), command("1"), command("2")])
        .await
        .unwrap();
    for seq in [1, 3] {
        let mut failed = journal.get(seq).unwrap().unwrap();
        failed.status = Status::Failed;
        journal.update(&failed).await.unwrap();
    }
    let later = journal.get(2).unwrap().unwrap();
    journal.complete_now(&later, unchanged()).await.unwrap();
    let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
    assert_eq!(requeued.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
    assert_eq!(seqs_overtaken(&overtaken), [(1, 2)]);
    assert_eq!(journal.count_pending().unwrap(), 1);
}

#[tokio::test]
async fn what_a_format_2_journal_knows_of_a_room_s_last_command_still_counts() {
    let dir = tempfile::tempdir().unwrap();
    {
        let journal = Journal::open(dir.path()).unwrap();
        a_failed_command_then_one_done(&journal, "1").await;
    }
    {
        // Format 3 keeps the last command done in the room's record only.
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let read = db.begin_read().unwrap();
        assert!(matches!(
            read.open_table(ROOM_DONE),
            Err(redb::TableError::TableDoesNotExist(_))
        ));
        drop(read);
        // As a format-2 release left it: the last command done in `room_done`, and a record
        // of the room without it (it could also be that release's record of another room).
        let txn = db.begin_write().unwrap();
        txn.open_table(ROOM_DONE).unwrap().insert("1", 2).unwrap();
        txn.open_table(ROOMS)
            .unwrap()
            .insert(
                "1",
                serde_json::to_vec(&RoomState::default())
                    .unwrap()
                    .as_slice(),
            )
            .unwrap();
        txn.open_table(META).unwrap().insert(FORMAT, 2).unwrap();
        txn.commit().unwrap();
    }
    let backup = dir.path().join(format!("{FILE_NAME}.format2.bak"));
    {
        let journal = Journal::open(dir.path()).unwrap();
        assert!(backup.exists());
        let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
        assert!(requeued.is_empty(), "{requeued:?}");
        assert_eq!(seqs_overtaken(&overtaken), [(1, 2)]);
    }
    // The copy is the format-2 file; the journal is format 3 now, and opened again it is
    // not copied again.
    let copy = Database::create(&backup).unwrap();
    assert_eq!(stored_format(&copy).unwrap(), Some(2));
    drop(copy);
    std::fs::remove_file(&backup).unwrap();
    {
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(stored_format(&db).unwrap(), Some(CURRENT_FORMAT));
    }
    let journal = Journal::open(dir.path()).unwrap();
    assert!(!backup.exists());
    // The later of the record's last command and `room_done`'s counts: a command done on the
    // room now (4) overtakes a failed one (3) that `room_done` (2) alone would not.
    a_failed_command_then_one_done(&journal, "1").await;
    let (requeued, overtaken) = journal.requeue_failed().await.unwrap();
    assert!(requeued.is_empty(), "{requeued:?}");
    assert_eq!(seqs_overtaken(&overtaken), [(1, 4), (3, 4)]);
}

/// Each overtaken command's number, with the number of the command that overtook it.
fn seqs_overtaken(overtaken: &[(Entry, u64)]) -> Vec<(u64, u64)> {
    overtaken.iter().map(|(e, by)| (e.seq, *by)).collect()
}

/// Two commands on `room` journaled: the first failed, the second done.
async fn a_failed_command_then_one_done(journal: &Journal, room: &str) {
    let seqs = journal
        .append(vec![command(room), command(room)])
        .await
        .unwrap();
    let mut failed = journal.get(seqs[0]).unwrap().unwrap();
    failed.status = Status::Failed;
    journal.update(&failed).await.unwrap();
    let done = journal.get(seqs[1]).unwrap().unwrap();
    journal.complete_now(&done, unchanged()).await.unwrap();
}

#[tokio::test]
async fn a_done_command_is_its_rooms_last_whatever_its_after_made_of_them() {
    let journal = Journal::in_memory().unwrap();
    journal.append(vec![command("1")]).await.unwrap();
    let entry = journal.get(1).unwrap().unwrap();
    // An `After` that leaves the room's last command out (or gets it wrong).
    let after: After = Box::new(|before| {
        let mut state = before("1");
        state.occupied = true;
        state.last = None;
        vec![("1".into(), state)]
    });
    journal.complete_now(&entry, after).await.unwrap();
    let room = journal.room("1").unwrap().unwrap();
    assert!(room.occupied, "what `after` made of the room is kept");
    let last = room.last.unwrap();
    assert_eq!(
        (last.seq, last.origin.as_str(), last.keyword.as_str()),
        (1, "t.hc:1", "CHECKOUT")
    );
}

#[tokio::test]
async fn compaction_keeps_what_is_live_and_drops_what_finished_commands_left() {
    let dir = tempfile::tempdir().unwrap();
    let named = |room: &str, name: &str| {
        (
            format!("t.hc:{room}"),
            Command {
                line: 1,
                text: format!("RENAME {room} \"{name}\""),
                action: Action::CheckOut { room: room.into() },
                reservation: None,
            },
        )
    };
    {
        let journal = Journal::open(dir.path()).unwrap();
        journal
            .append(vec![
                named("1", "Gone,Guestname"),
                named("2", "Kept,Guestname"),
            ])
            .await
            .unwrap();
        let done = journal.get(1).unwrap().unwrap();
        journal.complete_now(&done, unchanged()).await.unwrap();
    }
    let file = dir.path().join(FILE_NAME);
    let contains =
        |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    compact(dir.path()).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let contains = |needle: &str| contains(&bytes, needle);
    assert!(!contains("Gone,Guestname"));
    assert!(contains("Kept,Guestname"));
    let journal = Journal::open(dir.path()).unwrap();
    assert_eq!(journal.entries().unwrap().len(), 1);
    assert_eq!(journal.append(vec![command("3")]).await.unwrap(), [3]);
    assert!(compact(dir.path()).is_err(), "refused while open");
}

#[tokio::test]
async fn a_journal_of_the_first_release_is_opened_after_a_backup_copy() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1/journal.redb");
    std::fs::copy(&fixture, dir.path().join(FILE_NAME)).unwrap();
    {
        let journal = Journal::open(dir.path()).unwrap();
        let entries = journal.entries().unwrap();
        let described: Vec<_> = entries
            .iter()
            .map(|e| (e.seq, e.status.clone(), e.command.text.as_str()))
            .collect();
        assert_eq!(
            described,
            [
                (2, Status::Failed, "COS 4711 BLOCK"),
                (
                    3,
                    Status::Pending,
                    "CHECKIN 2000 \"Fixture,Guest\" DID AUTO"
                ),
                (4, Status::Pending, "MOVE 1000 2000"),
            ]
        );
        assert!(
            matches!(
                &entries[1].command.action,
                Action::CheckIn(crate::lang::validate::CheckIn { replace: false, .. })
            ),
            "format 1 had no REPLACE"
        );
        assert_eq!(entries[1].attempts, 1);
        // New commands continue the numbering.
        assert_eq!(journal.append(vec![command("5")]).await.unwrap(), [5]);
    }
    let backup = dir.path().join(format!("{FILE_NAME}.format1.bak"));
    assert_eq!(
        std::fs::read(&backup).unwrap(),
        std::fs::read(&fixture).unwrap()
    );
    // Opened again: already current, no second copy, nothing lost.
    std::fs::remove_file(&backup).unwrap();
    let journal = Journal::open(dir.path()).unwrap();
    assert!(!backup.exists());
    assert_eq!(journal.entries().unwrap().len(), 4);
}

#[test]
fn a_journal_of_a_newer_release_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::create(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert(FORMAT, 99).unwrap();
        txn.commit().unwrap();
    }
    let error = Journal::open(dir.path()).err().unwrap().to_string();
    assert!(
        error.contains("newer hotelcare (journal format 99"),
        "{error}"
    );
    assert!(error.contains("move the state directory aside"), "{error}");
}

#[tokio::test]
async fn a_second_process_is_told_the_journal_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Journal::open(dir.path()).unwrap();
    let error = Journal::open(dir.path()).err().unwrap();
    assert!(
        error
            .to_string()
            .contains("in use by another hotelcare process"),
        "{error}"
    );
}

/// A record that does not read is an error that names it: never a default that loses a guest's
/// data, never a duplicate check skipped.
#[tokio::test]
async fn a_corrupt_record_is_an_error_that_names_it() {
    let journal = Journal::in_memory().unwrap();
    journal
        .write(Box::new(|txn| {
            let mut rooms = txn.open_table(ROOMS).map_err(|e| error("test", e))?;
            rooms
                .insert("1000", b"{not json".as_slice())
                .map_err(|e| error("test", e))?;
            let mut scripts = txn.open_table(SCRIPTS).map_err(|e| error("test", e))?;
            scripts
                .insert("abc", b"[1,".as_slice())
                .map_err(|e| error("test", e))?;
            Ok(())
        }))
        .await
        .unwrap();
    let rooms = journal.rooms().unwrap_err().to_string();
    assert!(rooms.contains("room 1000 does not read"), "{rooms}");
    let seen = journal
        .append_with(
            vec![command("2000")],
            Extras {
                scripts: vec![("abc".into(), "again.hc".into())],
                refuse_seen_within: Some(3600),
                ..Extras::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        seen.contains("stamp of the script abc does not read"),
        "{seen}"
    );
    assert_eq!(journal.count_pending().unwrap(), 0, "nothing was journaled");
    // A command done on the room cannot be recorded over the record it cannot read: it stays
    // pending, and the record stays as it is for someone to look at.
    journal.append(vec![command("1000")]).await.unwrap();
    let entry = journal.get(1).unwrap().unwrap();
    let completed = journal
        .complete_now(
            &entry,
            Box::new(|before| vec![("1000".into(), before("1000"))]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(completed.contains("room 1000 does not read"), "{completed}");
    assert_eq!(journal.count_pending().unwrap(), 1, "still pending");
    assert!(journal.room("1000").is_err(), "the record is untouched");
    // A query changes no room and does not read its record: a `SHOW` of the room completes.
    let show = (
        "t.hc:3".to_owned(),
        Command {
            line: 3,
            text: "SHOW 1000".into(),
            action: Action::Show {
                room: "1000".into(),
            },
            reservation: None,
        },
    );
    let seqs = journal.append(vec![show]).await.unwrap();
    let entry = journal.get(seqs[0]).unwrap().unwrap();
    journal.complete_now(&entry, unchanged()).await.unwrap();
    assert!(journal.get(seqs[0]).unwrap().is_none(), "done");
}

/// A full disk: the write that meets it fails and says so; every write after it is refused at
/// once with what to do; nothing is lost; once there is space again the journal is opened again
/// by itself and takes commands.
#[tokio::test]
async fn a_full_disk_refuses_writes_until_space_is_back_then_the_journal_reopens() {
    let disk = crate::tests::disk::Disk::default();
    let journal = disk.journal(std::time::Duration::from_secs(600));
    let kept = journal.append(vec![command("1")]).await.unwrap();
    assert!(journal.fault().is_none());

    disk.fill(true);
    let refused = journal.append(vec![command("2")]).await.unwrap_err();
    assert!(
        refused.to_string().contains("No space left on device")
            && refused.to_string().contains("free space on its disk"),
        "{refused}"
    );
    let fault = journal.fault().expect("the fault is told");
    assert!(fault.error.contains("No space left"), "{fault:?}");
    assert!(!fault.gave_up);
    let again = journal.append(vec![command("3")]).await.unwrap_err();
    assert!(matches!(again, JournalError::Unwritable(_)), "{again}");

    disk.empty(&journal).await;
    let seqs = journal.append(vec![command("4")]).await.unwrap();
    let pending: Vec<u64> = journal.entries().unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(
        pending,
        [kept[0], seqs[0]],
        "what was journaled before is kept; nothing refused was"
    );
}

/// A disk that stays full: past the give-up time the fault says so (the service then stops).
#[tokio::test]
async fn a_disk_that_stays_full_is_given_up_on() {
    let disk = crate::tests::disk::Disk::default();
    let journal = disk.journal(std::time::Duration::from_millis(300));
    journal.append(vec![command("1")]).await.unwrap();
    disk.fill(true);
    journal.append(vec![command("2")]).await.unwrap_err();
    let mut faults = journal.faults();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        faults.wait_for(|fault| fault.as_ref().is_some_and(|f| f.gave_up)),
    )
    .await
    .expect("given up on within 10 s")
    .unwrap();
}

/// A page of the queue: at most `limit` after `after`, with the counts of all that are kept.
#[tokio::test]
async fn a_page_of_the_queue_has_its_commands_and_the_counts_of_the_whole() {
    let journal = Journal::in_memory().unwrap();
    journal
        .append(vec![
            command("1"),
            command("2"),
            command("3"),
            command("4"),
            command("5"),
        ])
        .await
        .unwrap();
    let mut failed = journal.get(4).unwrap().unwrap();
    failed.status = Status::Failed;
    journal.update(&failed).await.unwrap();
    let page = journal.page(0, 2, |_| true).unwrap();
    let seqs = |page: &Page| page.entries.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(&page), [1, 2]);
    assert_eq!(
        (page.pending, page.failed, page.more, page.all),
        (4, 1, 3, 5)
    );
    let page = journal.page(2, 2, |_| true).unwrap();
    assert_eq!((seqs(&page), page.more), (vec![3, 4], 1));
    let odd = journal
        .page(0, 10, |e| {
            e.command.action.room().parse::<u32>().unwrap() % 2 == 1
        })
        .unwrap();
    assert_eq!(seqs(&odd), [1, 3, 5]);
    assert_eq!((odd.pending, odd.failed, odd.more, odd.all), (3, 0, 0, 5));
}

/// A completion is handed to the writer and committed with the next write that may not wait
/// (the next command's kept reads), sharing its fsync; nobody sees it before. If the disk fails
/// first, it is never told durable (its command is not reported done) and the command is still
/// pending once the journal is opened again.
#[tokio::test]
async fn a_completion_shares_the_next_commit_and_is_durable_only_with_it() {
    let disk = crate::tests::disk::Disk::default();
    let hour = std::time::Duration::from_secs(3600);
    let journal = disk.journal_grouping(hour, hour);
    let seqs = journal
        .append(vec![command("1"), command("2"), command("3")])
        .await
        .unwrap();
    let first = journal.get(seqs[0]).unwrap().unwrap();
    let syncs = disk.syncs();
    let mut synced = journal.complete(&first, unchanged(), false).unwrap();
    let mut second = journal.get(seqs[1]).unwrap().unwrap();
    assert!(
        journal.get(seqs[0]).unwrap().is_some(),
        "not committed on its own"
    );
    assert!(synced.try_recv().is_err(), "not durable yet");
    second.kept = serde_json::json!("read before writing");
    journal.update(&second).await.unwrap();
    assert!(
        matches!(synced.try_recv(), Ok(Ok(()))),
        "durable with the write after it"
    );
    assert!(journal.get(seqs[0]).unwrap().is_none());
    assert_eq!(disk.syncs(), syncs + 1, "one commit, one fsync for both");

    let synced = journal.complete(&second, unchanged(), false).unwrap();
    disk.fill(true);
    assert!(journal.compact_now().await.is_err(), "the disk is full");
    assert!(
        Journal::synced(synced).await.is_err(),
        "never told durable: its commit failed"
    );
    disk.empty(&journal).await;
    let pending: Vec<u64> = journal.entries().unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(
        pending,
        [seqs[1], seqs[2]],
        "the completion that did not reach the disk is lost, its command still pending"
    );
}

/// Nothing after it: a completion is committed on its own once the window has passed.
#[tokio::test]
async fn a_completion_alone_is_made_durable_within_the_window() {
    let disk = crate::tests::disk::Disk::default();
    let journal = disk.journal_grouping(
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_millis(20),
    );
    let seqs = journal.append(vec![command("1")]).await.unwrap();
    let first = journal.get(seqs[0]).unwrap().unwrap();
    let synced = journal.complete(&first, unchanged(), false).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), Journal::synced(synced))
        .await
        .expect("made durable by itself")
        .expect("durable");
    drop(journal);
    let journal = disk.journal(std::time::Duration::from_secs(3600));
    assert!(
        journal.entries().unwrap().is_empty(),
        "done, also after reopening"
    );
}
