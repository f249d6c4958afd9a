//! The PBX side of the Mitel PMS protocol, for tests and trials: a TCP server on loopback that
//! behaves as the spec (`../shared/spec/mitel-pms-protocol.md`) says MiVB does. Written from the
//! spec, independently of hotelcare's driver (it imports nothing of `pbx`): it reads frames
//! with its own decoder and refuses (`NAK`) what the PBX would — an unknown room, a wrong
//! length, a status digit out of range, a byte that is not ASCII.
//!
//! Faults: `NAK`s at a rate, `ENQ`s left unanswered, the connection dropped after a frame and
//! before its `ACK` (the frame applied anyway: hotelcare's retry must be harmless), glare (the
//! PBX's own `ENQ` in answer to every n-th `ENQ`), maid status sent every so often, and a
//! "reboot" that sends a request to initialize (`RQINZ`).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
const ENQ: u8 = 0x05;
const ACK: u8 = 0x06;
const NAK: u8 = 0x15;
/// The protocol's answer time.
const ANSWER: Duration = Duration::from_secs(3);
/// "Not in this run" for the maid status timer.
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// A guest room as the PBX keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PmsRoom {
    pub occupied: bool,
    pub name: String,
    /// The restriction level last set (`None`: the vacant default of Hotel Options).
    pub level: Option<u8>,
    pub message_waiting: bool,
    pub do_not_disturb: bool,
    /// The booked wake-ups, `hhmm` (at most three; a check-in or check-out clears them).
    pub wakeups: Vec<String>,
}

/// Faults to inject. (Glare answers the PMS's `ENQ` with the PBX's own transaction and a
/// second one right after it.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PmsFaults {
    /// Share of valid frames answered `NAK` (the PMS then sends the frame again).
    pub nak_rate: f64,
    /// Share of `ENQ`s left without an answer.
    pub silent_rate: f64,
    /// Share of valid frames applied, then the connection closed before the `ACK`.
    pub drop_rate: f64,
    /// Answer every n-th `ENQ` with the PBX's own `ENQ` and a maid status frame (0: never).
    pub glare_every: u32,
    /// Send a maid status (clean) for a room this often (`None`: never).
    pub maid_every: Option<Duration>,
    /// Wait this long before each answer.
    pub latency: Duration,
    /// Line noise: every `ENQ` is answered `ACK` and a stray `ACK`, and the frame that follows
    /// is lost in the noise (never applied, never answered).
    pub noise_acks: bool,
}

/// What the simulator counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PmsStats {
    pub transactions: u64,
    pub applied: u64,
    pub naks: u64,
    pub glares: u64,
    pub unsolicited: u64,
    pub connections: u64,
    /// A frame the PBX had just acknowledged, sent again at once on the same connection (a
    /// PMS that repeats itself without a NAK or a timeout between).
    pub repeats: u64,
}

struct State {
    rooms: BTreeMap<String, PmsRoom>,
    faults: PmsFaults,
    stats: PmsStats,
    rng: fastrand::Rng,
    width: usize,
    /// Every frame applied, in order, as text.
    log: Vec<String>,
}

/// A running simulator.
pub struct PmsSimulator {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
    reboot: watch::Sender<u64>,
}

