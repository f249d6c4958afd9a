//! The REPL as a person uses it, through a pseudo-terminal (expectrl), and as a pipe.

use crate::support::{TestPbx, text};

/// Monitor lines without what differs from run to run (time, duration, session).
fn monitor_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.len() > 13 && l.as_bytes()[2] == b':' && l.as_bytes()[8] == b'.')
        .map(|l| {
            let without_time = &l[12..];
            match without_time.rfind("  (") {
                Some(i) if without_time.ends_with(" ms)") => without_time[..i].to_owned(),
                _ => without_time.to_owned(),
            }
            .replace("repl:", "X:")
            .replace("<stdin>:", "X:")
            .split("@127.0.0.1:")
            .next()
            .unwrap_or_default()
            .to_owned()
        })
        .collect()
}

#[test]
fn piped_input_gives_the_same_monitor_lines_as_run() {
    let script = "CHECKIN 1000 \"Solo,Alina\" DID 3000\nCOS 1000 BLOCK\nMOVE 1000 2000\nSHOW 2000\nCHECKOUT 2000\n";
    let first = TestPbx::start();
    let piped = first
        .hotelcare()
        .args(["repl"])
        .write_stdin(script)
        .output()
        .unwrap();
    let second = TestPbx::start();
    let run = second.run(script);
    assert_eq!(piped.status.code(), run.status.code());
    let (piped, run) = (
        monitor_lines(&text(&piped.stdout)),
        monitor_lines(&text(&run.stdout)),
    );
    assert!(piped.len() > 10, "{piped:?}");
    // Origins differ only in the script's name.
    let normalize = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.split("  (").next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(normalize(piped), normalize(run));
}

