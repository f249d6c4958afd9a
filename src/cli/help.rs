//! `hotelcare completions SHELL` and `hotelcare man`: generated from the same clap definition as
//! the parser, so they never disagree with it.

use std::fmt::Write as _;
use std::io::Write as _;

use clap::CommandFactory;

use crate::cli::arguments::{Arguments, Shell};
use crate::cli::error::{Error, report};
use crate::cli::exit::Exit;

/// Writes `bytes` to stdout; a closed pipe ends it quietly.
fn print(bytes: &[u8]) -> Exit {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Exit::Done,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Done,
        Err(error) => report(Error::Io {
            what: "cannot write to standard output".into(),
            error,
        }),
    }
}

pub(crate) fn completions(shell: Shell) -> Exit {
    use clap_complete::Shell as Target;
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
        Shell::Elvish => Target::Elvish,
    };
    let mut script = Vec::new();
    clap_complete::generate(target, &mut Arguments::command(), "hotelcare", &mut script);
    print(&script)
}

pub(crate) fn man() -> Exit {
    let mut page = Vec::new();
    let command = Arguments::command();
    match clap_mangen::Man::new(command.clone()).render(&mut page) {
        Ok(()) => {
            page.extend_from_slice(subcommands(&command).as_bytes());
            print(&page)
        }
        Err(error) => report(Error::Io {
            what: "cannot render the manual page".into(),
            error,
        }),
    }
}

/// A section of the manual page for every subcommand (and theirs): what it does and each of
/// its arguments, from the same definition as the parser.
fn subcommands(command: &clap::Command) -> String {
    let mut out = String::from(".SH \"SUBCOMMANDS IN DETAIL\"\n");
    let mut stack: Vec<(String, &clap::Command)> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| (sub.get_name().to_owned(), sub))
        .collect();
    stack.reverse();
    while let Some((path, sub)) = stack.pop() {
        let _ = writeln!(out, ".SS \"hotelcare {}\"", roff(&path));
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            out.push_str(&roff(&about.to_string()));
            out.push('\n');
        }
        for argument in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let name = match (argument.get_long(), argument.get_short()) {
                (Some(long), _) => format!("--{long}"),
                (None, Some(short)) => format!("-{short}"),
                (None, None) => argument
                    .get_value_names()
                    .and_then(|names| names.first())
                    .map_or_else(
                        || argument.get_id().to_string().to_uppercase(),
                        ToString::to_string,
                    ),
            };
            let _ = write!(out, ".TP\n\\fB{}\\fR\n", roff(&name));
            if let Some(help) = argument.get_long_help().or_else(|| argument.get_help()) {
                out.push_str(&roff(&help.to_string()));
                out.push('\n');
            }
        }
        let mut nested: Vec<(String, &clap::Command)> = sub
            .get_subcommands()
            .filter(|nested| !nested.is_hide_set())
            .map(|nested| (format!("{path} {}", nested.get_name()), nested))
            .collect();
        nested.reverse();
        stack.extend(nested);
    }
    out
}

/// Text as roff reads it literally: backslashes doubled, a leading dot or quote escaped.
fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\\\");
    text.lines()
        .map(|line| {
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
