//! `hotelcare repl`: the support REPL on a terminal; on a pipe, the lines run as a script (same
//! output and exit codes as `run -`).

use std::io::{IsTerminal, Read};

use crate::cli::error::{Error, report};
use crate::cli::execution::{self, Kind, block_on, connect, open_journal, stdout_printer, usage};
use crate::cli::exit::Exit;
use crate::cli::run;
use crate::cli::scripts::Script;
use crate::config::Config;
use crate::inputs::repl::{self, HISTORY_FILE, Session};
use crate::support::logs::{self, Retention};

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
        return run::run(
            config,
            &[Script::Stdin(bytes)],
            raw,
            Kind::Journaled,
            true,
            color,
        );
    }
    if let Some(exit) = crate::cli::remote::with_service(config, async |remote| {
        let readline = (!no_readline).then(|| {
            (
                config.run.state_dir.join(HISTORY_FILE),
                repl::helper_for(config, std::sync::Arc::default(), color),
            )
        });
        repl::attached(remote, config, raw, color, readline)
            .await
            .map_err(usage)?;
        Ok(Exit::Done)
    }) {
        return exit;
    }
    logs::init(&config.run.log_dir, Retention::OneShot);
    let exit = block_on(async {
        let journal = open_journal(config)?;
        let target = connect(config).await?;
        let make_engine =
            |raw| execution::engine(config, &target, journal.clone(), raw, stdout_printer());
        let mut session = Session::new(config, &make_engine, raw, color);
        session.start().await;
        let result = if no_readline {
            repl::plain(&mut session).await
        } else {
            repl::interactive(&mut session, config.run.state_dir.join(HISTORY_FILE)).await
        };
        drop(session);
        target.close().await;
        result.map_err(usage)?;
        Ok(Exit::Done)
    });
    execution::compact_journal(config);
    exit
}