#[test]
fn piped_input_with_an_error_runs_nothing_and_exits_1() {
    let pbx = TestPbx::start();
    let output = pbx
        .hotelcare()
        .arg("repl")
        .write_stdin("CHECKIN 1000 \"Solo,Alina\"\nCOS 1000 GOLD\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("<stdin>:2:10"));
    assert_eq!(pbx.record("1000").last_name, "Room 1000");
}

#[cfg(unix)]
mod terminal {
    use std::time::Duration;

    use expectrl::session::OsSession;
    use expectrl::{Expect, Session};

    use crate::support::{PASSWORD, TestPbx};

    fn start(pbx: &TestPbx) -> OsSession {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"));
        command
            .current_dir(pbx.dir.path())
            .args(["--color", "never", "--config"])
            .arg(&pbx.config)
            .arg("repl")
            .env("HOTELCARE_TEST_PBX_PASSWORD", PASSWORD)
            .env("TERM", "xterm");
        let mut session = Session::spawn(command).unwrap();
        session.set_expect_timeout(Some(Duration::from_secs(15)));
        session.expect("hotelcare(127.0.0.1:").unwrap();
        session
    }

    #[test]
    fn a_check_in_shows_its_operations_and_the_pbx_result() {
        let pbx = TestPbx::start();
        let mut repl = start(&pbx);
        repl.send_line("CHECKIN 1000 \"Solo,Alina\" DID 3000")
            .unwrap();
        repl.expect("set  User Profile     Last Name=\"Solo\", First Name=\"Alina\"  -> ok")
            .unwrap();
        repl.expect("DID Service Number=\"3000\", Use DID for Outgoing Calls=on  -> ok")
            .unwrap();
        repl.expect("CHECKIN   done").unwrap();
        repl.send_line(".quit").unwrap();
        repl.expect(expectrl::Eof).unwrap();
        assert_eq!(pbx.record("1000").did_service_number, "3000");
    }

    #[test]
    fn a_typo_shows_a_caret_and_the_next_command_still_works() {
        let pbx = TestPbx::start();
        let mut repl = start(&pbx);
        repl.send_line("COS 1000 BLOK").unwrap();
        repl.expect("error: unknown class of service `BLOK`")
            .unwrap();
        repl.expect("--> repl:1:10").unwrap();
        repl.expect("^^^^ unknown level").unwrap();
        repl.expect("nothing was run").unwrap();
        repl.send_line("COS 1000 LOCAL").unwrap();
        repl.expect("COS       done").unwrap();
        repl.send_line(".quit").unwrap();
        repl.expect(expectrl::Eof).unwrap();
        assert_eq!(pbx.record("1000").cor_day, "3");
    }

    #[test]
    fn tab_completes_chec_to_checkin() {
        let pbx = TestPbx::start();
        let mut repl = start(&pbx);
        repl.send("CHEC\t").unwrap();
        repl.expect("CHECKIN").unwrap();
        // Ctrl-C clears the line; the session goes on.
        repl.send("\x03").unwrap();
        repl.expect("hotelcare(127.0.0.1:").unwrap(); // a fresh prompt
        repl.send("SHOW 10\t").unwrap();
        repl.expect("SHOW 1000").unwrap();
        repl.send("\r").unwrap();
        repl.expect("room 1000 (\"Room 1000\")").unwrap();
        repl.expect("hotelcare(127.0.0.1:").unwrap();
        repl.send("\x04").unwrap(); // Ctrl-D leaves
        repl.expect(expectrl::Eof).unwrap();
    }

    #[test]
    fn ctrl_c_while_a_command_waits_leaves_it_queued_and_returns_to_the_prompt() {
        let pbx = TestPbx::start();
        let mut repl = start(&pbx);
        pbx.set_faults(hotelcare::sim::Faults {
            hang_rate: 1.0,
            ..hotelcare::sim::Faults::default()
        });
        repl.send_line("COS 1000 BLOCK").unwrap();
        // The PBX does not answer: the first attempt times out (2 s), the second waits.
        repl.expect("failed (attempt 1)").unwrap();
        repl.send("\x03").unwrap();
        repl.expect("interrupted by Ctrl-C: 1 command left queued")
            .unwrap();
        repl.expect("hotelcare(127.0.0.1:").unwrap();
        repl.send_line(".queue").unwrap();
        repl.expect("COS 1000 BLOCK").unwrap();
        repl.expect("(repl:1, 1 failed attempt)").unwrap();
        // Ctrl-C at the empty prompt, twice: the session ends. (Each sent once the prompt is
        // there: a Ctrl-C before it is a signal to the process, not a key to the line editor.)
        repl.expect("hotelcare(127.0.0.1:").unwrap();
        repl.send("\x03").unwrap();
        repl.expect("Ctrl-C again").unwrap();
        repl.expect("hotelcare(127.0.0.1:").unwrap();
        repl.send("\x03").unwrap();
        repl.expect(expectrl::Eof).unwrap();
        pbx.set_faults(hotelcare::sim::Faults::default());
        let list = pbx.hotelcare().args(["queue", "list"]).output().unwrap();
        let listing = crate::support::text(&list.stdout);
        assert!(listing.contains("1 pending, 0 failed"), "{listing}");
        assert!(listing.contains("1 failed attempt"), "{listing}");
    }

    #[test]
    fn history_survives_a_restart() {
        let pbx = TestPbx::start();
        let mut repl = start(&pbx);
        repl.send_line("CHECKIN 1000 \"Remembered,Line\" REPLACE")
            .unwrap();
        repl.expect("CHECKIN   done").unwrap();
        repl.expect("hotelcare(127.0.0.1:").unwrap(); // the prompt is back
        repl.send("\x04").unwrap(); // Ctrl-D, so that the rename is the last line of the history
        repl.expect(expectrl::Eof).unwrap();

        let mut repl = start(&pbx);
        repl.send("\x1b[A").unwrap(); // Up: the previous session's line comes back
        repl.expect("CHECKIN 1000 \"Remembered,Line\" REPLACE")
            .unwrap();
        repl.send("\r").unwrap();
        repl.expect("CHECKIN   done").unwrap();
        repl.send_line(".quit").unwrap();
        repl.expect(expectrl::Eof).unwrap();
        assert_eq!(
            pbx.simulator().stats().updates,
            3 + 6,
            "the line ran twice, once per session (the room vacant, then occupied by the first)"
        );
    }
}
