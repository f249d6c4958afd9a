//! `Lines`: reads a script one line at a time, so that memory does not grow with script length.
//! Strips a UTF-8 byte order mark and Windows line ends (scripts come from Windows PMS middleware).

use std::io::{self, BufRead};

/// One line of a script, without its line break.
#[derive(Debug, Default)]
pub(crate) struct Line {
    /// 0-based line number.
    pub(crate) number: usize,
    /// Byte offset of the line's first byte in the file.
    pub(crate) offset: usize,
    pub(crate) text: String,
}

/// A streaming line reader that reuses one buffer. Not an `Iterator`: each line borrows the buffer.
pub(crate) struct Lines<R> {
    reader: R,
    line: Line,
    bytes: Vec<u8>,
    next_offset: usize,
    started: bool,
}

impl<R: BufRead> Lines<R> {
    #[cfg(test)]
    pub(crate) fn new(reader: R) -> Self {
        Self::starting_at(reader, 0)
    }

    /// Numbers lines from `first` (0-based): for input that continues earlier input (the REPL).
    pub(crate) fn starting_at(reader: R, first: usize) -> Self {
        Self {
            reader,
            line: Line {
                number: first,
                ..Line::default()
            },
            bytes: Vec::new(),
            next_offset: 0,
            started: false,
        }
    }

    /// The next line, or `None` at the end. Invalid UTF-8 is an `InvalidData` error naming the line.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<&Line>> {
        let line = &mut self.line;
        if self.started {
            line.number += 1;
        }
        line.text.clear();
        line.offset = self.next_offset;
        self.bytes.clear();
        let read = self.reader.read_until(b'\n', &mut self.bytes)?;
        if read == 0 {
            return Ok(None);
        }
        self.next_offset += read;
        let mut content: &[u8] = &self.bytes;
        if !self.started {
            self.started = true;
            if let Some(rest) = content.strip_prefix(b"\xEF\xBB\xBF") {
                content = rest;
                line.offset += 3;
            }
        }
        let content = content.strip_suffix(b"\n").unwrap_or(content);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        match std::str::from_utf8(content) {
            Ok(text) => line.text.push_str(text),
            Err(error) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {} is not UTF-8 text (at byte {} of the line); save the script as UTF-8, or give its encoding with `--encoding windows-1252` (or `[run] script_encoding` in the configuration)",
                        line.number + 1,
                        error.valid_up_to() + 1
                    ),
                ));
            }
        }
        Ok(Some(&self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> Vec<(usize, usize, String)> {
        let mut lines = Lines::new(input);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            out.push((line.number, line.offset, line.text.clone()));
        }
        out
    }

    #[test]
    fn numbers_lines_and_offsets() {
        assert_eq!(
            collect(b"a\nbc\n\nd"),
            vec![
                (0, 0, "a".into()),
                (1, 2, "bc".into()),
                (2, 5, String::new()),
                (3, 6, "d".into())
            ]
        );
    }

    #[test]
    fn strips_bom_and_crlf() {
        assert_eq!(
            collect(b"\xEF\xBB\xBFTEST\r\nTEST\r\n"),
            vec![(0, 3, "TEST".into()), (1, 9, "TEST".into())]
        );
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let mut lines = Lines::new(&b"TEST\nCHECKIN 1 \"\xFF\"\n"[..]);
        lines.next_line().unwrap();
        let error = lines.next_line().unwrap_err();
        assert!(error.to_string().contains("line 2 is not UTF-8"), "{error}");
    }
}
