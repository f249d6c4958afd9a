//! How the monitor's columns, the room state and the journal look to people: the parts of the
//! vendor's "Script Interpreter" monitor that do not depend on the wire (each driver describes
//! its own operations and values).

use std::fmt::Write as _;

/// A string in double quotes with `"` and `\` escaped and control characters visible.
pub(crate) fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// The room column's width: the longest directory number (7 digits).
pub(crate) const ROOM_WIDTH: usize = 7;

/// The room column: right-aligned to the longest directory number.
pub(crate) fn room(room: &str) -> String {
    format!("{room:>ROOM_WIDTH$}")
}

/// The header of `hotelcare rooms`.
pub(crate) fn room_state_header() -> String {
    format!(
        "{:>7}  {:<8}  {:<22}  {:<12}  {:<8}  last command",
        "room", "state", "guest", "COR", "DID"
    )
}

/// One room of `hotelcare rooms`; `levels` names the levels a COR stands for.
pub(crate) fn room_state(
    room: &str,
    state: &crate::engine::RoomState,
    config: &crate::config::Config,
) -> String {
    let guest = state
        .guest
        .as_ref()
        .map_or_else(String::new, |g| quoted(&g.directory_name));
    let cor = state.cor.map_or_else(String::new, |cor| {
        let names = config.level_names_in(room, cor);
        if names.is_empty() {
            cor.to_string()
        } else {
            format!("{cor} ({})", names.join("/"))
        }
    });
    let last = state.last.as_ref().map_or_else(String::new, |last| {
        let at = crate::diagnostics::LocalTime(last.at);
        format!("#{} {} ({}) {at}", last.seq, last.keyword, last.origin)
    });
    let mut flags: Vec<String> = state
        .flags
        .shown()
        .into_iter()
        .map(|(flag, value)| format!("{flag}: {value}"))
        .collect();
    if !state.wakeups.is_empty() {
        let wakeups: Vec<String> = state.wakeups.iter().map(ToString::to_string).collect();
        flags.push(format!("wake-up: {}", wakeups.join(", ")));
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", flags.join(", "))
    };
    let pbx = config
        .pbx_label(&[room])
        .map_or_else(String::new, |pbx| format!("  on {pbx}"));
    format!(
        "{room:>7}  {:<8}  {guest:<22}  {cor:<12}  {:<8}  {last}{flags}{pbx}",
        if state.occupied { "occupied" } else { "vacant" },
        state.did.as_deref().unwrap_or("-"),
    )
}

/// A journal entry for `queue list` and the REPL's `.queue`: number, status, rooms, command,
/// origin, attempts, last error.
pub(crate) fn entry(entry: &crate::engine::Entry, config: &crate::config::Config) -> String {
    let status = match entry.status {
        crate::engine::Status::Pending => "pending",
        crate::engine::Status::Failed => "failed",
    };
    let rooms = entry.command.action.rooms();
    let pbx = config
        .pbx_label(&rooms)
        .map_or_else(String::new, |pbx| format!(" on {pbx}"));
    let mut out = format!(
        "#{:<6} {status:<8} room {:<7}  {}  ({}, {}){pbx}\n",
        entry.seq,
        rooms.join("->"),
        entry.command.text,
        entry.origin,
        crate::diagnostics::Count(entry.attempts as usize, "failed attempt")
    );
    if let Some(error) = &entry.last_error {
        writeln!(out, "        last error: {error}").expect("writing to a String cannot fail");
    }
    if entry.resumes() {
        writeln!(
            out,
            "        (it resumes with what it read before it was interrupted)"
        )
        .expect("writing to a String cannot fail");
    }
    out
}

/// `queue list --pbx NAME` when only other PBXs have commands.
pub(crate) fn none_for_pbx(pbx: &str, others: usize) -> String {
    format!(
        "no command for PBX `{pbx}` is pending or failed ({} for other PBXs: `hotelcare queue list` shows them)",
        crate::diagnostics::Count(others, "command")
    )
}

/// `queue list`: every pending and failed command, with what to do about them (`service`: as
/// a running service holds them, which runs pending commands by itself).
pub(crate) fn queue(
    page: &crate::engine::Page,
    service: bool,
    config: &crate::config::Config,
) -> String {
    let entries = &page.entries;
    if entries.is_empty() && page.pending + page.failed == 0 {
        return "the journal is empty: no command is pending or failed\n".to_owned();
    }
    let mut out: String = entries.iter().map(|e| entry(e, config)).collect();
    if page.more > 0
        && let Some(last) = entries.last()
    {
        let _ = writeln!(
            out,
            "... and {} more after #{}: `hotelcare queue list --after {}`",
            page.more, last.seq, last.seq
        );
    }
    let (pending, failed) = (page.pending, page.failed);
    let _ = writeln!(out, "{pending} pending, {failed} failed");
    if pending > 0 {
        out.push_str(if service {
            "the service runs the pending commands by itself, in this order (at once when the PBX answers; `hotelcare queue retry` asks it now)\n"
        } else {
            "pending commands run with the next `hotelcare run` or `hotelcare queue retry`, in this order\n"
        });
    }
    if failed > 0 {
        out.push_str(
            "failed commands: fix the cause (see the last error), then `hotelcare queue retry`; or give one up with `hotelcare queue drop NUMBER`\n",
        );
    }
    out
}

/// `rooms`: the expected state of `rooms`, and a line for each of `wanted` never changed.
pub(crate) fn rooms(
    rooms: &[(String, crate::engine::RoomState)],
    wanted: &[String],
    config: &crate::config::Config,
) -> String {
    let mut out = String::new();
    if rooms.is_empty() {
        out.push_str("hotelcare has changed no room yet (or none of these)\n");
    } else {
        let _ = writeln!(out, "{}", room_state_header());
        for (room, state) in rooms {
            let _ = writeln!(out, "{}", room_state(room, state, config));
        }
    }
    for room in wanted
        .iter()
        .filter(|w| !rooms.iter().any(|(room, _)| room == *w))
    {
        let _ = writeln!(out, "{room:>7}  (never changed by hotelcare)");
    }
    out
}
