//! `Diagnostic`: one problem, where it is and what else to say about it.

use crate::diagnostics::kind::{DiagnosticKind, Severity};
use crate::diagnostics::span::Span;

/// A problem at `span`, with secondary `notes` (each a full sentence about context, such as where
/// a conflicting DID was given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub(crate) kind: DiagnosticKind,
    pub(crate) span: Span,
    pub(crate) notes: Vec<String>,
}

impl Diagnostic {
    pub(crate) fn new(kind: DiagnosticKind, span: Span) -> Self {
        Self {
            kind,
            span,
            notes: Vec::new(),
        }
    }

    #[must_use]
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub(crate) fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub(crate) fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}
