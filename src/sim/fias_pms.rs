//! The PMS side of FIAS, for tests: a TCP server on loopback that sends a link start (`LS`),
//! waits for the link to come up (`LA`), then sends its scripted records, and keeps everything
//! the other side sent. Written from the FIAS description, independently of hotelcare's link.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// The field `id` of a record's text (`RN1000|` -> `1000`).
fn field<'a>(text: &'a str, id: &str) -> Option<&'a str> {
    text.split('|')
        .skip(1)
        .find_map(|part| part.strip_prefix(id))
}

/// `text` with field `id` set to `value` (added at the end if it has none).
fn with_field(text: &str, id: &str, value: &str) -> String {
    let mut parts: Vec<String> = text
        .trim_end_matches('|')
        .split('|')
        .map(str::to_owned)
        .collect();
    match parts.iter_mut().skip(1).find(|part| part.starts_with(id)) {
        Some(part) => *part = format!("{id}{value}"),
        None => parts.push(format!("{id}{value}")),
    }
    let mut joined = parts.join("|");
    joined.push('|');
    joined
}

impl State {
    /// Keeps the house in step with a record sent: one `GI` per reservation, so a room holds
    /// its guest and its sharers (the first is the one the phone shows).
    fn follow(&mut self, frame: &[u8]) {
        self.sent += 1;
        let text = String::from_utf8_lossy(frame.strip_prefix(&[STX]).unwrap_or(frame));
        let text = text.trim_end_matches('\u{3}');
        // A resync's records describe the house; they do not change it.
        match text.get(..3) {
            Some("DS|") => self.resyncing = true,
            Some("DE|") => self.resyncing = false,
            _ => {}
        }
        if self.resyncing {
            return;
        }
        let Some(rn) = field(text, "RN").map(str::to_owned) else {
            return;
        };
        let reservation = field(text, "G#")
            .filter(|g| !g.is_empty())
            .map(str::to_owned);
        let decoded = |record: &Vec<u8>| String::from_utf8_lossy(record).into_owned();
        let is = |record: &Vec<u8>, room: &str, reservation: Option<&str>| {
            let text = decoded(record);
            field(&text, "RN") == Some(room)
                && reservation.is_none_or(|r| field(&text, "G#") == Some(r))
        };
        let kind = text.get(..3).unwrap_or("");
        match kind {
            "GI|" => {
                // The same reservation again replaces its record; a room-based record (no G#)
                // replaces the room's.
                match &reservation {
                    Some(r) => self
                        .house
                        .retain(|record| field(&decoded(record), "G#") != Some(r.as_str())),
                    None => self.house.retain(|record| !is(record, &rn, None)),
                }
                let kept = text.replace("|SF|", "|");
                self.house.push(kept.into_bytes());
            }
            "GO|" => self.house.retain(|r| !is(r, &rn, reservation.as_deref())),
            "RE|" => {
                if let Some(cs) = field(text, "CS") {
                    for record in self.house.iter_mut().filter(|r| is(r, &rn, None)) {
                        *record = with_field(&decoded(record), "CS", cs).into_bytes();
                    }
                }
            }
            "GC|" => {
                let from = field(text, "RO").filter(|o| !o.is_empty() && *o != rn);
                let room = from.unwrap_or(&rn);
                for record in self
                    .house
                    .iter_mut()
                    .filter(|r| is(r, room, reservation.as_deref()))
                {
                    let mut changed = decoded(record);
                    for id in ["RN", "GN", "GF", "GT", "CS"] {
                        if let Some(value) = field(text, id) {
                            changed = with_field(&changed, id, value);
                        }
                    }
                    *record = changed.into_bytes();
                }
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct State {
    /// Records still to send, in order (text without STX/ETX, as the PMS writes them).
    to_send: Vec<Vec<u8>>,
    /// Every frame the other side sent, decoded as windows-1252.
    received: Vec<String>,
    /// The house it sends in answer to a resync request (`DR`): `DS`, these records, `DE`.
    house: Vec<Vec<u8>>,
    /// Records sent so far.
    sent: usize,
    /// How it departs from a well-behaved PMS.
    faults: Faults,
    /// Between its `DS` and `DE`.
    resyncing: bool,
    /// The frames of the last resync's answer.
    resync_frames: Vec<Vec<u8>>,
}

/// How the simulated PMS departs from a well-behaved one, all at once (`FiasPms::set_faults`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Faults {
    /// Close the link once this many records (queued by `send`, or a resync's) have been sent
    /// in all, once: as a PMS whose link drops mid-stream.
    pub drop_after: Option<usize>,
    /// Send at most this many records every 20 ms (a stream spread over time; `None`: all it has).
    pub pace: Option<usize>,
    /// The status a posting (`PS`) is answered with (`PA ... AS<status>`); `None`: no answer.
    pub posting_status: Option<String>,
    /// How long before a posting is answered.
    pub posting_delay: Duration,
    /// How the answers to postings are wrong.
    pub postings: PostingFaults,
}

impl Default for Faults {
    /// A PMS that answers every posting `OK` at once and sends what it has.
    fn default() -> Self {
        Self {
            drop_after: None,
            pace: None,
            posting_status: Some("OK".to_owned()),
            posting_delay: Duration::ZERO,
            postings: PostingFaults::None,
        }
    }
}

/// How a PMS gets its posting answers wrong.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PostingFaults {
    #[default]
    None,
    /// A `PA` for a `P#` 1000 higher comes before the right one.
    WrongNumberFirst,
    /// The right `PA` comes twice.
    Twice,
}

/// A running PMS simulator.
pub struct FiasPms {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
}

impl FiasPms {
    /// Listens on `listen` (port 0: any free one).
    pub async fn start(listen: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let (shutdown, stopped) = watch::channel(false);
        tokio::spawn(accept(listener, Arc::clone(&state), stopped));
        Ok(Self {
            address,
            state,
            shutdown,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues a record to send once the link is up (`bytes` in the PMS's code page). The house
    /// a resync sends follows what was sent: `GI` occupies a room, `GC` with `RO` moves, `GO`
    /// vacates.
    pub fn send(&self, record: &[u8]) {
        let mut framed = vec![STX];
        framed.extend_from_slice(record);
        framed.push(ETX);
        self.lock().to_send.push(framed);
    }

    /// Queues the records of a script: one record per line after `< ` (the other lines are
    /// comments), sent in windows-1252.
    pub fn send_script(&self, script: &str) {
        for line in script.lines() {
            if let Some(record) = line.strip_prefix("< ") {
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(record.trim_end());
                self.send(&bytes);
            }
        }
    }

    /// Queues bytes to send as they are (noise, broken frames), once the link is up.
    pub fn send_raw(&self, bytes: &[u8]) {
        self.lock().to_send.push(bytes.to_vec());
    }

    /// Sets the house a resync request (`DR`) is answered with: `GI` records (without the swap
    /// flag, which is added), one per occupied room.
    pub fn set_house(&self, records: &[&[u8]]) {
        self.lock().house = records.iter().map(|r| r.to_vec()).collect();
    }

    /// The house as the PMS has it now (its `GI` records).
    pub fn house(&self) -> Vec<String> {
        self.lock()
            .house
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }

    /// What the other side sent, in order.
    pub fn received(&self) -> Vec<String> {
        self.lock().received.clone()
    }

    /// From now on departs from a well-behaved PMS as `faults` says.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// How many queued records went out so far.
    pub fn sent(&self) -> usize {
        self.lock().sent
    }

    /// Whether every queued record went out.
    pub fn sent_all(&self) -> bool {
        self.lock().to_send.is_empty()
    }

    pub(crate) fn stop(&self) {
        let _ = self.shutdown.send(true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FiasPms {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Queues the `PA` of the posting `text`, as the simulator is told to answer it.
fn answer_posting(state: &Arc<Mutex<State>>, text: &str) {
    let (status, delay, faults) = {
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let faults = &state.faults;
        (
            faults.posting_status.clone(),
            faults.posting_delay,
            faults.postings,
        )
    };
    let Some(status) = status else {
        return;
    };
    let number = field(text, "P#").unwrap_or("");
    let answer_for = |number: &str| {
        format!(
            "\x02PA|RN{}|AS{status}|P#{number}|{}\x03",
            field(text, "RN").unwrap_or(""),
            if status == "OK" {
                ""
            } else {
                "CTREFUSED BY SIMULATOR|"
            }
        )
    };
    let mut answers = Vec::new();
    if faults == PostingFaults::WrongNumberFirst {
        let wrong = number.parse::<u64>().map_or(0, |n| n + 1000);
        answers.push(answer_for(&wrong.to_string()));
    }
    answers.push(answer_for(number));
    if faults == PostingFaults::Twice {
        answers.push(answer_for(number));
    }
    let state = Arc::clone(state);
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .to_send
            .extend(answers.into_iter().map(String::into_bytes));
    });
}

async fn accept(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (mut read, mut write) = stream.into_split();
        let state = Arc::clone(&state);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            if write
                .write_all(b"\x02LS|DA261126|TI100000|\x03")
                .await
                .is_err()
            {
                return;
            }
            let mut up = false;
            let mut frame: Option<Vec<u8>> = None;
            let mut buffer = [0u8; 1024];
            loop {
                let read = tokio::select! {
                    _ = stopped.changed() => return,
                    read = read.read(&mut buffer) => read,
                    () = tokio::time::sleep(Duration::from_millis(20)), if up => Ok(usize::MAX),
                };
                match read {
                    Ok(0) | Err(_) => return,
                    Ok(usize::MAX) => {
                        // Everything queued goes out at once (a PMS sends as fast as it can).
                        let queued = {
                            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                            match state.faults.pace.map(|pace| pace.max(1)) {
                                Some(pace) if state.to_send.len() > pace => {
                                    state.to_send.drain(..pace).collect()
                                }
                                _ => std::mem::take(&mut state.to_send),
                            }
                        };
                        let mut queued = queued.into_iter();
                        while let Some(bytes) = queued.next() {
                            let drop_now = {
                                let mut state =
                                    state.lock().unwrap_or_else(PoisonError::into_inner);
                                if state
                                    .faults
                                    .drop_after
                                    .is_some_and(|limit| state.sent >= limit)
                                {
                                    // What was not sent is sent on the next link.
                                    state.faults.drop_after = None;
                                    state.resyncing = false;
                                    let mut rest = vec![bytes.clone()];
                                    rest.extend(queued.by_ref());
                                    rest.extend(std::mem::take(&mut state.to_send));
                                    // A resync's remains are not resent: the next DR asks again.
                                    let resync = state.resync_frames.clone();
                                    rest.retain(|frame| !resync.contains(frame));
                                    state.to_send = rest;
                                    true
                                } else {
                                    false
                                }
                            };
                            if drop_now {
                                return;
                            }
                            if write.write_all(&bytes).await.is_err() {
                                return;
                            }
                            state
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .follow(&bytes);
                        }
                    }
                    Ok(count) => {
                        for &byte in &buffer[..count] {
                            match byte {
                                STX => frame = Some(Vec::new()),
                                ETX => {
                                    if let Some(bytes) = frame.take() {
                                        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
                                        up |= text.starts_with("LA|");
                                        if text.starts_with("PS|") {
                                            answer_posting(&state, &text);
                                        }
                                        if text.starts_with("DR|") {
                                            // The resync goes out before anything queued.
                                            let mut state = state
                                                .lock()
                                                .unwrap_or_else(PoisonError::into_inner);
                                            let mut answer = vec![b"\x02DS|\x03".to_vec()];
                                            for record in state.house.clone() {
                                                let mut framed = vec![STX];
                                                framed.extend_from_slice(&record);
                                                framed.extend_from_slice(b"SF|");
                                                framed.push(ETX);
                                                answer.push(framed);
                                            }
                                            answer.push(b"\x02DE|\x03".to_vec());
                                            state.resync_frames.clone_from(&answer);
                                            let queued = std::mem::take(&mut state.to_send);
                                            state.to_send = answer;
                                            state.to_send.extend(queued);
                                        }
                                        state
                                            .lock()
                                            .unwrap_or_else(PoisonError::into_inner)
                                            .received
                                            .push(text.into_owned());
                                    }
                                }
                                _ => {
                                    if let Some(open) = frame.as_mut() {
                                        open.push(byte);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}
