//! The one place that draws carets: `render` turns a `Diagnostic` and the text it points into into
//! the familiar `error: ... --> file:line:column` frame, through annotate-snippets (the renderer
//! rustc and ruff use).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diagnostics::diagnostic::Diagnostic;
use crate::diagnostics::kind::Severity;

/// The text a diagnostic points into: a whole file, or (for streamed scripts) one line of it.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// Shown as given (`scripts/demo.hc`, `<stdin>`).
    pub(crate) path: &'a str,
    pub(crate) text: &'a str,
    /// 0-based number of the first line of `text` in the file.
    pub(crate) first_line: usize,
    /// Byte offset of `text` in the file: spans are file offsets.
    pub(crate) offset: usize,
}

impl<'a> Source<'a> {
    /// A whole file.
    pub(crate) fn file(path: &'a str, text: &'a str) -> Self {
        Self {
            path,
            text,
            first_line: 0,
            offset: 0,
        }
    }

    /// 1-based line and column (in characters) of a file offset inside `text`.
    pub(crate) fn line_column(&self, offset: usize) -> (usize, usize) {
        let local = offset.saturating_sub(self.offset).min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, local)];
        let line = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count();
        (self.first_line + line + 1, column + 1)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Draws one diagnostic. `color` adds ANSI styles for terminals.
pub(crate) fn render(diagnostic: &Diagnostic, source: &Source<'_>, color: bool) -> String {
    let level = match diagnostic.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let start = diagnostic
        .span
        .start
        .saturating_sub(source.offset)
        .min(source.text.len());
    let end = diagnostic
        .span
        .end
        .saturating_sub(source.offset)
        .clamp(start, source.text.len());
    let title = diagnostic.kind.to_string();
    let label = diagnostic.kind.label();
    let help = diagnostic.kind.help();
    let mut report = vec![
        level.primary_title(title.as_str()).element(
            Snippet::source(source.text)
                .line_start(source.first_line + 1)
                .path(source.path)
                .fold(true)
                .annotation(
                    AnnotationKind::Primary
                        .span(start..end)
                        .label(label.as_str()),
                ),
        ),
    ];
    for note in &diagnostic.notes {
        report.push(Group::with_title(
            Level::NOTE.secondary_title(note.as_str()),
        ));
    }
    if let Some(help) = &help {
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{DiagnosticKind, Span};

    #[test]
    fn line_column_counts_characters_from_one() {
        let source = Source {
            path: "x.hc",
            text: "CHECKIN 1000 \"Müller\" COS X",
            first_line: 2,
            offset: 100,
        };
        assert_eq!(source.line_column(100), (3, 1));
        // `ü` is two bytes but one column.
        assert_eq!(source.line_column(100 + 22), (3, 22));
    }

    #[test]
    fn render_names_file_line_and_column_with_caret_and_help() {
        let text = "CHECKOUT 1000\nCOS 1000 GOLD\n";
        let diagnostic = Diagnostic::new(
            DiagnosticKind::UnknownLevel {
                level: "GOLD".into(),
                known: vec!["ALLOW".into(), "BLOCK".into()],
            },
            Span::new(23, 27),
        );
        let out = render(&diagnostic, &Source::file("a.hc", text), false);
        assert!(
            out.contains("error: unknown class of service `GOLD`"),
            "{out}"
        );
        assert!(out.contains("a.hc:2:10"), "{out}");
        assert!(out.contains("^^^^ unknown level"), "{out}");
        assert!(out.contains("help: use ALLOW or BLOCK"), "{out}");
    }
}
