//! `hotelcare completions SHELL` and `hotelcare man`: generated from the same clap definition as
//! the parser, so they never disagree with it.

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
    match clap_mangen::Man::new(Arguments::command()).render(&mut page) {
        Ok(()) => print(&page),
        Err(error) => report(Error::Io {
            what: "cannot render the manual page".into(),
            error,
        }),
    }
}
