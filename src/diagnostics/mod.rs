//! Diagnostics: spans, the kinds of problems a user can meet, and the renderer that draws them.
//!
//! Input: spans (byte offsets) and kinds produced by `syntax`, `validate` and `config`.
//! Output: rendered text. This module imports nothing from the rest of the crate.

mod count;
pub(crate) mod diagnostic;
mod kind;
mod record;
pub(crate) mod render;
mod span;

pub(crate) use count::{Alternatives, Count, LocalTime};
pub(crate) use diagnostic::Diagnostic;
pub(crate) use kind::DiagnosticKind;
pub(crate) use record::DiagnosticRecord;
pub(crate) use render::{Source, render};
pub(crate) use span::Span;
