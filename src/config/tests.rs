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
    let pbx = config.first_pbx().pbx.as_ref().unwrap();
    assert_eq!(pbx.server, "10.1.2.3:4443");
    assert_eq!(pbx.password.resolve().unwrap().expose(), "secret");
    assert_eq!(pbx.timeout, Duration::from_secs(7));
    assert_eq!(pbx.trust, Trust::System);
    assert_eq!(config.first_pbx().levels["LOCAL"].get(), 3);
    assert_eq!(config.first_pbx().levels["ALLOW"].get(), 1);
    assert_eq!(
        config.first_pbx().level_names(),
        ["ALLOW", "BLOCK", "LOCAL"]
    );
    let nt = config.first_pbx().number_transfer.unwrap();
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
    assert!(config.first_pbx().pbx.is_none());
    assert_eq!(config.target_name(), "simulator");
    assert_eq!(
        (
            config.first_pbx().cor.allow.get(),
            config.first_pbx().cor.block.get()
        ),
        (1, 2)
    );
    assert!(config.first_pbx().number_transfer.is_none());
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
    let text = config.pbxs[0]
        .pbx
        .clone()
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
    assert_eq!(
        config.first_pbx().pbx.clone().unwrap().trust,
        Trust::Pinned([0xAB; 32])
    );
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

/// Three PBXs: two over MiXML (one with its own CORs and number transfer), one over Mitel PMS.
pub(crate) const THREE_PBXS: &str = r#"
[class_of_service]
local = 3

[pbx.east]
server = "10.1.2.3:4443"
user = "hotelcare"
password = "secret"
rooms = ["1000-1999", "2050"]

[pbx.west]
server = "10.1.2.4:4443"
user = "hotelcare"
password_env = "WEST_PASSWORD"
rooms = ["3000-3999"]
[pbx.west.class_of_restriction]
allow = 11
block = 12
[pbx.west.number_transfer]
enabled = true
range = "7000-7009"

[pbx.north]
interface = "mitel-pms"
server = "10.1.2.5:1752"
rooms = ["5000-5999"]
[pbx.north.mitel_pms]
nam_replace = 2
"#;

#[test]
fn named_pbxs_each_own_their_rooms_and_inherit_what_they_do_not_set() {
    let config = parse(THREE_PBXS).unwrap();
    assert!(config.has_several_pbxs());
    let names: Vec<&str> = config.pbxs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["east", "north", "west"], "sorted by name");
    let of = |room| config.pbx_of(room).map(|i| config.pbxs[i].name.as_str());
    assert_eq!(
        [
            of("1500"),
            of("2050"),
            of("3000"),
            of("5999"),
            of("2051"),
            of("100")
        ],
        [
            Some("east"),
            Some("east"),
            Some("west"),
            Some("north"),
            None,
            None
        ]
    );
    let east = &config.pbxs[config.pbx_named("EAST").unwrap()];
    assert_eq!(east.pbx.as_ref().unwrap().server, "10.1.2.3:4443");
    assert_eq!((east.cor.allow.get(), east.levels["LOCAL"].get()), (1, 3));
    assert!(east.number_transfer.is_none());
    let west = &config.pbxs[config.pbx_named("west").unwrap()];
    assert_eq!((west.cor.allow.get(), west.cor.block.get()), (11, 12));
    assert_eq!(west.levels["BLOCK"].get(), 12);
    assert_eq!(west.number_transfer.unwrap().range.to_string(), "7000-7009");
    let north = &config.pbxs[config.pbx_named("north").unwrap()];
    assert_eq!(north.capabilities().interface, Interface::MitelPms);
    assert!(north.capabilities().rename, "its own nam_replace");
    assert_eq!(north.name, "north");
    assert!(
        !north.levels.contains_key("LOCAL") && north.number_transfer.is_none(),
        "a Mitel PMS PBX inherits neither the file's levels (CORs, not RST levels) nor DIDs"
    );
    assert!(
        config
            .pbx_named("south")
            .unwrap_err()
            .to_string()
            .contains("`east`, `north`, `west`")
    );
    assert_eq!(config.target_name(), "east,north,west");
}

#[test]
fn a_room_in_two_pbxs_is_an_error_naming_both() {
    let text = THREE_PBXS.replace(r#"rooms = ["3000-3999"]"#, r#"rooms = ["1900-2100"]"#);
    let out = rendered_error(&text);
    assert!(
        out.contains("rooms 1900-1999 are in both `east` (1000-1999) and `west` (1900-2100)"),
        "{out}"
    );
    assert!(out.contains("room 2050 is in both `east` (2050)"), "{out}");
    assert!(out.contains("`pbx.west.rooms`"), "{out}");
}

#[test]
fn named_pbx_mistakes_name_the_pbx_key() {
    let out = rendered_error(&THREE_PBXS.replace("rooms = [\"3000-3999\"]\n", ""));
    assert!(out.contains("`pbx.west.rooms`: say which rooms"), "{out}");
    let out = rendered_error(&THREE_PBXS.replace("allow = 11", "allow = 99"));
    assert!(
        out.contains("`pbx.west.class_of_restriction.allow`: 99"),
        "{out}"
    );
    let out = rendered_error(&THREE_PBXS.replace("\"3000-3999\"", "\"3000-39x9\""));
    assert!(out.contains("not a room number"), "{out}");
    let out = rendered_error(
        "[pbx]\nserver = \"x\"\nuser = \"u\"\npassword = \"p\"\nrooms = [\"1000\"]\n",
    );
    assert!(
        out.contains("`pbx.rooms`: `rooms` inside `[pbx]` is for several PBXs"),
        "{out}"
    );
}

#[test]
fn a_single_pbx_is_called_main_and_owns_every_room() {
    let config = parse(FULL).unwrap();
    assert!(!config.has_several_pbxs());
    assert_eq!(config.pbx_name(), "main");
    assert_eq!(config.pbx_of("123"), Some(0));
    assert_eq!(config.pbxs[0].pbx.clone().unwrap().server, "10.1.2.3:4443");
    assert_eq!(Config::builtin().pbx_of("1000"), Some(0));
}

#[test]
fn the_example_with_several_pbxs_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/several-pbxs.toml");
    let config = Config::load(&path).unwrap();
    let names: Vec<&str> = config.pbxs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["annex", "main-building"]);
    let annex = &config.pbxs[0];
    assert_eq!(annex.capabilities().interface, Interface::MitelPms);
    assert_eq!(annex.levels["LOCAL"].get(), 1);
    assert!(annex.number_transfer.is_none());
    assert_eq!(config.pbxs[1].levels["LOCAL"].get(), 3);
    assert_eq!(config.pbx_of("2050"), Some(1));
}

