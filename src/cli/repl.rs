//! `hotelcare repl`: the support REPL on a terminal (attached to the running service, or on a
//! core of its own); on a pipe, the lines run as a script (same output and exit codes as
//! `run -`).

use std::io::{IsTerminal, Read};

use crate::cli::client::{Need, with_backend};
use crate::cli::error::{Error, report};
use crate::cli::exit::Exit;
use crate::cli::run;
use crate::cli::scripts::Script;
use crate::config::Config;
use crate::inputs::repl::{self, HISTORY_FILE};

pub(crate) fn repl(config: &Config, raw: bool, no_readline: bool, color: bool) -> Exit {
    if !no_readline && !std::io::stdin().is_terminal() {
        let mut bytes = Vec::new();
        if let Err(error) = std::io::stdin().read_to_end(&mut bytes) {
            return report(Error::Io {
                what: "cannot read standard input".into(),
                error,
            });
        }
        // Lines typed (or piped) into the REPL are commands given now, not a batch delivered
        // again: no duplicate check.
        return run::run(config, &[Script::Stdin(bytes)], raw, true, color);
    }
    // The events carry what went over the wire: `.raw on` shows it at once.
    with_backend(config, Need::Resume, true, async |client| {
        let options = repl::Options {
            raw,
            color,
            history: (!no_readline).then(|| config.run.state_dir.join(HISTORY_FILE)),
            resumed: client.resumed.clone(),
            refused: client.refused.clone(),
        };
        repl::run(client.backend, config, options)
            .await
            .map_err(report)?;
        Ok(Exit::Done)
    })
}
