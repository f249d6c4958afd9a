//! Diagnostics: spans, the kinds of problems a user can meet, and the renderer that draws them.
//!
//! Input: spans (byte offsets) and kinds produced by `syntax`, `validate` and `config`.
//! Output: rendered text. This module imports nothing from the rest of the crate.

mod count;
mod diagnostic;
mod kind;
mod record;
mod render;
mod span;

pub use count::{Alternatives, Count, LocalTime};
pub use diagnostic::Diagnostic;
pub use kind::{DiagnosticKind, Severity};
pub use record::DiagnosticRecord;
pub use render::{Source, render};
pub use span::Span;
