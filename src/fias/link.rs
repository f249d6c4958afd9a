//! The FIAS link, inside the service: hotelcare connects to the PMS's interface (the PMS is the
//! TCP server), answers its link start (`LS`) with a link description (`LD`), the records it
//! wants (`LR`) and link alive (`LA`), answers every later `LS` with `LA`, and hands each guest
//! record to `Submit` (mapped to script text, journaled). It says `LE` when the service stops and
//! connects again, with backoff, when the link drops. FIAS over TCP has no per-record
//! acknowledgement: a record counts as received once its commands are journaled.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::config::{Capabilities, FiasConfig};
use crate::fias::mapping::{Mapped, map};
use crate::fias::record::{ETX, Record, STX};

/// The longest frame taken; a longer one is dropped whole (a damaged stream).
const MAX_FRAME: usize = 64 * 1024;

/// Where mapped records go: the service journals them like a script.
pub(crate) trait Submit: Send + Sync {
    /// Journals `text` as the script `name`; the commands' numbers, or why it was refused.
    fn submit(
        &self,
        name: String,
        text: String,
        again: bool,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<u64>, String>> + Send + '_>>;

    /// Tells the operator (monitor, log).
    fn tell(&self, line: &str, problem: bool);
}

/// The records hotelcare asks the PMS for (`LR`), with their fields.
const WANTED: &[(&str, &str)] = &[
    ("GI", "RNG#GNGFGTCS"),
    ("GO", "RNG#"),
    ("GC", "RNROG#GNGFGTCSGS"),
    ("RE", "RNCSDNML"),
];

/// Runs the link until `stop` carries a reason.
pub(crate) async fn run(
    config: FiasConfig,
    capabilities: Capabilities,
    submit: Arc<dyn Submit>,
    mut stop: watch::Receiver<Option<String>>,
) {
    let mut pause = Duration::from_secs(1);
    loop {
        if stop.borrow().is_some() {
            return;
        }
        let connected = tokio::select! {
            connected = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&config.server)) => connected,
            _ = stop.changed() => return,
        };
        match connected {
            Ok(Ok(stream)) => {
                submit.tell(
                    &format!("FIAS link to the PMS at {} connected", config.server),
                    false,
                );
                pause = Duration::from_secs(1);
                let ended =
                    session(stream, &config, capabilities, submit.as_ref(), &mut stop).await;
                if ended {
                    return;
                }
                submit.tell(
                    &format!(
                        "FIAS link to the PMS at {} lost; connecting again (records meanwhile are resent by the PMS's resync)",
                        config.server
                    ),
                    true,
                );
            }
            Ok(Err(error)) => tracing::debug!("FIAS: cannot connect to {}: {error}", config.server),
            Err(_) => tracing::debug!("FIAS: no connection to {} within 10 s", config.server),
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// One connection. `true` when it ended because the service stops.
async fn session(
    mut stream: TcpStream,
    config: &FiasConfig,
    capabilities: Capabilities,
    submit: &dyn Submit,
    stop: &mut watch::Receiver<Option<String>>,
) -> bool {
    let mut frame: Option<Vec<u8>> = None;
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read,
            _ = stop.changed() => {
                let _ = send(&mut stream, config, &stamped("LE")).await;
                return true;
            }
        };
        let count = match read {
            Ok(0) | Err(_) => return false,
            Ok(count) => count,
        };
        for &byte in &buffer[..count] {
            match (byte, frame.as_mut()) {
                (STX, _) => frame = Some(Vec::new()),
                (ETX, Some(_)) => {
                    let bytes = frame.take().unwrap_or_default();
                    if !handle(&mut stream, &bytes, config, capabilities, submit).await {
                        return false;
                    }
                }
                (_, Some(open)) if open.len() < MAX_FRAME => open.push(byte),
                (_, Some(_)) => {
                    submit.tell("FIAS: a frame longer than 64 kB was dropped", true);
                    frame = None;
                }
                // Bytes between frames: noise.
                (_, None) => {}
            }
        }
    }
}

/// One frame from the PMS. `false` when the link must be closed.
async fn handle(
    stream: &mut TcpStream,
    bytes: &[u8],
    config: &FiasConfig,
    capabilities: Capabilities,
    submit: &dyn Submit,
) -> bool {
    let Some(record) = Record::parse(bytes, config.codepage) else {
        submit.tell("FIAS: a frame that is no record was ignored", true);
        return true;
    };
    match record.kind.as_str() {
        "LS" => {
            let mut ld = stamped("LD");
            ld.fields
                .push(("V#".into(), env!("CARGO_PKG_VERSION").into()));
            ld.fields.push(("IF".into(), "PB".into()));
            let mut answer = vec![ld];
            for (kind, fields) in WANTED {
                answer.push(Record::new("LR", &[("RI", kind), ("FL", fields)]));
            }
            answer.push(stamped("LA"));
            for record in &answer {
                if send(stream, config, record).await.is_err() {
                    return false;
                }
            }
            true
        }
        "LA" | "DS" | "DE" => true,
        "LE" => {
            submit.tell("FIAS: the PMS ended the link (LE)", true);
            false
        }
        _ => {
            match map(&record, config, capabilities) {
                Mapped::Script { name, text, again } => {
                    match submit.submit(name.clone(), text, again).await {
                        Ok(seqs) => tracing::info!(
                            "FIAS {}: {} command(s) journaled as `{name}`",
                            record.shown(),
                            seqs.len()
                        ),
                        Err(why) => submit.tell(
                            &format!("FIAS {}: not applied: {why}", record.shown()),
                            true,
                        ),
                    }
                }
                Mapped::Ignored(why) => {
                    submit.tell(&format!("FIAS {}: ignored: {why}", record.shown()), false);
                }
            }
            true
        }
    }
}

async fn send(stream: &mut TcpStream, config: &FiasConfig, record: &Record) -> std::io::Result<()> {
    stream.write_all(&record.frame(config.codepage)).await
}

/// A link record with `DA` and `TI` of now (local time), as FIAS writes them.
fn stamped(kind: &str) -> Record {
    let now = chrono::Local::now();
    Record::new(
        kind,
        &[
            ("DA", &now.format("%y%m%d").to_string()),
            ("TI", &now.format("%H%M%S").to_string()),
        ],
    )
}
