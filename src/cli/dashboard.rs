//! `hotelcare dashboard [--open]`: a link to the running service's status page. The link
//! carries a ticket that works once, within a minute, and signs the browser that opens it in;
//! the API's token itself never goes into a browser (`dashboard::access`).

use std::process::{Command, Stdio};

use crate::cli::client::{failed, with_service};
use crate::cli::error::{Error, report};
use crate::cli::exit::Exit;
use crate::config::Config;
use crate::support::output::{errln, outln};

/// What `hotelcare dashboard` says when no service runs.
const NO_SERVICE: &str = "the status page is served by `hotelcare serve`, which does not run for this state directory: start it, then run `hotelcare dashboard` again";

pub(crate) fn dashboard(config: &Config, open: bool) -> Exit {
    with_service(config, async |client| {
        let ticket = client.backend.dashboard_ticket().await.map_err(failed)?;
        outln!("{}", ticket.url);
        errln!(
            "open it within {} s: it works once, and signs that browser in for the day",
            ticket.valid_secs
        );
        if open && let Err(why) = open_in_browser(&ticket.url) {
            errln!("warning: cannot open a browser here ({why}); open the link above yourself");
        }
        Ok(Exit::Done)
    })
    .unwrap_or_else(|| report(Error::Other(NO_SERVICE.into())))
}

/// Hands `url` to the desktop's own opener.
fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut command = if cfg!(windows) {
        // No shell between: `start` would parse the URL.
        let mut command = Command::new("rundll32");
        command.args(["url.dll,FileProtocolHandler", url]);
        command
    } else if cfg!(target_os = "macos") {
        let mut command = Command::new("open");
        command.arg(url);
        command
    } else {
        let mut command = Command::new("xdg-open");
        command.arg(url);
        command
    };
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the opener ended with {status}"
        )))
    }
}
