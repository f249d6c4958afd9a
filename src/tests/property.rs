//! Property: for random scripts over a few rooms and DIDs, executed concurrently against a
//! simulator that fails, drops answers and expires sessions at random, the final PBX state equals
//! that of sequential execution without faults. In-process (engine, client and simulator on one
//! runtime, over loopback HTTPS) to run many cases quickly.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, RetryPolicy};
use crate::engine::{self, Engine, Journal, Pbxs};
use crate::lang::compile::{Event, compile};
use crate::lang::validate::{Command, Validator};
use crate::pbx::mixml::MixmlDriver;
use crate::pbx::mixml::client::{self, Client};
use crate::pbx::mixml::lower::Settings;
use crate::sim::{self, Faults, Record, Seed, Simulator};
use proptest::prelude::*;

const ROOMS: [&str; 4] = ["1000", "1001", "1002", "1003"];
const CONFIG: &str =
    "[class_of_service]\nLOCAL = 3\n[number_transfer]\nenabled = true\nrange = \"3000-3003\"\n";

fn line() -> impl Strategy<Value = String> {
    let room = prop::sample::select(ROOMS.to_vec());
    let other = prop::sample::select(ROOMS.to_vec());
    let did = prop::sample::select(vec!["3000", "3001", "3002", "3003", "AUTO"]);
    let level = prop::sample::select(vec!["ALLOW", "BLOCK", "LOCAL"]);
    let name = "[A-Z][a-z]{0,6}(,[A-Z][a-z]{0,5})?";
    prop_oneof![
        (room.clone(), name, did.clone())
            .prop_map(|(r, n, d)| format!("CHECKIN {r} \"{n}\" DID {d}")),
        (room.clone(), name).prop_map(|(r, n)| format!("CHECKIN {r} \"{n}\"")),
        room.clone().prop_map(|r| format!("CHECKOUT {r}")),
        (room.clone(), level).prop_map(|(r, l)| format!("COS {r} {l}")),
        (room.clone(), other).prop_map(|(a, b)| format!("MOVE {a} {b}")),
        (room.clone(), name).prop_map(|(r, n)| format!("RENAME {r} \"{n}\"")),
        (room.clone(), did.prop_filter("explicit", |d| *d != "AUTO"))
            .prop_map(|(r, d)| format!("DID {r} {d}")),
        room.prop_map(|r| format!("DID {r} NONE")),
    ]
}

/// The script's valid commands (lines the validator refuses, like a DID given twice, are left out).
fn commands(config: &Config, lines: &[String]) -> Vec<(String, Command)> {
    let text = lines.join("\n");
    let mut validator = Validator::new(config);
    let mut out = Vec::new();
    compile("p.hc", text.as_bytes(), &mut validator, &mut |event| {
        if let Event::Command(command) = event {
            out.push((format!("p.hc:{}", command.line), command));
        }
    })
    .unwrap();
    out
}

async fn execute(
    config: &Config,
    commands: Vec<(String, Command)>,
    faults: Faults,
    concurrency: usize,
) -> BTreeMap<String, Record> {
    let mut options = sim::Options::new("hotelcare", "pw");
    options.seed = Seed::numbered(&ROOMS, 2);
    let simulator = Simulator::start(options).await.unwrap();
    simulator.set_faults(faults);
    let pbx = client::simulator_pbx(
        simulator.url(),
        "hotelcare",
        "pw",
        simulator.fingerprint(),
        Duration::from_secs(5),
    );
    let driver = MixmlDriver::new(
        Arc::new(Client::new(&pbx).unwrap()),
        Settings::of(config.first_pbx()),
    );
    let engine = Engine::new(
        Arc::new(Pbxs::single(
            Arc::new(driver),
            crate::config::Interface::Mixml.capabilities(),
        )),
        Journal::in_memory().unwrap(),
        engine::Options {
            number_transfer: config.first_pbx().number_transfer.is_some(),
            block_cor: config.first_pbx().cor.block.get(),
            policy: RetryPolicy {
                attempts: 60,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(4),
            },
            max_concurrency: concurrency,
            raw: crate::support::audience::Audience::Never,
        },
        Arc::new(|_: &engine::Event<'_>| {}),
    );
    engine.enqueue(commands).await.unwrap();
    let report = engine.drain().await.unwrap();
    assert_eq!(report.halted, None, "{report:?}");
    let records = simulator.records();
    simulator.stop().await;
    expected_state_matches(&engine.journal().rooms().unwrap(), &records);
    records
}

/// The expected room state the journal keeps is what the PBX has (every refusal happens before
/// a command writes, so no half-done command leaves the two apart).
fn expected_state_matches(
    rooms: &[(String, crate::engine::RoomState)],
    records: &BTreeMap<String, Record>,
) {
    for (room, state) in rooms {
        let record = &records[room];
        let vacant = record.directory_name == record.service_label;
        assert_eq!(
            state.occupied, !vacant,
            "room {room}: {state:?} vs {record:?}"
        );
        if let Some(guest) = &state.guest {
            assert_eq!(guest.directory_name, record.directory_name, "room {room}");
            assert_eq!(guest.last, record.last_name, "room {room}");
        }
        if let Some(cor) = state.cor {
            assert_eq!(cor.to_string(), record.cor_day, "room {room}");
        }
        assert_eq!(
            state.did.as_deref().unwrap_or(""),
            record.did_service_number,
            "room {room}: {state:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_execution_with_faults_equals_sequential_execution(
        lines in prop::collection::vec(line(), 1..40),
        failure_rate in 0.0..0.3f64,
        drop_rate in 0.0..0.15f64,
    ) {
        let config = Config::parse(CONFIG, Path::new("p.toml")).unwrap();
        let commands = commands(&config, &lines);
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let expected = runtime.block_on(execute(&config, commands.clone(), Faults::default(), 1));
        let faults = Faults { failure_rate, drop_rate, ..Faults::default() };
        let actual = runtime.block_on(execute(&config, commands, faults, 8));
        prop_assert_eq!(actual, expected, "script:\n{}", lines.join("\n"));
    }
}
