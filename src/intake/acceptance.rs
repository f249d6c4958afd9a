//! Accepting a script exactly once. A PMS that re-delivers a batch after a crash, or a person who
//! runs a file again, would apply every command a second time: each script's content is hashed
//! (SHA-256) and stamped in the journal in the same transaction as its commands, and the same
//! content within `[run] duplicate_window_hours` is refused with a message that says how to
//! force it (`run --again`, a spool file named `*.again.hc`, or `?again=true` on the API).
//!
//! `accept` takes a script whole or not at all: decoded, checked with the same diagnostics as
//! `check`, refused if seen before, and journaled — all its commands and its content stamp — in
//! one transaction. The API uses it; the spool checks with `check_each` and journals in batches
//! (`inputs::spool::runner`). `accept_batch` does the
//! same for commands built from outside data (`Batch`: typed requests, never text that is
//! parsed again), which the FIAS link uses.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::config::{Config, ScriptEncoding};
use crate::diagnostics::{DiagnosticRecord, LocalTime, Source, render};
use crate::engine::journal::PmsWakeup;
use crate::engine::{Extras, FlagChanges, Journal, JournalError, ScriptStamp};
use crate::lang::compile::{Event, compile, decode};
use crate::lang::syntax::Request;
use crate::lang::validate::{Command, House, Validator};

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

/// A script whose `Idempotency-Key` was used before, as the refusal says it.
pub(crate) fn describe_key(key: &str, stamp: &ScriptStamp) -> String {
    let at = LocalTime(stamp.accepted_at);
    let commands = stamp
        .first_seq
        .map(|seq| format!(" as commands from #{seq}"))
        .unwrap_or_default();
    // The key is the client's: shown only if it is plain.
    let shown = if key.len() <= 64 && key.bytes().all(|b| b.is_ascii_graphic()) {
        format!("`{key}`")
    } else {
        "(not shown)".to_owned()
    };
    format!(
        "the Idempotency-Key {shown} was used for `{}`, accepted at {at}{commands}: the request was carried out before",
        stamp.name
    )
}

/// A script after checking.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// `name:line` and the command, in script order.
    pub(crate) commands: Vec<(String, Command)>,
    /// Its errors and warnings, as many as `compile` shows (the rest are counted).
    pub(crate) diagnostics: Vec<DiagnosticRecord>,
    /// The same, rendered as `check` prints them (no color).
    pub(crate) rendered: String,
    /// Every error, shown or not.
    pub(crate) error_count: usize,
}

impl Checked {
    pub(crate) fn errors(&self) -> usize {
        self.error_count
            .max(self.diagnostics.iter().filter(|d| d.is_error()).count())
    }
}

/// Why a script was not accepted; nothing of it was journaled.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// It could not be decoded (not in the configured encoding).
    Unreadable(String),
    /// It has errors (`Checked` says which).
    Invalid(Checked),
    /// The same content was accepted before: what and when.
    Duplicate(String),
    /// The journal could not take it.
    Journal(JournalError),
}

/// Decodes and checks `bytes` as the script `name`.
pub(crate) fn check(
    config: &Config,
    name: &str,
    bytes: &[u8],
    encoding: ScriptEncoding,
    house: Option<Arc<House>>,
) -> Result<Checked, Refusal> {
    let mut commands = Vec::new();
    let checked = check_each(
        config,
        name,
        bytes,
        encoding,
        house,
        None,
        |origin, command| {
            commands.push((origin, command));
        },
    );
    checked.map(|mut checked| {
        checked.commands = commands;
        checked
    })
}

