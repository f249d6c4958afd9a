//! A full disk under a running service, driven as the trial found it: the state directory on a
//! small tmpfs that fills and empties. Linux, and only where a tmpfs can be mounted (root, or a
//! container allowed to): elsewhere the test says it is skipped.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::service::{request, start_serve, stop};
use crate::support::TestPbx;

/// A tmpfs mounted at a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output()
            .ok()?;
        mounted.status.success().then(|| Self(at.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes into `path` until the disk refuses.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
}

fn health(address: std::net::SocketAddr) -> (u16, String) {
    request(address, "GET /v1/health HTTP/1.1", "")
}

#[test]
#[allow(clippy::print_stderr)] // the notice of a skipped test
fn a_full_disk_refuses_new_work_then_the_service_recovers_by_itself() {
    let pbx = TestPbx::start();
    let state = pbx.dir.path().join("state");
    let Some(_tmpfs) = Tmpfs::mount(&state, "3m") else {
        eprintln!("skipped: a tmpfs cannot be mounted here (not root, or not allowed)");
        return;
    };
    let spool = pbx.dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let (service, address) = start_serve(&pbx, Some(&spool));
    let token = std::fs::read_to_string(state.join("api-token"))
        .unwrap()
        .trim()
        .to_owned();
    let post = |script: &str| {
        request(
            address,
            &format!("POST /v1/scripts?source=api.hc HTTP/1.1\r\nAuthorization: Bearer {token}"),
            script,
        )
    };
    assert_eq!(post("CHECKIN 1000 \"Solo,Alina\"\n").0, 200);
    assert_eq!(health(address), (200, "ok".to_owned()));

    // The disk fills; scripts big enough to need new pages meet it.
    fill(&state.join("filler"));
    let mut big = String::new();
    for n in 0..2000 {
        let _ = writeln!(big, "COS 1000 ALLOW # {n:0>60}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let (status, body) = post(&big);
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(Instant::now() < deadline, "the disk never filled");
    };
    assert!(
        refused.contains("cannot be written") && refused.contains("free space on its disk"),
        "{refused}"
    );
    let (status, said) = health(address);
    assert_eq!(status, 503, "{said}");
    assert!(
        said.starts_with("failing: the journal cannot be written"),
        "{said}"
    );

    // A spool file that comes meanwhile waits; it is not failed for a fault of ours.
    std::fs::write(spool.join("late.hc"), "COS 1000 BLOCK\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        std::fs::read_dir(spool.join("failed")).map_or(0, Iterator::count),
        0,
        "nothing in failed/"
    );

    // Space again: the service opens its journal again by itself and goes on.
    std::fs::remove_file(state.join("filler")).unwrap();
    crate::support::wait_for("the journal writable again", || health(address).0 == 200);
    crate::support::wait_for("the waiting spool file done", || {
        std::fs::read_dir(spool.join("done")).is_ok_and(|files| files.count() > 0)
    });
    crate::support::wait_for("room 1000 blocked", || pbx.record("1000").cor_day == "2");
    assert_eq!(post("COS 1000 ALLOW\n").0, 200);
    let log = std::fs::read_to_string(pbx.dir.path().join("logs/hotelcare-service.log"))
        .unwrap_or_default();
    assert!(
        log.contains("ERROR") && log.contains("cannot be written"),
        "{log}"
    );
    assert!(log.contains("can be written again"), "{log}");
    stop(service);
}