#[test]
fn a_fias_level_must_be_a_level_of_every_pbx() {
    let fias =
        "\n[fias]\nserver = \"127.0.0.1:5010\"\n[fias.class_of_service]\n\"1\" = \"LOCAL\"\n";
    // North (Mitel PMS) does not inherit the file's LOCAL.
    let out = rendered_error(&format!("{THREE_PBXS}{fias}"));
    assert!(
        out.contains("`fias.class_of_service.1`: `LOCAL` is not a level of PBX `north`"),
        "{out}"
    );
    let config = parse(&format!(
        "{THREE_PBXS}\n[pbx.north.class_of_service]\nLOCAL = 1\n{fias}"
    ))
    .unwrap();
    assert_eq!(config.fias.unwrap().class_of_service["1"], "LOCAL");
    let out = rendered_error(&format!(
        "{THREE_PBXS}{}",
        fias.replace("LOCAL", "PENTHOUSE")
    ));
    assert!(out.contains("`PENTHOUSE` is not a level"), "{out}");
}

#[test]
fn the_logs_kept_are_configured_and_checked() {
    let config = Config::parse(
        "[logs]\nmax_files = 3\nmax_bytes = 65536\n",
        Path::new("t.toml"),
    )
    .unwrap();
    assert_eq!((config.run.log_files, config.run.log_bytes), (3, 65_536));
    let builtin = Config::builtin();
    assert_eq!(
        (builtin.run.log_files, builtin.run.log_bytes),
        (10, 1 << 20)
    );
    let error = Config::parse("[logs]\nmax_bytes = 10\n", Path::new("t.toml"))
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("logs.max_bytes"), "{error}");
}

#[test]
fn charges_amounts_are_exact_and_checked() {
    let config = parse(
        "[charges]\nlimit = 50\n[[charges.tariff]]\nname = \"Local\"\nprefix = \"0\"\nsetup = 0.10\nper_minute = \"0.30\"\n[smdr]\nserver = \"127.0.0.1:1752\"\nformat = \"level2\"\n",
    )
    .unwrap();
    assert_eq!(config.charges.limit, Some(crate::config::Money(5000)));
    assert_eq!(config.charges.tariffs[0].setup, crate::config::Money(10));
    assert_eq!(config.charges.tariffs[0].increment_secs, 60);
    assert_eq!(
        config.smdr.unwrap().format,
        crate::config::SmdrFormat::Level2
    );
    let out = rendered_error(
        "[charges]\n[[charges.tariff]]\nname = \"Local\"\nprefix = \"0\"\nper_minute = 0.305\n",
    );
    assert!(
        out.contains("`charges.tariff[0].per_minute`: `0.305` has more than 2 places"),
        "{out}"
    );
    let out = rendered_error("[smdr]\nserver = \"10.0.0.5\"\n");
    assert!(out.contains("1752"), "{out}");
    let out = rendered_error(
        "[[charges.tariff]]\nname = \"A\"\nprefix = \"00\"\nper_minute = 1\n[[charges.tariff]]\nname = \"B\"\nprefix = \"00\"\nper_minute = 2\n",
    );
    assert!(out.contains("tariff `A` has the same prefix"), "{out}");
}

#[test]
fn each_pbx_may_have_its_own_smdr_port() {
    let text = THREE_PBXS.replace(
        "rooms = [\"3000-3999\"]",
        "rooms = [\"3000-3999\"]\nsmdr = \"10.1.2.4:1752\"",
    );
    let config = parse(&text).unwrap();
    let smdr: Vec<Option<String>> = config
        .pbxs
        .iter()
        .map(|site| site.pbx.as_ref().and_then(|pbx| pbx.smdr.clone()))
        .collect();
    assert!(smdr.contains(&Some("10.1.2.4:1752".to_owned())), "{smdr:?}");
    let out = rendered_error(&THREE_PBXS.replace(
        "rooms = [\"3000-3999\"]",
        "rooms = [\"3000-3999\"]\nsmdr = \"10.1.2.4\"",
    ));
    assert!(
        out.contains("`pbx.west.smdr`: give the port too (`host:port`): MiVB's SMDR port is 1752"),
        "{out}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_group_is_a_group_of_this_machine() {
    let config = parse("[spool]\nreport_group = \"root\"\n").unwrap();
    assert_eq!(config.spool_report_group, Some(0));
    let error = rendered_error("[spool]\nreport_group = \"no-such-group-here\"\n");
    assert!(
        error.contains("there is no group `no-such-group-here` on this machine"),
        "{error}"
    );
    assert!(error.contains("hotelcare.toml:2:"), "{error}");
}