/// `check`, giving each command (with its `name:line`) to `on_command` instead of keeping it;
/// checked as if it were `at` when given (a file checked again must give the same commands: a
/// wake-up's time must not pass in between).
pub(crate) fn check_each(
    config: &Config,
    name: &str,
    bytes: &[u8],
    encoding: ScriptEncoding,
    house: Option<Arc<House>>,
    at: Option<chrono::NaiveDateTime>,
    mut on_command: impl FnMut(String, Command),
) -> Result<Checked, Refusal> {
    let mut validator = Validator::new(config);
    if let Some(house) = house {
        validator = validator.knowing(house);
    }
    if let Some(at) = at {
        validator = validator.at(at);
    }
    let mut checked = Checked::default();
    let result = compile(
        name,
        decode(bytes, encoding),
        &mut validator,
        &mut |event| match event {
            Event::Command(command) => on_command(format!("{name}:{}", command.line), command),
            Event::Diagnostic { diagnostic, source } => {
                checked
                    .diagnostics
                    .push(DiagnosticRecord::new(&diagnostic, &source));
                checked
                    .rendered
                    .push_str(&render(&diagnostic, &source, false));
                checked.rendered.push('\n');
            }
        },
    );
    match result {
        Ok(summary) => {
            // An error past the diagnostics shown counts too: nothing of the script runs.
            checked.error_count = summary.errors;
            if summary.suppressed > 0 {
                let _ = write!(
                    checked.rendered,
                    "... and {} more not shown",
                    summary.suppressed
                );
                let _ = match summary.errors {
                    0 => writeln!(checked.rendered),
                    errors => writeln!(checked.rendered, " ({errors} errors in all)"),
                };
            }
            if checked.errors() > 0 {
                Err(Refusal::Invalid(checked))
            } else {
                Ok(checked)
            }
        }
        Err(error) => Err(Refusal::Unreadable(error.to_string())),
    }
}

/// What makes a script the same as one accepted before (`[run] duplicate_window_hours`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Identity<'a> {
    /// Its content (a script run from a terminal; a client of the API without a key): the
    /// same content again is refused.
    Content,
    /// A spool file: its name and its content. A PMS that writes one event per file may write
    /// the same command twice (`CHECKOUT 1204` in `e2.hc` and again in `e4.hc` after a new
    /// check-in): another name is another event; the same file dropped again is not.
    NamedContent,
    /// The client's `Idempotency-Key`: the same key again is refused, whatever the content.
    Key(&'a str),
}

impl Identity<'_> {
    /// The stamp kept for it.
    pub(crate) fn hash(self, name: &str, bytes: &[u8]) -> String {
        match self {
            Self::Content => content_hash(bytes),
            Self::NamedContent => {
                let mut named = Vec::with_capacity(name.len() + 1 + bytes.len());
                named.extend_from_slice(name.as_bytes());
                named.push(0);
                named.extend_from_slice(bytes);
                content_hash(&named)
            }
            Self::Key(key) => content_hash(format!("Idempotency-Key\0{key}").as_bytes()),
        }
    }
}

/// Checks `bytes` and journals its commands in one transaction, with its stamp (`identity`).
/// `again`: accept it even if seen before.
pub(crate) async fn accept(
    config: &Config,
    journal: &Journal,
    name: &str,
    bytes: &[u8],
    encoding: ScriptEncoding,
    identity: Identity<'_>,
    again: bool,
) -> Result<(Vec<u64>, Checked), Refusal> {
    let hash = identity.hash(name, bytes);
    if !again {
        match earlier(journal, &hash, config.run.duplicate_window) {
            Ok(Some(stamp)) => {
                return Err(Refusal::Duplicate(match identity {
                    Identity::Key(key) => describe_key(key, &stamp),
                    _ => describe(name, &stamp),
                }));
            }
            Ok(None) => {}
            Err(error) => return Err(Refusal::Journal(error)),
        }
    }
    let mut checked = check(
        config,
        name,
        bytes,
        encoding,
        crate::intake::house::of_journal(journal),
    )?;
    let extras = Extras {
        marker: None,
        scripts: vec![(hash, name.to_owned())],
        // Checked again where it is written: the same content delivered twice at once.
        refuse_seen_within: (!again)
            .then_some(config.run.duplicate_window)
            .flatten()
            .map(|window| window.as_secs()),
        room_flags: Vec::new(),
        pms_wakeups: Vec::new(),
        blocked: None,
    };
    let commands = std::mem::take(&mut checked.commands);
    let seqs = journal
        .append_with(commands, extras)
        .await
        .map_err(|error| match error {
            crate::engine::JournalError::Duplicate(stamp) => Refusal::Duplicate(match identity {
                Identity::Key(key) => describe_key(key, &stamp),
                _ => describe(name, &stamp),
            }),
            other => Refusal::Journal(other),
        })?;
    Ok((seqs, checked))
}

