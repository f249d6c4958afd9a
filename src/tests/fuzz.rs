//! A bounded fuzz run in CI, through the same library calls as `check` and `plan --raw`: random
//! scripts (command-shaped and raw garbage) never panic, never show more diagnostics than the
//! caps, and every envelope they lower to is well-formed XML 1.0 that reads back.

use std::borrow::Cow;
use std::path::Path;

use crate::config::Config;
use crate::lang::compile::{Event, MAX_DIAGNOSTICS_PER_SCRIPT, compile};
use crate::lang::validate::Validator;
use crate::pbx::mixml::lower::{Settings, lower};
use crate::pbx::mixml::wire::{self, Password, tree::Element};
use proptest::prelude::*;

const CONFIG: &str =
    "[class_of_service]\nLOCAL = 3\n[number_transfer]\nenabled = true\nrange = \"3000-3009\"\n";

/// Characters at the edges of what XML 1.0 text and telephone displays can carry.
const EDGE: [char; 18] = [
    '\u{0}',
    '\u{1F}',
    '\u{7F}',
    '\u{85}',
    '\u{2028}',
    '\u{D7FF}',
    '\u{E000}',
    '\u{FDD0}',
    '\u{FFFD}',
    '\u{FFFE}',
    '\u{FFFF}',
    '\u{1FFFE}',
    '\u{10FFFF}',
    '&',
    '<',
    ']',
    ',',
    ' ',
];

/// A character of XML 1.0 text.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Words scripts are made of, and some that break things.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "CHECKIN", "CHECKOUT", "COS", "MOVE", "RENAME", "DID", "SHOW", "TEST", "AUTO", "NONE",
            "ALLOW", "BLOCK", "LOCAL", "GOLD", "1000", "2000", "3000", "3009", "99999999", ";",
            "#", "\"", "\\\"", "\\\\", ",", "\t", "\r", " ",
        ])
        .prop_map(str::to_owned),
        "\"[^\"\n]{0,30}\"",
        any::<char>().prop_map(|c| format!("\"{c}\"")),
        // Characters at the edges of what XML and displays can carry.
        prop::sample::select(EDGE.to_vec()).prop_map(|c| format!("\"Solo,A{c}lina\"")),
        "[0-9]{1,9}",
        any::<String>(),
    ]
}

/// A guest name: any characters, edge cases often.
fn name() -> impl Strategy<Value = String> {
    let edge = prop::sample::select(EDGE.to_vec());
    prop::collection::vec(prop_oneof![edge, any::<char>()], 1..25).prop_map(|chars| {
        chars
            .into_iter()
            .filter(|c| !matches!(c, '"' | '\\' | '\n'))
            .collect()
    })
}

/// Commands that parse, with hostile names.
fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        name().prop_map(|n| format!("CHECKIN 1000 \"{n}\" DID AUTO")),
        name().prop_map(|n| format!("RENAME 2000 \"{n}\"")),
        name().prop_map(|n| format!("CHECKIN 2000 \"{n}\" COS LOCAL; MOVE 2000 1000")),
        Just("CHECKOUT 1000".to_owned()),
    ]
}

fn script() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(command(), 1..8).prop_map(|lines| lines.join("\n").into_bytes()),
        prop::collection::vec(prop::collection::vec(token(), 0..12), 0..20).prop_map(|lines| {
            lines
                .into_iter()
                .map(|words| words.join(" "))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..400),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn check_and_plan_never_panic_and_every_envelope_is_well_formed_xml(bytes in script()) {
        let config = Config::parse(CONFIG, Path::new("f.toml")).unwrap();
        let settings = Settings::of(config.first_pbx());
        let mut validator = Validator::new(&config);
        let mut envelopes = Vec::new();
        let mut shown = 0;
        let compiled = compile("f.hc", bytes.as_slice(), &mut validator, &mut |event| match event {
            Event::Diagnostic { diagnostic, source } => {
                shown += 1;
                let _ = crate::diagnostics::render(&diagnostic, &source, false);
            }
            Event::Command(command) => {
                for op in lower(&command.action, &settings) {
                    let placeholder = |id, field| Cow::Owned(format!("{{{id}.{field}}}"));
                    if let Some(request) = wire::request_for(&op, &placeholder) {
                        envelopes.push(request.envelope(Some("{session}"), Password::Mask));
                    }
                }
            }
        });
        // Text that is not UTF-8 is a read error (exit 1), not a panic.
        if compiled.is_ok() {
            prop_assert!(shown <= MAX_DIAGNOSTICS_PER_SCRIPT);
        }
        for envelope in envelopes {
            prop_assert!(envelope.chars().all(is_xml_char), "{envelope}");
            prop_assert!(Element::parse(&envelope).is_ok(), "{envelope}");
        }
    }
}
