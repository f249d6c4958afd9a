//! The dry run: a command and the operations it lowers to, without a PBX. Values that only the
//! PBX knows appear as references to the read that will fetch them (`$1.Service Label`).

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::lower::ops::Op;
use crate::mixml::{self, Password};
use crate::monitor::format;
use crate::validate::Command;

/// The session header shown in dry-run envelopes.
const SESSION_PLACEHOLDER: &str = "{session}";

/// `origin` (`file:line`), the command as written, then one line per operation and, with `raw`,
/// each operation's envelope.
pub fn render(origin: &str, command: &Command, ops: &[Op<'_>], raw: bool) -> String {
    let mut out = format!("{origin}  {}\n", command.text);
    let keyword = command.action.keyword();
    for op in ops {
        let room = op.room().unwrap_or(command.action.room());
        writeln!(
            out,
            "{}  {keyword:<8}  {}",
            format::room(room),
            format::operation(op)
        )
        .expect("writing to a String cannot fail");
        let placeholder = |id, field| Cow::Owned(format!("{{{id}.{field}}}"));
        if raw && let Some(request) = mixml::request_for(op, &placeholder) {
            for line in request
                .envelope(Some(SESSION_PLACEHOLDER), Password::Mask)
                .lines()
            {
                writeln!(out, "        {line}").expect("writing to a String cannot fail");
            }
        }
    }
    out
}