/// Commands built from outside data (a FIAS record, the resync), with what goes beside them: never
/// script text that is parsed again (see `syntax::Request`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Batch {
    /// Where the commands come from: their origin is `source:N` in the monitor, the log and
    /// the journal (`fias:GI:G#4711`).
    pub(crate) source: String,
    /// Each command, and the PMS's reservation of the stay a check-in begins.
    pub(crate) commands: Vec<(Request, Option<String>)>,
    /// What makes the batch the same as one accepted before (a record delivered twice): with
    /// it, the same identity within `[run] duplicate_window_hours` is refused; `None`: the
    /// batch is accepted whenever it comes (room equipment may repeat).
    pub(crate) identity: Option<String>,
    /// Room flags the input sets, written in the same transaction as the commands.
    pub(crate) flags: FlagChanges,
    /// Wake-ups the PMS books, kept until it has its answer (same transaction).
    pub(crate) wakeups: Vec<PmsWakeup>,
    /// A stay its credit limit holds blocked or releases (see `Extras::blocked`).
    pub(crate) blocked: Option<(u64, Option<u8>)>,
}

/// Checks a batch's commands with the validator, as a script of one line per command named
/// `batch.source`: the same checks and diagnostics as a script, without parsing any text.
pub(crate) fn check_batch(
    config: &Config,
    batch: &Batch,
    house: Option<Arc<House>>,
) -> Result<Checked, Refusal> {
    let mut validator = Validator::new(config);
    if let Some(house) = house {
        validator = validator.knowing(house);
    }
    validator.start_script(&batch.source);
    let mut checked = Checked::default();
    let mut offset = 0;
    for (index, (request, reservation)) in batch.commands.iter().enumerate() {
        let written = request.write(offset);
        let result = validator.check(&written.statement, index + 1, &written.text, offset);
        let source = Source {
            path: &batch.source,
            text: &written.text,
            first_line: index,
            offset,
        };
        for diagnostic in &result.diagnostics {
            checked
                .diagnostics
                .push(DiagnosticRecord::new(diagnostic, &source));
            checked
                .rendered
                .push_str(&render(diagnostic, &source, false));
            checked.rendered.push('\n');
        }
        if let Some(mut command) = result.command {
            command.reservation.clone_from(reservation);
            checked
                .commands
                .push((format!("{}:{}", batch.source, index + 1), command));
        }
        offset += written.text.len() + 1;
    }
    if checked.errors() > 0 {
        Err(Refusal::Invalid(checked))
    } else {
        Ok(checked)
    }
}