impl PmsSimulator {
    /// Listens on `listen` (port 0: any free one) with these rooms and extension field width.
    pub async fn start(listen: SocketAddr, rooms: &[String], width: usize) -> io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            rooms: rooms
                .iter()
                .map(|room| (room.clone(), PmsRoom::default()))
                .collect(),
            faults: PmsFaults::default(),
            stats: PmsStats::default(),
            rng: fastrand::Rng::with_seed(7),
            width,
            log: Vec::new(),
        }));
        let (shutdown, stopped) = watch::channel(false);
        let (reboot, reboots) = watch::channel(0u64);
        tokio::spawn(accept(listener, Arc::clone(&state), stopped, reboots));
        Ok(Self {
            address,
            state,
            shutdown,
            reboot,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn room(&self, ext: &str) -> Option<PmsRoom> {
        self.lock().rooms.get(ext).cloned()
    }

    pub fn set_faults(&self, faults: PmsFaults) {
        self.lock().faults = faults;
    }

    pub fn stats(&self) -> PmsStats {
        self.lock().stats.clone()
    }

    /// Every frame applied so far, in order.
    pub fn applied(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// As after a restart of the PBX: a request to initialize goes to the PMS.
    pub fn reboot(&self) {
        self.reboot.send_modify(|n| *n += 1);
    }

    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for PmsSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    mut stopped: watch::Receiver<bool>,
    reboots: watch::Receiver<u64>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    lock(&state).stats.connections += 1;
                    tokio::spawn(serve(stream, Arc::clone(&state), stopped.clone(), reboots.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            },
        }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One PMS connection.
async fn serve(
    mut stream: TcpStream,
    state: Arc<Mutex<State>>,
    mut stopped: watch::Receiver<bool>,
    mut reboots: watch::Receiver<u64>,
) {
    let mut next_maid = Instant::now() + lock(&state).faults.maid_every.unwrap_or(NEVER);
    let mut last_acked: Option<Vec<u8>> = None;
    let mut rebooted = *reboots.borrow_and_update();
    loop {
        let byte = tokio::select! {
            _ = stopped.changed() => return,
            _ = reboots.changed() => {
                // One request to initialize for each reboot asked, however fast they came.
                let now = *reboots.borrow_and_update();
                for _ in rebooted..now {
                    if !unsolicited(&mut stream, &state, "RQINZ").await { return; }
                }
                rebooted = now;
                continue;
            }
            () = tokio::time::sleep_until(next_maid) => {
                let maid = {
                    let state = lock(&state);
                    next_maid = Instant::now() + state.faults.maid_every.unwrap_or(NEVER);
                    state.rooms.keys().next().map(|room| format!("STS2 {room:<width$}", width = state.width))
                };
                if let Some(maid) = maid && !unsolicited(&mut stream, &state, &maid).await {
                    return;
                }
                continue;
            }
            byte = stream.read_u8() => match byte { Ok(byte) => byte, Err(_) => return },
        };
        let received = Instant::now();
        if byte != ENQ {
            continue;
        }
        let (silent, glare, latency, noise) = {
            let mut state = lock(&state);
            state.stats.transactions += 1;
            let n = state.stats.transactions;
            let faults = state.faults.clone();
            let silent = state.rng.f64() < faults.silent_rate;
            let glare = faults.glare_every > 0 && n % u64::from(faults.glare_every) == 0;
            (silent, glare, faults.latency, faults.noise_acks)
        };
        if silent {
            // A timeout on the PMS's side: it may send the same frame again.
            last_acked = None;
            continue;
        }
        if glare {
            lock(&state).stats.glares += 1;
            let room = {
                let state = lock(&state);
                state
                    .rooms
                    .keys()
                    .next()
                    .map(|room| format!("STS2 {room:<width$}", width = state.width))
            };
            let room = room.unwrap_or_default();
            // Glare: the PBX answers the PMS's ENQ with its own.
            if !unsolicited(&mut stream, &state, &room).await {
                return;
            }
            // A PBX with more to say sends its next ENQ at once: the PMS, backing off after
            // the glare, takes that transaction before it restarts its own.
            if !unsolicited(&mut stream, &state, &room).await {
                return;
            }
            continue;
        }
        answer_after(received, latency).await;
        if noise {
            // The stray ACK arrives with the real one, before the PMS sends its frame.
            if stream.write_all(&[ACK, ACK]).await.is_err() {
                return;
            }
            let _ = read_frame(&mut stream).await;
            last_acked = None;
            continue;
        }
        if stream.write_all(&[ACK]).await.is_err() {
            return;
        }
        // The frame, and again after each NAK.
        loop {
            let Some(text) = read_frame(&mut stream).await else {
                break;
            };
            let received = Instant::now();
            let verdict = {
                let mut state = lock(&state);
                let valid = decode(&text, state.width, &state.rooms);
                let nak = state.rng.f64() < state.faults.nak_rate;
                let drop = state.rng.f64() < state.faults.drop_rate;
                if last_acked.as_deref() == Some(text.as_slice()) {
                    state.stats.repeats += 1;
                }
                match valid {
                    Some(change) if !nak => {
                        apply(&mut state, &change);
                        state.stats.applied += 1;
                        state.log.push(String::from_utf8_lossy(&text).into_owned());
                        if drop { Verdict::Drop } else { Verdict::Ack }
                    }
                    _ => {
                        state.stats.naks += 1;
                        Verdict::Nak
                    }
                }
            };
            answer_after(received, latency).await;
            match verdict {
                Verdict::Ack => {
                    if stream.write_all(&[ACK]).await.is_err() {
                        return;
                    }
                    last_acked = Some(text);
                    break;
                }
                Verdict::Nak => {
                    last_acked = None;
                    if stream.write_all(&[NAK]).await.is_err() {
                        return;
                    }
                }
                Verdict::Drop => return,
            }
        }
    }
}

/// Waits until `latency` after `received`, to the microsecond (both simulators' latency): the
/// timer's 1 ms tick would make every answer up to a millisecond late, and a benchmark would
/// charge that to the client.
pub(crate) async fn answer_after(received: Instant, latency: Duration) {
    if latency.is_zero() {
        return;
    }
    let due = received + latency;
    if let Some(coarse) = due.checked_sub(Duration::from_millis(2)) {
        tokio::time::sleep_until(coarse).await;
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

enum Verdict {
    Ack,
    Nak,
    Drop,
}

/// `STX text ETX` within the answer time; `None` if it does not come.
async fn read_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let deadline = Instant::now() + ANSWER;
    let mut started = false;
    let mut text = Vec::new();
    loop {
        let byte = tokio::time::timeout_at(deadline, stream.read_u8())
            .await
            .ok()?
            .ok()?;
        match byte {
            STX => {
                started = true;
                text.clear();
            }
            ETX if started => return Some(text),
            _ if started && text.len() < 1024 => text.push(byte),
            _ => {}
        }
    }
}

/// A transaction of the PBX's own: `ENQ`, the PMS's `ACK`, the frame, its `ACK`.
async fn unsolicited(stream: &mut TcpStream, state: &Mutex<State>, text: &str) -> bool {
    if stream.write_all(&[ENQ]).await.is_err() {
        return false;
    }
    unsolicited_after_enq(stream, state, text).await
}

/// The rest of it, after our `ENQ` went out (glare: in answer to the PMS's `ENQ`).
async fn unsolicited_after_enq(stream: &mut TcpStream, state: &Mutex<State>, text: &str) -> bool {
    if !matches!(
        tokio::time::timeout(ANSWER, stream.read_u8()).await,
        Ok(Ok(ACK))
    ) {
        return true;
    }
    let mut frame = vec![STX];
    frame.extend_from_slice(text.as_bytes());
    frame.push(ETX);
    if stream.write_all(&frame).await.is_err() {
        return false;
    }
    let _ = tokio::time::timeout(ANSWER, stream.read_u8()).await;
    lock(state).stats.unsolicited += 1;
    true
}

/// What a valid frame changes.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    CheckIn(String),
    CheckOut(String),
    Level(String, u8),
    Name(String, String),
    MessageWaiting(String, bool),
    DoNotDisturb(String, bool),
    /// A wake-up at `hhmm`, or (`None`) all of the room's cleared.
    Wakeup(String, Option<String>),
    Nothing,
}

/// Reads a frame's text as the PBX does; `None` for what it refuses.
fn decode(text: &[u8], width: usize, rooms: &BTreeMap<String, PmsRoom>) -> Option<Change> {
    if !text.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    if matches!(text, "AREYUTHERE" | "GRS" | "END") {
        return Some(Change::Nothing);
    }
    let room = |field: &str| -> Option<String> {
        // Blank-padded on one side only, digits, a room the PBX has.
        let trimmed = field.trim();
        let one_side = field.starts_with(trimmed) || field.ends_with(trimmed);
        (one_side
            && !trimmed.is_empty()
            && trimmed.bytes().all(|b| b.is_ascii_digit())
            && rooms.contains_key(trimmed))
        .then(|| trimmed.to_owned())
    };
    let function = text.get(0..3)?;
    if function == "WKP" {
        // `WKP` + `hhmm` (four blanks: clear the room's) + the extension.
        if text.len() != 7 + width {
            return None;
        }
        let time = text.get(3..7)?;
        let ext = room(text.get(7..)?)?;
        if time == "    " {
            return Some(Change::Wakeup(ext, None));
        }
        let (hours, minutes) = (
            time.get(..2)?.parse::<u8>().ok()?,
            time.get(2..)?.parse::<u8>().ok()?,
        );
        return (time.bytes().all(|b| b.is_ascii_digit()) && hours < 24 && minutes < 60)
            .then(|| Change::Wakeup(ext, Some(time.to_owned())));
    }
    let status = text.get(3..4)?.as_bytes()[0];
    if text.get(4..5)? != " " {
        return None;
    }
    if function == "NAM" {
        if text.len() != 5 + 21 + width || !status.is_ascii_digit() {
            return None;
        }
        let name = text.get(5..26)?.trim_end();
        return Some(Change::Name(room(text.get(26..)?)?, name.to_owned()));
    }
    if text.len() != 5 + width {
        return None;
    }
    let ext = room(text.get(5..)?)?;
    let digit = status.checked_sub(b'0').filter(|d| *d <= 9)?;
    match (function, digit) {
        ("CHK", 1) => Some(Change::CheckIn(ext)),
        ("CHK", 0) => Some(Change::CheckOut(ext)),
        ("RST", 0..=5) => Some(Change::Level(ext, digit)),
        ("MW ", 0 | 1) => Some(Change::MessageWaiting(ext, digit == 1)),
        ("DND", 0 | 1) => Some(Change::DoNotDisturb(ext, digit == 1)),
        _ => None,
    }
}

fn apply(state: &mut State, change: &Change) {
    match change {
        Change::CheckIn(ext) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                // Check-in resets the room's name and restriction (Hotel Options defaults).
                *room = PmsRoom {
                    occupied: true,
                    ..PmsRoom::default()
                };
            }
        }
        Change::CheckOut(ext) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                *room = PmsRoom::default();
            }
        }
        Change::Level(ext, level) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                room.level = Some(*level);
            }
        }
        Change::Name(ext, name) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                room.name.clone_from(name);
            }
        }
        Change::MessageWaiting(ext, on) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                room.message_waiting = *on;
            }
        }
        Change::DoNotDisturb(ext, on) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                room.do_not_disturb = *on;
            }
        }
        Change::Wakeup(ext, time) => {
            if let Some(room) = state.rooms.get_mut(ext) {
                match time {
                    None => room.wakeups.clear(),
                    Some(time) if !room.wakeups.contains(time) && room.wakeups.len() < 3 => {
                        room.wakeups.push(time.clone());
                        room.wakeups.sort();
                    }
                    Some(_) => {}
                }
            }
        }
        Change::Nothing => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pbx_reads_what_the_spec_says_and_refuses_the_rest() {
        let rooms: BTreeMap<String, PmsRoom> = [("100".to_owned(), PmsRoom::default())].into();
        assert_eq!(
            decode(b"CHK1   100", 5, &rooms),
            Some(Change::CheckIn("100".into()))
        );
        assert_eq!(
            decode(b"CHK1100   ", 5, &rooms),
            None,
            "no blank after the status"
        );
        assert_eq!(
            decode(b"CHK1 100  ", 5, &rooms),
            Some(Change::CheckIn("100".into()))
        );
        assert_eq!(
            decode(b"CHK1  100 ", 5, &rooms),
            None,
            "padded on both sides"
        );
        assert_eq!(decode(b"CHK3   100", 5, &rooms), None, "CHK3 is refused");
        assert_eq!(decode(b"CHK1   101", 5, &rooms), None, "an unknown room");
        assert_eq!(
            decode(b"CHK1  0100", 5, &rooms),
            None,
            "zero-padded is another room"
        );
        assert_eq!(decode(b"RST6   100", 5, &rooms), None);
        assert_eq!(
            decode(b"RST5   100", 5, &rooms),
            Some(Change::Level("100".into(), 5))
        );
        assert_eq!(decode(b"CHK1 100", 5, &rooms), None, "too short");
        assert_eq!(
            decode(
                b"NAM1 TEST,GUEST             101",
                5,
                &[("101".to_owned(), PmsRoom::default())].into()
            ),
            Some(Change::Name("101".into(), "TEST,GUEST".into()))
        );
        assert_eq!(
            decode("NAM1 M\u{fc}ller               100".as_bytes(), 5, &rooms),
            None,
            "not ASCII"
        );
        assert_eq!(
            decode(b"MW 1   100", 5, &rooms),
            Some(Change::MessageWaiting("100".into(), true))
        );
        assert_eq!(decode(b"AREYUTHERE", 5, &rooms), Some(Change::Nothing));
    }
}
