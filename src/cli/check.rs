//! `hotelcare check FILE...`: validate, run nothing.

use crate::cli::arguments::Format;
use crate::cli::execution::output_format;
use crate::cli::exit::Exit;
use crate::cli::scripts::{Script, validate_all};
use crate::cli::summary::print_summary;
use crate::config::Config;
use crate::diagnostics::DiagnosticRecord;
use crate::lang::compile::Summary;
use crate::lang::validate::Validator;
use crate::support::output::outln;

pub(crate) fn check(config: &Config, scripts: &[Script], color: bool) -> Exit {
    let mut validator = Validator::new(config);
    // Checked against the rooms as the journal expects them, when it can be known.
    if let Some(house) = crate::cli::client::house(config) {
        validator = validator.knowing(house);
    }
    match validate_all(
        scripts,
        &mut validator,
        config.run.script_encoding,
        color,
        false,
    ) {
        Err(exit) => exit,
        Ok(validated) => {
            if output_format() == Format::Json {
                print_document(&validated.summary, &validated.records);
            }
            print_summary(&validated.summary, "nothing would be run")
        }
    }
}

/// `check --format json`: one document with the counts and every diagnostic.
fn print_document(summary: &Summary, diagnostics: &[DiagnosticRecord]) {
    #[derive(serde::Serialize)]
    struct Document<'a> {
        valid: bool,
        commands: usize,
        errors: usize,
        warnings: usize,
        diagnostics: &'a [DiagnosticRecord],
    }
    let document = Document {
        valid: summary.errors == 0,
        commands: summary.commands,
        errors: summary.errors,
        warnings: summary.warnings,
        diagnostics,
    };
    if let Ok(text) = serde_json::to_string_pretty(&document) {
        outln!("{text}");
    }
}