/// Checks a batch and journals its commands and flags in one transaction (see `accept`).
pub(crate) async fn accept_batch(
    config: &Config,
    journal: &Journal,
    batch: Batch,
) -> Result<(Vec<u64>, Checked), Refusal> {
    let mut checked = check_batch(config, &batch, crate::intake::house::of_journal(journal))?;
    let hash = batch
        .identity
        .as_ref()
        .map(|identity| content_hash(identity.as_bytes()));
    if let Some(hash) = &hash {
        match earlier(journal, hash, config.run.duplicate_window) {
            Ok(Some(stamp)) => return Err(Refusal::Duplicate(describe(&batch.source, &stamp))),
            Ok(None) => {}
            Err(error) => return Err(Refusal::Journal(error)),
        }
    }
    let extras = Extras {
        marker: None,
        scripts: hash
            .iter()
            .map(|hash| (hash.clone(), batch.source.clone()))
            .collect(),
        refuse_seen_within: hash
            .as_ref()
            .and(config.run.duplicate_window)
            .map(|window| window.as_secs()),
        room_flags: batch.flags,
        pms_wakeups: batch.wakeups,
        blocked: batch.blocked,
    };
    let commands = std::mem::take(&mut checked.commands);
    let seqs = journal
        .append_with(commands, extras)
        .await
        .map_err(|error| match error {
            JournalError::Duplicate(stamp) => Refusal::Duplicate(describe(&batch.source, &stamp)),
            other => Refusal::Journal(other),
        })?;
    Ok((seqs, checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `accept` of a UTF-8 script on the built-in configuration.
    async fn take(
        journal: &Journal,
        name: &str,
        bytes: &[u8],
        identity: Identity<'_>,
        again: bool,
    ) -> Result<(Vec<u64>, Checked), Refusal> {
        let config = Config::builtin();
        accept(
            &config,
            journal,
            name,
            bytes,
            ScriptEncoding::default(),
            identity,
            again,
        )
        .await
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            content_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[tokio::test]
    async fn a_script_is_accepted_whole_or_not_at_all_and_only_once() {
        let journal = Journal::in_memory().unwrap();
        let bad = b"CHECKOUT 1000\nCOS 1000 GOLD\n";
        match take(&journal, "bad.hc", bad, Identity::Content, false).await {
            Err(Refusal::Invalid(checked)) => {
                assert_eq!(checked.errors(), 1);
                assert!(
                    checked.rendered.contains("bad.hc:2:10"),
                    "{}",
                    checked.rendered
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            journal.count_pending().unwrap(),
            0,
            "nothing of it journaled"
        );
        let good = b"CHECKIN 1000 \"Solo,Alina\"\nCHECKOUT 1000\n";
        let (seqs, _) = take(&journal, "good.hc", good, Identity::Content, false)
            .await
            .unwrap();
        assert_eq!(seqs.len(), 2);
        assert!(matches!(
            take(&journal, "again.hc", good, Identity::Content, false).await,
            Err(Refusal::Duplicate(_))
        ));
        let (seqs, _) = take(&journal, "again.hc", good, Identity::Content, true)
            .await
            .unwrap();
        assert_eq!(seqs.len(), 2, "`again` accepts it");
    }

    /// The compiler shows the first 100 diagnostics of a script and counts the rest: an error
    /// after 100 warnings still refuses the script.
    #[test]
    fn an_error_past_the_diagnostics_shown_still_refuses_the_script() {
        let config = Config::builtin();
        let mut script: String = (0..105)
            .map(|_| "CHECKIN 1000 \"Mustermann,Maximilian\"\nCHECKOUT 1000\n")
            .collect();
        let checked = check(
            &config,
            "w.hc",
            script.as_bytes(),
            ScriptEncoding::default(),
            None,
        )
        .unwrap();
        assert_eq!(
            (checked.commands.len(), checked.diagnostics.len()),
            (210, 100)
        );
        assert!(
            checked.rendered.ends_with("... and 5 more not shown\n"),
            "{}",
            checked.rendered
        );
        script.push_str("COS 1000 GOLD\n");
        match check(
            &config,
            "w.hc",
            script.as_bytes(),
            ScriptEncoding::default(),
            None,
        ) {
            Err(Refusal::Invalid(checked)) => {
                assert_eq!((checked.errors(), checked.diagnostics.len()), (1, 100));
            }
            other => panic!("{other:?}"),
        }
    }

    /// A spool file is one event: another name with the same content runs; the same file
    /// again does not.
    #[tokio::test]
    async fn a_spool_files_identity_is_its_name_and_content() {
        let journal = Journal::in_memory().unwrap();
        let event = b"CHECKOUT 1000\n";
        let spooled =
            |name: &'static str| take(&journal, name, event, Identity::NamedContent, false);
        assert!(spooled("e2.hc").await.is_ok());
        assert!(spooled("e4.hc").await.is_ok(), "another event");
        assert!(matches!(spooled("e4.hc").await, Err(Refusal::Duplicate(_))));
    }

    #[test]
    fn the_api_reads_utf8_whatever_the_spool_encoding_is() {
        let config = Config::parse(
            "[run]\nscript_encoding = \"windows-1252\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let utf8 = "CHECKIN 1000 \"M\u{fc}ller,J\u{fc}rgen\"\n";
        let checked = check(
            &config,
            "api",
            utf8.as_bytes(),
            ScriptEncoding::default(),
            None,
        )
        .unwrap();
        match &checked.commands[0].1.action {
            crate::lang::validate::Action::CheckIn(check_in) => {
                assert_eq!(check_in.guest.directory_name, "M\u{fc}ller,J\u{fc}rgen");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_same_script_delivered_twice_at_once_is_accepted_once() {
        let journal = Journal::in_memory().unwrap();
        let script = b"CHECKIN 1000 \"Solo,Alina\"\n";
        let (first, second) = tokio::join!(
            take(&journal, "a.hc", script, Identity::Content, false),
            take(&journal, "b.hc", script, Identity::Content, false),
        );
        let accepted = [first.is_ok(), second.is_ok()];
        assert_eq!(accepted.iter().filter(|ok| **ok).count(), 1, "{accepted:?}");
        assert_eq!(journal.count_pending().unwrap(), 1);
    }
}
