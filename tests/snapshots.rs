//! Snapshots of what users see: the operations and XML envelopes of every valid fixture and of the
//! vendor's worked example in both configurations, and the diagnostics of every invalid fixture.
//! They live in the top-level `snapshots/` folder; review changes with `cargo insta review`.

use std::path::Path;

use crate::support::{fixtures, hotelcare, relative, text};

fn settings(input: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(input);
    settings
}

/// `plan` of a script: stdout (the operations) and the summary on stderr.
fn plan(script: &Path, config: &Path, raw: bool) -> String {
    let mut command = hotelcare();
    command
        .arg("plan")
        .arg(relative(script))
        .arg("--config")
        .arg(relative(config));
    if raw {
        command.arg("--raw");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    format!(
        "{}\n--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    )
}

#[test]
fn valid_fixtures_lower_to_operations() {
    let config = fixtures().join("hotelcare.toml");
    insta::glob!("fixtures/valid/*.hc", |path| {
        settings(path).bind(|| insta::assert_snapshot!("ops", plan(path, &config, false)));
    });
}

#[test]
fn valid_fixtures_lower_to_xml() {
    let config = fixtures().join("hotelcare.toml");
    insta::glob!("fixtures/valid/*.hc", |path| {
        settings(path).bind(|| insta::assert_snapshot!("xml", plan(path, &config, true)));
    });
}

#[test]
fn invalid_fixtures_report_every_error() {
    let config = fixtures().join("hotelcare.toml");
    insta::glob!("fixtures/invalid/*.hc", |path| {
        let output = hotelcare()
            .arg("plan")
            .arg(relative(path))
            .arg("--config")
            .arg(relative(&config))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert!(
            output.stdout.is_empty(),
            "an invalid script shows no operations"
        );
        settings(path).bind(|| insta::assert_snapshot!("diagnostics", text(&output.stderr)));
    });
}

#[test]
fn vendor_example_without_number_transfer() {
    let root = crate::support::root();
    let script = root.join("scripts/vendor-example.hc");
    let config = root.join("scripts/vendor-example.toml");
    settings(&script).bind(|| {
        insta::assert_snapshot!("vendor-example-ops", plan(&script, &config, false));
        insta::assert_snapshot!("vendor-example-xml", plan(&script, &config, true));
    });
}

#[test]
fn vendor_example_with_number_transfer() {
    let root = crate::support::root();
    let script = root.join("scripts/vendor-example-transfer.hc");
    let config = root.join("scripts/vendor-example-transfer.toml");
    settings(&script).bind(|| {
        insta::assert_snapshot!("vendor-example-transfer-ops", plan(&script, &config, false));
        insta::assert_snapshot!("vendor-example-transfer-xml", plan(&script, &config, true));
    });
}

/// JSON lines, each pretty-printed, with what differs from run to run replaced.
fn normalized_json_lines(stdout: &str) -> String {
    stdout
        .lines()
        .map(|line| {
            let mut value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if let Some(object) = value.as_object_mut() {
                for (key, replacement) in [
                    ("time", serde_json::json!("[time]")),
                    ("duration_ms", serde_json::json!(0)),
                    ("target", serde_json::json!("[target]")),
                ] {
                    if object.contains_key(key) {
                        object.insert(key.to_owned(), replacement);
                    }
                }
            }
            serde_json::to_string_pretty(&value).unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn invalid_fixtures_as_json_diagnostics() {
    let config = fixtures().join("hotelcare.toml");
    insta::glob!("fixtures/invalid/*.hc", |path| {
        let output = hotelcare()
            .args(["--format", "json", "check"])
            .arg(relative(path))
            .arg("--config")
            .arg(relative(&config))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        settings(path).bind(|| insta::assert_snapshot!("check-json", text(&output.stdout)));
    });
}

#[test]
fn vendor_example_plan_and_monitor_as_json() {
    let root = crate::support::root();
    let script = root.join("scripts/vendor-example-transfer.hc");
    let config = root.join("scripts/vendor-example-transfer.toml");
    let plan = hotelcare()
        .args(["--format", "json", "plan"])
        .arg(relative(&script))
        .arg("--config")
        .arg(relative(&config))
        .output()
        .unwrap();
    assert!(plan.status.success());
    let pbx = crate::support::TestPbx::start();
    let run = pbx
        .hotelcare()
        .args(["--format", "json", "run"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let monitor = normalized_json_lines(&text(&run.stdout))
        .replace(script.to_string_lossy().as_ref(), "SCRIPT");
    settings(&script).bind(|| {
        insta::assert_snapshot!(
            "vendor-example-transfer-plan-json",
            normalized_json_lines(&text(&plan.stdout))
        );
        insta::assert_snapshot!("vendor-example-transfer-monitor-json", monitor);
    });
}
