//! `check` and `plan` through the binary: exit codes, diagnostics, what is (not) printed.

use predicates::prelude::*;

use crate::support::{hotelcare, text};

const TRANSFER_CONFIG: &str = "scripts/vendor-example-transfer.toml";

#[test]
fn check_accepts_the_vendor_examples() {
    hotelcare()
        .args([
            "check",
            "scripts/vendor-example-transfer.hc",
            "--config",
            TRANSFER_CONFIG,
        ])
        .assert()
        .success()
        .stdout("")
        .stderr("ok: 4 commands\n");
    hotelcare()
        .args([
            "check",
            "scripts/vendor-example.hc",
            "--config",
            "scripts/vendor-example.toml",
        ])
        .assert()
        .success();
}

#[test]
fn plan_shows_the_vendor_check_in_and_check_out_with_transfer() {
    let output = hotelcare()
        .args([
            "plan",
            "scripts/vendor-example-transfer.hc",
            "--config",
            TRANSFER_CONFIG,
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    let (checkin, rest) = stdout.split_once("COS 1000 BLOCK").unwrap();
    assert!(
        checkin.contains(r#"Last Name="Solo", First Name="Alina""#),
        "{checkin}"
    );
    assert!(
        checkin.contains(r#"Directory Name="Solo,Alina""#),
        "{checkin}"
    );
    assert!(
        checkin.contains("COR Day=1, COR Night 1=1, COR Night 2=1"),
        "{checkin}"
    );
    assert!(
        checkin.contains(r#"DID Service Number="3000", Use DID for Outgoing Calls=on"#),
        "{checkin}"
    );
    let checkout = rest.split_once("CHECKOUT 2000").unwrap().1;
    assert!(
        checkout.contains("read Service Profile  Service Label -> $1"),
        "{checkout}"
    );
    assert!(
        checkout.contains("COR Day=2, COR Night 1=2, COR Night 2=2, DID Service Number=empty"),
        "{checkout}"
    );
    assert!(
        checkout.contains("Last Name=$1.Service Label, First Name=empty"),
        "{checkout}"
    );
    assert!(
        checkout.contains("Directory Name=$1.Service Label"),
        "{checkout}"
    );
}

#[test]
fn an_error_on_line_3_names_line_and_column_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.hc");
    std::fs::write(
        &script,
        "CHECKIN 1000 \"Solo,Alina\"\nCOS 1000 BLOCK\nCOS 1000 GOLD\nCHECKOUT 1000\n",
    )
    .unwrap();
    for subcommand in ["check", "plan"] {
        hotelcare()
            .arg(subcommand)
            .arg(&script)
            .args(["--config", TRANSFER_CONFIG])
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains("bad.hc:3:10"))
            .stderr(predicate::str::contains("unknown class of service `GOLD`"))
            .stderr(predicate::str::contains("error: 1 error;"));
    }
}

#[test]
fn raw_plan_escapes_xml_in_names() {
    let output = hotelcare()
        .args(["plan", "-", "--raw", "--config", TRANSFER_CONFIG])
        .write_stdin("CHECKIN 1000 \"Smith & Sons,<Bob>\"\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("<mx:LastName>Smith &amp; Sons</mx:LastName>"),
        "{stdout}"
    );
    assert!(
        stdout.contains("<mx:FirstName>&lt;Bob&gt;</mx:FirstName>"),
        "{stdout}"
    );
    // In the envelopes (not the monitor lines, which quote the name as written), no raw `&` or `<`
    // inside a value.
    let xml_lines = stdout
        .lines()
        .filter(|l| l.starts_with("        ") && l.trim_start().starts_with('<'));
    assert!(xml_lines.clone().count() > 20, "{stdout}");
    for line in xml_lines {
        assert!(
            !line.contains("& ") && !line.contains("<Bob"),
            "unescaped: {line}"
        );
    }
}

#[test]
fn errors_in_several_files_are_all_reported_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.hc"), dir.path().join("b.hc"));
    std::fs::write(&a, "CHECKIN 1000 \"x\" DID 3000\n").unwrap();
    std::fs::write(&b, "CHECKIN 2000 \"y\" DID 3000\nMOVE 1 1\n").unwrap();
    hotelcare()
        .arg("plan")
        .args([&a, &b])
        .args(["--config", TRANSFER_CONFIG])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("b.hc:1:18"))
        .stderr(predicate::str::contains(
            "DID 3000 is already given to room 1000 (at ",
        ))
        .stderr(predicate::str::contains("a.hc:1) and not taken back"))
        .stderr(predicate::str::contains("b.hc:2:8"))
        .stderr(predicate::str::contains("error: 2 errors;"));
}

#[test]
fn did_without_number_transfer_says_how_to_enable_it() {
    hotelcare()
        .args(["check", "-", "--config", "scripts/vendor-example.toml"])
        .write_stdin("DID 1000 3000\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("telephone number transfer is off"))
        .stderr(predicate::str::contains(
            "`enabled = true` under `[number_transfer]`",
        ));
}

#[test]
fn missing_script_is_named() {
    hotelcare()
        .args(["check", "no/such.hc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read `no/such.hc`"));
}

#[test]
fn bad_configuration_is_a_usage_error_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(&config, "[class_of_restriction]\nallow = 1\nblock = 200\n").unwrap();
    hotelcare()
        .args(["check", "scripts/vendor-example.hc", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hotelcare.toml:3:9"))
        .stderr(predicate::str::contains(
            "`class_of_restriction.block`: 200 is not a Class of Restriction",
        ));
}

#[test]
fn warnings_do_not_stop_a_script() {
    hotelcare()
        .args(["check", "-", "--config", TRANSFER_CONFIG])
        .write_stdin("CHECKIN 1000 \"Mustermann,Maximilian\"\n")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: the name is longer than the PBX field Directory Name",
        ))
        .stderr(predicate::str::contains("ok: 1 command, 1 warning"));
}

#[test]
fn the_example_configuration_is_valid_and_documents_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(crate::support::root().join("hotelcare.example.toml")).unwrap();
    // Every key of the file, commented-out ones included, must be a key the program reads.
    let uncommented: String = text
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if let Some(rest) = t.strip_prefix("# ")
                && rest.contains(" = ")
                && !rest.starts_with("...")
                && rest
                    .split(" = ")
                    .next()
                    .is_some_and(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            {
                return rest.to_owned();
            }
            l.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    // `password`, `password_env` and `password_file` exclude each other; `ca_file` and
    // `pin_sha256` too.
    let uncommented = uncommented
        .replace("password = \"...\"", "")
        .replace(
            "password_file = \"/run/credentials/hotelcare.service/pbx-password\"",
            "",
        )
        .replace("pin_sha256 = \"AB:CD:...\"", "")
        // A group this machine has (the example names the PMS's, which it has not).
        .replace("report_group = \"pms\"", "report_group = \"root\"");
    let config = dir.path().join("hotelcare.toml");
    std::fs::write(&config, uncommented).unwrap();
    std::fs::write(dir.path().join("rooms.toml"), "").unwrap();
    hotelcare()
        .args(["check", "scripts/vendor-example-transfer.hc", "--config"])
        .arg(&config)
        .env("HOTELCARE_PBX_PASSWORD", "x")
        .assert()
        .success();
}
