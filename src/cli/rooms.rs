//! `hotelcare rooms [EXT...]`: the expected room state, what hotelcare last had confirmed of each
//! room (not a read of the PBX: `show` is that).

use crate::cli::arguments::Format;
use crate::cli::client::{Need, failed, with_backend};
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::queue::print_json;
use crate::config::Config;
use crate::support::output::out;

pub(crate) fn rooms(config: &Config, wanted: &[String], pbx: Option<&str>) -> Exit {
    with_backend(config, Need::Journal, false, async |client| {
        let answer = client.backend.rooms(wanted, pbx).await.map_err(failed)?;
        if output_format() == Format::Json {
            print_json(&answer.rooms);
        } else {
            out!("{}", answer.text);
        }
        Ok(Exit::Done)
    })
}
