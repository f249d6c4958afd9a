//! `hotelcare sim` as a separate process: it prints its URL first, takes faults from flags and
//! from its test API, and a `run` against it (plain HTTP, its own credentials) sees them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::support::{hotelcare, text};

struct Sim(Child, String);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(extra: &[&str]) -> Sim {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--plain",
            "--user",
            "tester",
            "--password",
            "pw",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading what it prints, as a terminal would.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = first.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "first line: {first}");
    Sim(child, url)
}

fn config(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let path = dir.join("hotelcare.toml");
    std::fs::write(
        &path,
        format!(
            "[pbx]\nserver = \"{url}\"\nallow_plain_http = true\nuser = \"tester\"\npassword = \"pw\"\ntimeout_secs = 2\n\n[run]\nstate_dir = \"state\"\n\n[run.retry]\nattempts = 1\n"
        ),
    )
    .unwrap();
    path
}

fn http(method: reqwest::Method, url: &str, body: Option<&str>) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().request(method, url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.text().await.unwrap()
    })
}

#[test]
fn standalone_simulator_with_test_api_and_flags() {
    let sim = start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &sim.1);
    let rooms = http(reqwest::Method::GET, &format!("{}/_sim/rooms", sim.1), None);
    assert!(
        rooms.contains("\"1000\"") && rooms.contains("Room 2000"),
        "{rooms}"
    );

    hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["run", "-"])
        .write_stdin("CHECKIN 1000 \"Solo,Alina\"\n")
        .assert()
        .success();
    let room = http(
        reqwest::Method::GET,
        &format!("{}/_sim/rooms/1000", sim.1),
        None,
    );
    assert!(room.contains("\"directory_name\":\"Solo,Alina\""), "{room}");

    http(
        reqwest::Method::PUT,
        &format!("{}/_sim/faults", sim.1),
        Some(r#"{"refuse_values": [["2000", "ClassOfRestrictionDay"]]}"#),
    );
    let output = hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["run", "-"])
        .write_stdin("COS 2000 BLOCK\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(
        text(&output.stderr).contains("the PBX refused COR Day"),
        "{}",
        text(&output.stderr)
    );
    let stats = http(reqwest::Method::GET, &format!("{}/_sim/stats", sim.1), None);
    assert!(stats.contains("\"logins\":2"), "{stats}");
}

#[test]
fn failure_rate_flag_is_survived_by_retries() {
    let sim = start(&["--failure-rate", "0.5"]);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &sim.1);
    std::fs::write(
        &config,
        std::fs::read_to_string(&config).unwrap().replace(
            "attempts = 1",
            "attempts = 30\ninitial_backoff_ms = 5\nmax_backoff_ms = 20",
        ),
    )
    .unwrap();
    hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["run", "-"])
        .write_stdin("CHECKIN 1000 \"Solo,Alina\"\nCHECKIN 2000 \"Doe,John\"\n")
        .assert()
        .success();
    let stats = http(reqwest::Method::GET, &format!("{}/_sim/stats", sim.1), None);
    let injected: u64 = stats
        .split("\"injected\":")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(injected > 0, "{stats}");
    // Both check-ins were applied in full despite the failures: three sets each.
    assert!(stats.contains("\"updates\":6"), "{stats}");
}

#[test]
fn a_simulator_with_a_state_dir_keeps_rooms_and_certificate_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sim-state");
    let start_tls = || {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--user",
                "tester",
                "--password",
                "pw",
                "--state-dir",
            ])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..3 {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            lines.push(line);
        }
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let fingerprint = lines[1].split_whitespace().nth(2).unwrap().to_owned();
        (Sim(child, lines[0].trim().to_owned()), fingerprint)
    };
    let (first, pin) = start_tls();
    let config = |url: &str| {
        let path = dir.path().join("hotelcare.toml");
        std::fs::write(
            &path,
            format!(
                "[pbx]\nserver = \"{}\"\nuser = \"tester\"\npassword = \"pw\"\npin_sha256 = \"{pin}\"\n\n[run]\nstate_dir = \"state\"\n",
                url.trim_start_matches("https://")
            ),
        )
        .unwrap();
        path
    };
    hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(config(&first.1))
        .args(["run", "-"])
        .write_stdin("CHECKIN 1000 \"Solo,Alina\"\n")
        .assert()
        .success();
    drop(first);
    let (second, same_pin) = start_tls();
    assert_eq!(pin, same_pin, "the same certificate after a restart");
    let output = hotelcare()
        .current_dir(dir.path())
        .arg("--config")
        .arg(config(&second.1))
        .args(["show", "1000"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("Last Name                   \"Solo\""),
        "{}",
        text(&output.stdout)
    );
}

#[tokio::test]
async fn a_simulator_stopped_right_after_it_started_stops() {
    // A command that ends at once (a script refused as a duplicate) stops the embedded simulator
    // before its task first ran; it used to wait for a shutdown it had missed, for ever.
    for _ in 0..60 {
        let simulator = hotelcare::sim::Simulator::start(hotelcare::sim::Options::new("u", "p"))
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), simulator.stop())
            .await
            .expect("the simulator stops");
    }
}

/// The embedded simulator (no `[pbx]`) serves hotelcare only: no test API for any local user
/// to read its rooms or set faults with.
#[test]
fn the_embedded_simulator_has_no_test_api() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = crate::support::Service::new(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"))
            .current_dir(dir.path())
            .env_remove("HOTELCARE_CONFIG")
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = service.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let url = lines
        .find_map(|line| {
            let line = line.ok()?;
            let start = line.find("https://")?;
            Some(line[start..].split(' ').next()?.to_owned())
        })
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap()
                .get(format!("{url}/_sim/stats"))
                .send()
                .await
                .unwrap()
                .status()
        });
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    let _ = service.kill();
}
