use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("conf/hotelcare.toml"))
}

fn rendered_error(text: &str) -> String {
    parse(text).unwrap_err().render(false)
}

const FULL: &str = r#"
[pbx]
server = "10.1.2.3:4443"
user = "aurenz"
password = "secret"
timeout_secs = 7

[class_of_restriction]
allow = 1
block = 2

[class_of_service]
local = 3

[number_transfer]
enabled = true
range = "3000-3005"
signal_extension_external = false

[run]
max_concurrency = 16
state_dir = "var/state"

[run.retry]
attempts = 9
"#;

#[test]
fn reads_every_section() {
    let config = parse(FULL).unwrap();
    let pbx = config.pbx.as_ref().unwrap();
    assert_eq!(pbx.server, "10.1.2.3:4443");
    assert_eq!(pbx.password.resolve().unwrap().expose(), "secret");
    assert_eq!(pbx.timeout, Duration::from_secs(7));
    assert_eq!(pbx.trust, Trust::System);
    assert_eq!(config.levels["LOCAL"].get(), 3);
    assert_eq!(config.levels["ALLOW"].get(), 1);
    assert_eq!(config.level_names(), ["ALLOW", "BLOCK", "LOCAL"]);
    let nt = config.number_transfer.unwrap();
    assert_eq!(nt.range.to_string(), "3000-3005");
    assert!(!nt.signal_extension_external);
    assert_eq!(config.run.max_concurrency, 16);
    assert_eq!(config.run.retry.attempts, 9);
    assert_eq!(config.run.state_dir, Path::new("conf/var/state"));
    assert_eq!(config.run.log_dir, Path::new("conf/logs"));
}

#[test]
fn builtin_targets_the_simulator_with_the_vendor_example() {
    let config = Config::builtin();
    assert!(config.pbx.is_none());
    assert_eq!(config.target_name(), "simulator");
    assert_eq!((config.cor.allow.get(), config.cor.block.get()), (1, 2));
    assert!(config.number_transfer.is_none());
}

#[test]
fn unknown_key_names_key_file_and_line() {
    let out = rendered_error("[pbx]\nserver = \"x\"\nuser = \"u\"\npasword = \"p\"\n");
    assert!(out.contains("unknown field `pasword`"), "{out}");
    assert!(out.contains("conf/hotelcare.toml:4:1"), "{out}");
}

#[test]
fn cor_outside_range_is_shown_with_caret() {
    let out = rendered_error("[class_of_restriction]\nallow = 97\nblock = 0\n");
    assert!(
        out.contains("`class_of_restriction.allow`: 97 is not a Class of Restriction; MiVB numbers them 1 to 96"),
        "{out}"
    );
    assert!(out.contains("conf/hotelcare.toml:2:9"), "{out}");
    assert!(
        out.contains("`class_of_restriction.block`: 0 is not"),
        "{out}"
    );
}

#[test]
fn allow_and_block_cannot_be_redefined() {
    let out = rendered_error("[class_of_service]\nallow = 5\n");
    assert!(out.contains("ALLOW and BLOCK are set by"), "{out}");
}

#[test]
fn enabled_number_transfer_needs_a_range() {
    let out = rendered_error("[number_transfer]\nenabled = true\n");
    assert!(out.contains("no `range`"), "{out}");
    let out = rendered_error("[number_transfer]\nenabled = true\nrange = \"3005-3000\"\n");
    assert!(out.contains("backwards"), "{out}");
}

#[test]
fn missing_password_env_names_the_variable_when_connecting_not_before() {
    let config = parse(
        "[pbx]\nserver = \"x\"\nuser = \"u\"\npassword_env = \"HOTELCARE_TEST_SURELY_UNSET\"\n",
    )
    .unwrap();
    let text = config
        .pbx
        .unwrap()
        .password
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(text.contains("HOTELCARE_TEST_SURELY_UNSET"), "{text}");
    assert!(text.contains("conf/hotelcare.toml"), "{text}");
}

#[test]
fn password_is_required() {
    let out = rendered_error("[pbx]\nserver = \"x\"\nuser = \"u\"\n");
    assert!(out.contains("password_env"), "{out}");
}

#[test]
fn pinned_fingerprint_is_checked() {
    let pin = "AB:".repeat(31) + "AB";
    let config = parse(&format!(
        "[pbx]\nserver = \"x\"\nuser = \"u\"\npassword = \"p\"\npin_sha256 = \"{pin}\"\n"
    ))
    .unwrap();
    assert_eq!(config.pbx.unwrap().trust, Trust::Pinned([0xAB; 32]));
    let out = rendered_error(
        "[pbx]\nserver = \"x\"\nuser = \"u\"\npassword = \"p\"\npin_sha256 = \"abc\"\n",
    );
    assert!(out.contains("64 hex digits"), "{out}");
}

#[test]
fn bad_toml_points_at_the_line() {
    let out = rendered_error("[run]\nmax_concurrency = \n");
    assert!(out.contains("conf/hotelcare.toml:2"), "{out}");
}
