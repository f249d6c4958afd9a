//! The SMDR link: hotelcare connects to the PBX's SMDR port (MiVB listens, 1752 by default),
//! reads one record a line, and hands each to the charges. It reconnects with backoff; its
//! state is told once per change (log, monitor) and kept in `hotelcare_smdr_link_up`. A line
//! that is not a record is counted and told (escaped), never stops it.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::config::SmdrFormat;
use crate::control::charges::{Charges, Taken};
use crate::control::drainer;
use crate::control::hub::Hub;

/// The longest line taken as a record (Mitel's longest is 207 characters).
const MAX_LINE: u64 = 1024;
/// A connection attempt given up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Where the records come from.
pub(crate) struct Link {
    /// `host:port` of the PBX's SMDR port.
    pub(crate) server: String,
    /// The PBX they are of (`main` with one).
    pub(crate) pbx: String,
    pub(crate) format: SmdrFormat,
    pub(crate) charges: Arc<Charges>,
    pub(crate) hub: Arc<Hub>,
}

/// Runs the link until `stop` says why it stops.
pub(crate) async fn run(link: Link, stop: watch::Receiver<Option<String>>) {
    let mut backoff = Duration::from_secs(1);
    // `None` before the first attempt: the first failure is told too.
    let mut was_up: Option<bool> = None;
    loop {
        let attempt = tokio::select! {
            attempt = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&link.server)) => attempt,
            _ = drainer::stopped(stop.clone()) => return,
        };
        let why = match attempt {
            Ok(Ok(stream)) => {
                link.hub.smdr_link(&link.pbx, true, None);
                was_up = Some(true);
                backoff = Duration::from_secs(1);
                link.hub
                    .notice(&format!("the SMDR link to {} is up", link.server), false);
                match read(&link, stream, stop.clone()).await {
                    Some(why) => why,
                    None => return,
                }
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        };
        link.hub.smdr_link(&link.pbx, false, Some(&why));
        if was_up != Some(false) {
            link.hub.notice(
                &format!(
                    "warning: the SMDR link to {} (PBX {}) is down ({why}); calls are kept by the PBX until it is back (tried again every {} s at most)",
                    link.server,
                    link.pbx,
                    MAX_BACKOFF.as_secs()
                ),
                true,
            );
            was_up = Some(false);
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = drainer::stopped(stop.clone()) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Reads records until the link ends (`Some(why)`) or the service stops (`None`).
async fn read(
    link: &Link,
    stream: TcpStream,
    stop: watch::Receiver<Option<String>>,
) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut bytes = Vec::with_capacity(256);
    loop {
        bytes.clear();
        let mut limited = (&mut reader).take(MAX_LINE + 1);
        let read = tokio::select! {
            read = limited.read_until(b'\n', &mut bytes) => read,
            _ = drainer::stopped(stop.clone()) => return None,
        };
        match read {
            Err(error) => return Some(error.to_string()),
            Ok(0) => return Some("the PBX closed the connection".into()),
            Ok(_) if bytes.last() != Some(&b'\n') => {
                if bytes.len() as u64 > MAX_LINE {
                    link.hub.metrics.smdr_record("refused");
                    link.hub.notice(
                        &format!("warning: SMDR: a line longer than {MAX_LINE} bytes is not a record; skipped"),
                        true,
                    );
                    if let Err(error) = skip_line(&mut reader).await {
                        return Some(error.to_string());
                    }
                    continue;
                }
                // The link ended in the middle of a record: what came is not a whole one.
                link.hub.metrics.smdr_record("cut_off");
                return Some("the PBX closed the connection in the middle of a record".into());
            }
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            continue;
        }
        take(link, text).await;
    }
}

/// Reads and drops the rest of an overlong line.
async fn skip_line(reader: &mut BufReader<TcpStream>) -> std::io::Result<()> {
    let mut rest = Vec::new();
    loop {
        rest.clear();
        let mut limited = (&mut *reader).take(MAX_LINE);
        match limited.read_until(b'\n', &mut rest).await {
            Err(error) => return Err(error),
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the PBX closed the connection",
                ));
            }
            Ok(_) if rest.last() == Some(&b'\n') => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// One line: a call for the charges, or a line counted and told.
async fn take(link: &Link, text: &str) {
    let today = chrono::Local::now().date_naive();
    match super::call(&link.pbx, text, link.format, today) {
        Ok(call) => {
            let identity = super::identity(&link.pbx, &call, text);
            match link.charges.record(call, &identity).await {
                Ok(Taken::New | Taken::Unrated) => link.hub.metrics.smdr_record("recorded"),
                Ok(Taken::Again) => link.hub.metrics.smdr_record("again"),
                Err(error) => {
                    // Not journaled: the PBX will not send it again, so say so loudly.
                    link.hub.metrics.smdr_record("failed");
                    link.hub.notice(
                        &format!("error: SMDR: a call record could not be journaled ({error}); it is lost unless the PBX's SMDR export is imported later (`hotelcare charges import`)"),
                        true,
                    );
                }
            }
        }
        Err(why) => {
            link.hub.metrics.smdr_record("refused");
            link.hub.notice(
                &format!("warning: SMDR: a line is not a call record: {why}"),
                true,
            );
        }
    }
}
