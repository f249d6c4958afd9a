//! `DiagnosticRecord`: a diagnostic as data, for machines (`check --format json`, the spool's
//! JSON reports): where it is, how bad, and every sentence the rendered frame shows.

use serde::{Deserialize, Serialize};

use crate::diagnostics::diagnostic::Diagnostic;
use crate::diagnostics::kind::Severity;
use crate::diagnostics::render::Source;

/// Stable field names: documented in `docs/json.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DiagnosticRecord {
    pub(crate) file: String,
    /// 1-based.
    pub(crate) line: usize,
    /// 1-based, in characters.
    pub(crate) column: usize,
    /// `error` or `warning`.
    pub(crate) severity: String,
    pub(crate) message: String,
    /// The text under the caret.
    pub(crate) label: String,
    pub(crate) help: Option<String>,
    pub(crate) notes: Vec<String>,
}

impl DiagnosticRecord {
    pub(crate) fn new(diagnostic: &Diagnostic, source: &Source<'_>) -> Self {
        let (line, column) = source.line_column(diagnostic.span.start);
        Self {
            file: source.path.to_owned(),
            line,
            column,
            severity: match diagnostic.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            }
            .to_owned(),
            message: diagnostic.kind.to_string(),
            label: diagnostic.kind.label(),
            help: diagnostic.kind.help(),
            notes: diagnostic.notes.clone(),
        }
    }

    pub(crate) fn is_error(&self) -> bool {
        self.severity == "error"
    }
}
