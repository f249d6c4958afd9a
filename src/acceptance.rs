//! Accepting a script exactly once. A PMS that re-delivers a batch after a crash, or a person who
//! runs a file again, would apply every command a second time: each script's content is hashed
//! (SHA-256) and stamped in the journal in the same transaction as its commands, and the same
//! content within `[run] duplicate_window_hours` is refused with a message that says how to
//! force it (`run --again`, or a spool file named `*.again.hc`).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::diagnostics::LocalTime;
use crate::engine::{Journal, JournalError, ScriptStamp};

/// The hex SHA-256 of a script's bytes, as the journal keys it.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// The earlier acceptance of the same content within `window`, if there was one.
pub(crate) fn earlier(
    journal: &Journal,
    hash: &str,
    window: Option<Duration>,
) -> Result<Option<ScriptStamp>, JournalError> {
    let Some(window) = window else {
        return Ok(None);
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(journal
        .script_seen(hash)?
        .filter(|stamp| now.saturating_sub(stamp.accepted_at) < window.as_secs()))
}

/// "`b.hc` has the same content as `a.hc`, accepted at ... as commands from #12": the first half
/// of the refusal; the caller adds how to force it.
pub(crate) fn describe(name: &str, stamp: &ScriptStamp) -> String {
    let at = LocalTime(stamp.accepted_at);
    let commands = stamp
        .first_seq
        .map(|seq| format!(" as commands from #{seq}"))
        .unwrap_or_default();
    format!(
        "`{name}` has the same content as `{}`, accepted at {at}{commands}; running it again would apply every command twice",
        stamp.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            content_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
