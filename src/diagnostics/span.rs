//! `Span`: a half-open byte range into a script file.

use serde::{Deserialize, Serialize};

/// Byte offsets `start..end` into the file the text came from (not into one line), so that a span
/// names its place in the file on its own. Line and column are derived only when rendering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span {start}..{end} runs backwards");
        Self { start, end }
    }

    /// The smallest span that covers both.
    #[must_use]
    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}
