//! `check` and `plan` through the binary: exit codes, diagnostics, what is (not) printed.

use crate::support::{Test, hotelcare, text};

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
    Test::new()
        .copy(TRANSFER_CONFIG)
        .copy("scripts/vendor-example-transfer.hc")
        .args([
            "plan",
            "vendor-example-transfer.hc",
            "--config",
            "vendor-example-transfer.toml",
        ])
        .stdout(r#"vendor-example-transfer.hc:4  CHECKIN 1000 "Solo,Alina" DID 3000
   1000  CHECKIN   check DID 3000 is free (or already 1000's)
   1000  CHECKIN   read Service Profile  Directory Name, Service Label -> $2
   1000  CHECKIN   check room 1000 is vacant ($2)
   1000  CHECKIN   set  User Profile     Last Name="Solo", First Name="Alina"
   1000  CHECKIN   set  Service Profile  Directory Name="Solo,Alina"
   1000  CHECKIN   set  Service Details  COR Day=1, COR Night 1=1, COR Night 2=1, DID Service Number="3000", Use DID for Outgoing Calls=on

vendor-example-transfer.hc:5  COS 1000 BLOCK
   1000  COS       set  Service Details  COR Day=2, COR Night 1=2, COR Night 2=2

vendor-example-transfer.hc:6  MOVE 1000 2000
   1000  MOVE      read User Profile     Last Name, First Name -> $1
   1000  MOVE      read Service Profile  Directory Name, Service Label -> $2
   1000  MOVE      read Service Details  COR Day, COR Night 1, COR Night 2, DID Service Number, Use DID for Outgoing Calls -> $3
   2000  MOVE      read Service Profile  Directory Name, Service Label -> $4
   1000  MOVE      read Wake-up Calls    Wake-up Times -> $5
   1000  MOVE      check room 1000 has a guest ($2)
   2000  MOVE      check room 2000 is vacant ($4)
   1000  MOVE      set  Service Details  COR Day=2, COR Night 1=2, COR Night 2=2, DID Service Number=empty, Use DID for Outgoing Calls=off
   1000  MOVE      set  User Profile     Last Name=$2.Service Label, First Name=empty
   1000  MOVE      set  Service Profile  Directory Name=$2.Service Label
   2000  MOVE      set  User Profile     Last Name=$1.Last Name, First Name=$1.First Name
   2000  MOVE      set  Service Profile  Directory Name=$2.Directory Name
   2000  MOVE      set  Service Details  COR Day=$3.COR Day, COR Night 1=$3.COR Night 1, COR Night 2=$3.COR Night 2, DID Service Number=$3.DID Service Number, Use DID for Outgoing Calls=$3.Use DID for Outgoing Calls
   2000  MOVE      set  Wake-up Calls    Wake-up Times=$5.Wake-up Times

vendor-example-transfer.hc:7  CHECKOUT 2000
   2000  CHECKOUT  read Service Profile  Service Label -> $1
   2000  CHECKOUT  set  Service Details  COR Day=2, COR Night 1=2, COR Night 2=2, DID Service Number=empty, Use DID for Outgoing Calls=off
   2000  CHECKOUT  set  User Profile     Last Name=$1.Service Label, First Name=empty
   2000  CHECKOUT  set  Service Profile  Directory Name=$1.Service Label

"#)
        .stderr("ok: 4 commands\n")
        .run();
}

#[test]
fn an_error_on_line_3_names_line_and_column_and_runs_nothing() {
    for (subcommand, nothing) in [
        ("check", "nothing would be run"),
        ("plan", "no operations are shown"),
    ] {
        Test::new()
            .copy(TRANSFER_CONFIG)
            .file(
                "bad.hc",
                "CHECKIN 1000 \"Solo,Alina\"\nCOS 1000 BLOCK\nCOS 1000 GOLD\nCHECKOUT 1000\n",
            )
            .args([
                subcommand,
                "bad.hc",
                "--config",
                "vendor-example-transfer.toml",
            ])
            .status(1)
            .stderr(&format!(
                "error: unknown class of service `GOLD`
 --> bad.hc:3:10
  |
3 | COS 1000 GOLD
  |          ^^^^ unknown level
  |
help: use ALLOW or BLOCK, or add the level to `[class_of_service]` in the configuration
error: 1 error; {nothing}
"
            ))
            .run();
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
    Test::new()
        .copy(TRANSFER_CONFIG)
        .file("a.hc", "CHECKIN 1000 \"x\" DID 3000\n")
        .file("b.hc", "CHECKIN 2000 \"y\" DID 3000\nMOVE 1 1\n")
        .args([
            "plan",
            "a.hc",
            "b.hc",
            "--config",
            "vendor-example-transfer.toml",
        ])
        .status(1)
        .stderr(r#"error: DID 3000 is already given to room 1000 (at a.hc:1) and not taken back
 --> b.hc:1:18
  |
1 | CHECKIN 2000 "y" DID 3000
  |                  ^^^^^^^^ still given to room 1000
  |
help: check out room 1000 or take its DID away (`DID 1000 NONE`) before giving the DID to another room
error: `MOVE 1 1` moves a guest to the room they are in
 --> b.hc:2:8
  |
2 | MOVE 1 1
  |        ^ same room as the source
  |
help: name two different rooms: `MOVE from to`
error: 2 errors; no operations are shown
"#)
        .run();
}

#[test]
fn did_without_number_transfer_says_how_to_enable_it() {
    Test::new()
        .copy("scripts/vendor-example.toml")
        .args(["check", "-", "--config", "vendor-example.toml"])
        .stdin("DID 1000 3000\n")
        .status(1)
        .stderr("error: a DID is given but telephone number transfer is off
 --> <stdin>:1:10
  |
1 | DID 1000 3000
  |          ^^^^ DID not allowed
  |
help: leave the DID out (or the whole `DID` command), or set `enabled = true` under `[number_transfer]` in the configuration
error: 1 error; nothing would be run
")
        .run();
}

#[test]
fn missing_script_is_named() {
    Test::new()
        .copy("scripts/vendor-example.toml")
        .args(["check", "no/such.hc", "--config", "vendor-example.toml"])
        .status(2)
        .stderr("error: cannot read `no/such.hc`: No such file or directory (os error 2)\n")
        .run();
}

#[test]
fn bad_configuration_is_a_usage_error_naming_file_and_key() {
    Test::new()
        .copy("scripts/vendor-example.hc")
        .file(
            "hotelcare.toml",
            "[class_of_restriction]\nallow = 1\nblock = 200\n",
        )
        .args(["check", "vendor-example.hc", "--config", "hotelcare.toml"])
        .status(2)
        .stderr("error: `class_of_restriction.block`: 200 is not a Class of Restriction; MiVB numbers them 1 to 96
 --> hotelcare.toml:3:9
  |
3 | block = 200
  |         ^^^ invalid value
  |
help: see `hotelcare.example.toml` for every key and its meaning
")
        .run();
}

#[test]
fn warnings_do_not_stop_a_script() {
    Test::new()
        .copy(TRANSFER_CONFIG)
        .args(["check", "-", "--config", "vendor-example-transfer.toml"])
        .stdin("CHECKIN 1000 \"Mustermann,Maximilian\"\n")
        .stderr(r#"warning: the name is longer than the PBX field Directory Name (20 characters) and is cut to "Mustermann,Maximilia"
 --> <stdin>:1:14
  |
1 | CHECKIN 1000 "Mustermann,Maximilian"
  |              ^^^^^^^^^^^^^^^^^^^^^^^ kept as "Mustermann,Maximilia"
ok: 1 command, 1 warning
"#)
        .run();
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

/// With several PBXs, a room none owns is that one error: nothing else of its line is checked
/// against a PBX it is not on (the first PBX's missing number transfer, its wire's names).
#[test]
fn a_room_no_pbx_owns_is_its_only_error() {
    Test::new()
        .copy("examples/several-pbxs.toml")
        .args(["check", "-", "--config", "several-pbxs.toml"])
        .stdin("DID 9999 3001\nCHECKIN 9999 \"Müller,Jürgen\" COS LOCAL\n")
        .status(1)
        .stderr(
            "error: room 9999 belongs to no configured PBX
 --> <stdin>:1:5
  |
1 | DID 9999 3001
  |     ^^^^ no PBX owns this room
  |
help: check the room number, or add it to the `rooms` of a PBX in the configuration (`annex` 5000-5199; `main-building` 1000-1999, 2050)
error: room 9999 belongs to no configured PBX
 --> <stdin>:2:9
  |
2 | CHECKIN 9999 \"Müller,Jürgen\" COS LOCAL
  |         ^^^^ no PBX owns this room
  |
help: check the room number, or add it to the `rooms` of a PBX in the configuration (`annex` 5000-5199; `main-building` 1000-1999, 2050)
error: 2 errors; nothing would be run
",
        )
        .run();
}
