//! Validation: AST -> checked commands, or every diagnostic of the script.
//!
//! Input: `syntax::Statement`s in script order and the `Config`. Output: `Command`s (resolved,
//! journal-ready) and `Diagnostic`s. Imports `syntax`, `config`, `diagnostics`; nothing above.

pub(super) mod checked;
mod expect;
mod guest;
pub(super) mod validator;
pub(crate) mod wakeup;

pub(crate) use crate::lang::syntax::Flag;
pub(crate) use checked::{Action, CheckIn, DidRequest, Guest, Limit};
pub(crate) use validator::{House, KnownRoom};
pub(crate) use {checked::Command, validator::Validator};

use crate::config::Config;
use wakeup::WakeupChange;

/// Checks a journaled command again, on its own, against `config`: the configuration may have
/// changed since the command was accepted (number transfer switched off, a level renamed or
/// given another COR). `Ok` is the command as the current configuration reads it; `Err` says
/// why it is no longer valid.
pub(crate) fn recheck(config: &Config, command: &Command) -> Result<Command, NoLongerValid> {
    let statements = crate::lang::syntax::parse_line(&command.text, 0)
        .map_err(|d| NoLongerValid(vec![d.kind.to_string()]))?;
    let [statement] = statements.as_slice() else {
        return Err(NoLongerValid(vec![format!(
            "`{}` is not one command; it cannot be checked again",
            command.text
        )]));
    };
    let now = chrono::Local::now().naive_local();
    // A wake-up keeps the day it was booked for (its text may name only the time).
    if let Action::Wakeup {
        change: WakeupChange::Book(at),
        ..
    } = &command.action
        && at.has_passed(now)
    {
        return Err(NoLongerValid(vec![format!(
            "the wake-up time {at} has passed before the call could be booked"
        )]));
    }
    let mut validator = Validator::new(config).at(now);
    let checked = validator.check(statement, command.line, &command.text, 0);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.kind.to_string())
        .collect();
    match checked.command {
        // The reservation is kept beside the text, not in it; a wake-up keeps its day.
        Some(fresh) if errors.is_empty() => Ok(Command {
            reservation: command.reservation.clone(),
            action: match (&command.action, fresh.action) {
                (kept @ Action::Wakeup { .. }, Action::Wakeup { .. }) => kept.clone(),
                (_, fresh) => fresh,
            },
            ..fresh
        }),
        _ => Err(NoLongerValid(errors)),
    }
}

/// Why a journaled command no longer validates: each error, as a sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub(crate) struct NoLongerValid(pub(crate) Vec<String>);

#[cfg(test)]
mod tests;
