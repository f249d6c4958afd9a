//! `hotelcare rooms [EXT...]`: the expected room state, what hotelcare last had confirmed of each
//! room (not a read of the PBX: `show` is that).

use crate::cli::arguments::Format;
use crate::cli::execution::{open_journal, output_format, usage};
use crate::cli::exit::Exit;
use crate::config::Config;
use crate::monitor::{format, json};
use crate::output::outln;

pub(crate) fn rooms(config: &Config, wanted: &[String]) -> Exit {
    let journal = match open_journal(config) {
        Ok(journal) => journal,
        Err(exit) => return exit,
    };
    let mut rooms = match journal.rooms() {
        Ok(rooms) => rooms,
        Err(error) => return usage(error),
    };
    if !wanted.is_empty() {
        rooms.retain(|(room, _)| wanted.contains(room));
    }
    let level = |cor: u8| {
        config
            .levels
            .iter()
            .filter(|(_, c)| c.get() == cor)
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
    };
    if output_format() == Format::Json {
        if let Ok(text) = serde_json::to_string_pretty(&json::Rooms::new(&rooms, &level)) {
            outln!("{text}");
        }
        return Exit::Done;
    }
    if rooms.is_empty() {
        outln!("hotelcare has changed no room yet (or none of these)");
    } else {
        outln!("{}", format::room_state_header());
        for (room, state) in &rooms {
            outln!("{}", format::room_state(room, state, &level));
        }
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !rooms.iter().any(|(room, _)| room == *w))
        .collect();
    for room in &missing {
        outln!("{room:>7}  (never changed by hotelcare)");
    }
    Exit::Done
}
