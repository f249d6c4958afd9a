//! The PBX's SMDR port, as MiVB has it: a TCP server (1752 on a real one) that writes one call
//! record a line to every collector connected, and keeps what no one was connected for (a
//! finite buffer) until one connects. Calls are placed by the test (`place_call`) or, for
//! `hotelcare sim --smdr-listen`, through the test API (`POST /_sim/calls`).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// How many records wait for a collector (MiVB's buffer is finite too).
const BUFFERED: usize = 10_000;

/// A running SMDR port.
pub struct SmdrPort {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    lines: broadcast::Sender<String>,
    /// Records written while no collector was connected.
    waiting: Mutex<VecDeque<String>>,
}

impl SmdrPort {
    /// Listens on `listen` (port 0: any free one).
    pub async fn start(listen: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let (lines, _) = broadcast::channel(BUFFERED);
        let shared = Arc::new(Shared {
            lines,
            waiting: Mutex::new(VecDeque::new()),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let shared = Arc::clone(&accepting);
                let mut lines = shared.lines.subscribe();
                let waiting: Vec<String> = shared
                    .waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .drain(..)
                    .collect();
                tokio::spawn(async move {
                    for line in waiting {
                        if stream.write_all(line.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                    while let Ok(line) = lines.recv().await {
                        if stream.write_all(line.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Ok(Self {
            address,
            shared,
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Writes `line` (and `\r\n`) to every collector, or keeps it for the next one.
    pub fn send_line(&self, line: &str) {
        let line = format!("{line}\r\n");
        if self.shared.lines.send(line.clone()).is_err() {
            let mut waiting = self
                .shared
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if waiting.len() == BUFFERED {
                waiting.pop_front();
            }
            waiting.push_back(line);
        }
    }

    /// Station `room` called `number` on trunk 1; answered, `duration_secs` long, starting now:
    /// its standard (90-character) record.
    pub fn place_call(&self, room: &str, number: &str, duration_secs: u32) {
        self.send_line(&outgoing_record(
            room,
            number,
            duration_secs,
            chrono::Local::now().naive_local(),
        ));
    }
}

impl Drop for SmdrPort {
    /// Stops listening (collectors connected stay until they read their end).
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The standard record of an answered outgoing call, by Mitel's column table.
pub(crate) fn outgoing_record(
    room: &str,
    number: &str,
    duration_secs: u32,
    start: chrono::NaiveDateTime,
) -> String {
    let mut line = vec![b' '; 90];
    let duration = format!(
        "{:02}:{:02}:{:02}",
        (duration_secs / 3600).min(99),
        duration_secs / 60 % 60,
        duration_secs % 60
    );
    for (column, value) in [
        (2, start.format("%m/%d").to_string()),
        (8, start.format("%H:%M").to_string()),
        (15, duration),
        (24, room.chars().take(4).collect()),
        (
            34,
            number
                .chars()
                .filter(char::is_ascii_digit)
                .take(26)
                .collect(),
        ),
        (60, "A".to_owned()),
        (62, "T001".to_owned()),
        (86, "000".to_owned()),
    ] {
        line[column - 1..column - 1 + value.len()].copy_from_slice(value.as_bytes());
    }
    String::from_utf8_lossy(&line).into_owned()
}
