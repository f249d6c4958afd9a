//! `hotelcare check FILE...`: validate, run nothing.

use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, validate_all};
use crate::cli::summary::print_summary;
use crate::config::Config;
use crate::validate::Validator;

pub(crate) fn check(config: &Config, scripts: &[Script], color: bool) -> Exit {
    let mut validator = Validator::new(config);
    match validate_all(scripts, &mut validator, color) {
        Err(exit) => exit,
        Ok(summary) => print_summary(&summary, "nothing would be run"),
    }
}
