//! `hotelcare rooms [EXT...]`: the expected room state, what hotelcare last had confirmed of each
//! room (not a read of the PBX: `show` is that).

use crate::cli::arguments::Format;
use crate::cli::execution::{open_journal, output_format, usage};
use crate::cli::exit::Exit;
use crate::config::Config;
use crate::monitor::{format, json};
use crate::support::output::{out, outln};

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
    rooms.retain(|(room, _)| config.pbx_of(room).is_some());
    if output_format() == Format::Json {
        if let Ok(text) = serde_json::to_string_pretty(&json::Rooms::new(&rooms, config)) {
            outln!("{text}");
        }
        return Exit::Done;
    }
    out!("{}", format::rooms(&rooms, wanted, config));
    Exit::Done
}
