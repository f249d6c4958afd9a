//! REPL-only directives: lines starting with `.`.

/// What a `.` line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Directive {
    /// `.config`: the configuration in use (never the password).
    Config,
    /// `.help`.
    Help,
    /// `.plan on|off`: dry run, send nothing.
    Plan(bool),
    /// `.queue`: the journal's pending and failed commands.
    Queue,
    /// `.quit` (also Ctrl-D).
    Quit,
    /// `.raw on|off`: show the XML envelopes.
    Raw(bool),
}

/// Directive names, for completion.
pub(crate) const NAMES: &[&str] = &[".config", ".help", ".plan", ".queue", ".quit", ".raw"];

impl Directive {
    /// Reads a directive line; `Err` says what is wrong, in a full sentence.
    pub(crate) fn parse(line: &str) -> Result<Self, String> {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default().to_ascii_lowercase();
        let switch = |value: Option<&str>| match value.map(str::to_ascii_lowercase).as_deref() {
            Some("on") => Ok(true),
            Some("off") => Ok(false),
            _ => Err(format!("`{name}` takes `on` or `off`")),
        };
        let directive = match name.as_str() {
            ".config" => Self::Config,
            ".help" | ".h" | ".?" => Self::Help,
            ".plan" => Self::Plan(switch(words.next())?),
            ".queue" => Self::Queue,
            ".quit" | ".q" | ".exit" => Self::Quit,
            ".raw" => Self::Raw(switch(words.next())?),
            other => {
                return Err(format!(
                    "unknown directive `{other}`; directives are {}",
                    NAMES.join(", ")
                ));
            }
        };
        match words.next() {
            Some(extra) => Err(format!("`{name}` does not take `{extra}`")),
            None => Ok(directive),
        }
    }
}

/// `.help`: the commands (from the command table) and the directives.
pub(crate) fn help() -> String {
    format!(
        "Commands (several per line with `;`, `#` starts a comment):\n{}{DIRECTIVES}",
        crate::lang::syntax::keywords::help()
    )
}

const DIRECTIVES: &str = "\
Directives:
  .raw on|off     show what goes over the wire
  .plan on|off    dry run: show the operations, send nothing
  .queue          pending and failed commands
  .config         the configuration in use
  .help           this text
  .quit           leave (also Ctrl-D, or Ctrl-C twice); Ctrl-C clears the line, or stops
                  waiting for the PBX (the command stays queued)
Tab completes commands, levels and extensions; the history is kept between sessions.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives() {
        assert_eq!(Directive::parse(".raw on"), Ok(Directive::Raw(true)));
        assert_eq!(Directive::parse(".PLAN Off"), Ok(Directive::Plan(false)));
        assert_eq!(Directive::parse(".quit"), Ok(Directive::Quit));
        assert!(
            Directive::parse(".raw")
                .unwrap_err()
                .contains("`on` or `off`")
        );
        assert!(
            Directive::parse(".bogus")
                .unwrap_err()
                .contains("unknown directive")
        );
        assert!(
            Directive::parse(".help me")
                .unwrap_err()
                .contains("does not take")
        );
    }
}
