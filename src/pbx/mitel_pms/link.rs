//! The PMS side of the link (spec §2): one TCP session to the PBX, one transaction at a time.
//!
//! A task owns the connection; `Link::send` hands it a frame and waits for the outcome. For
//! each frame: `ENQ` → the PBX's `ACK` within 3 s → `STX text ETX` → its `ACK` within 3 s. A
//! `NAK` to the frame: the frame alone again, up to 3 more times, then the PBX refused it. No
//! answer within 3 s: the transaction failed (the caller starts again with `ENQ`). Glare (the
//! PBX's `ENQ` while we wait for our `ACK`): the PBX goes first — we `ACK` and take its frame —
//! then we back off 6 s, unless the PBX's next `ENQ` comes first (we take that transaction
//! too), and restart ours with `ENQ`. Between transactions the task
//! answers the PBX: `ACK` to every `ENQ` and every valid frame, `NAK` to garbage; what the PBX
//! says (maid status, message waiting, a request to initialize) goes to `on_message`. An idle
//! link is kept alive with `AREYUTHERE`. A lost connection is made again on the next frame, and,
//! with keep-alives on, by itself (1 s, then longer, up to a minute).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};

use crate::engine::WireEvent;
use crate::pbx::mitel_pms::frame::{ACK, ENQ, ETX, NAK, Record, STX, visible};

/// The protocol's answer time: the PBX answers within 3 s; the PMS must wait at least that
/// long, so it waits a little longer (network time).
pub(crate) const ANSWER_TIME: Duration = Duration::from_millis(3500);
/// How long the PMS yields to the PBX after glare, at most.
pub(crate) const GLARE_BACKOFF: Duration = Duration::from_secs(6);
/// A frame after a `NAK` is sent again this many times.
pub(crate) const FRAME_RETRIES: u32 = 3;
/// The longest frame the PBX sends that we take (its records are 10 to 31 bytes).
const MAX_FRAME: usize = 256;

/// How a transaction failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// No connection could be made.
    Unreachable(String),
    /// The PBX did not answer in time, or the connection broke: start again with `ENQ`.
    Lost(String),
    /// The PBX answered `NAK` to `ENQ`: it is busy; try again later on the same connection.
    Busy(String),
    /// The PBX answered `NAK` to the frame every time: it refuses a field.
    Refused(String),
}

/// What went over the wire in one transaction, for `--raw` (no secrets: this wire has none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub(crate) sent: Vec<String>,
    pub(crate) received: Vec<String>,
    /// The connection was (re)made for it.
    pub(crate) connected: bool,
}

/// Something the PBX sent on its own (the frame's text).
pub(crate) type OnMessage = Arc<dyn Fn(&str) + Send + Sync>;

/// Where the wire reports what happens to its link and what the PBX says (the engine's
/// listeners, once one listens; the log until then).
pub(crate) type Say = Arc<std::sync::OnceLock<crate::engine::WireEvents>>;

/// Reports `event` to the listener, or to the log when none listens yet.
pub(crate) fn say(to: &Say, event: crate::engine::WireEvent) {
    use crate::engine::WireEvent;
    if let Some(events) = to.get()
        && events.send(event.clone()).is_ok()
    {
        return;
    }
    match event {
        WireEvent::LinkDown { text }
        | WireEvent::Note {
            text,
            problem: true,
        } => {
            tracing::warn!("{text}");
        }
        WireEvent::LinkUp { text }
        | WireEvent::Note { text, .. }
        | WireEvent::Reported { text, .. }
        | WireEvent::ResetRequested { text } => tracing::info!("{text}"),
        WireEvent::WakeupRang { room, at, ending } => {
            tracing::info!("room {room}: the wake-up call of {at} rang: {ending}");
        }
    }
}

struct Request {
    frame: Vec<u8>,
    reply: oneshot::Sender<Result<Exchange, LinkError>>,
}

/// The link to one PBX (clones share it).
#[derive(Clone)]
pub(crate) struct Link {
    requests: mpsc::Sender<Request>,
    address: String,
}

/// What a link does besides carrying frames.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) keepalive: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    /// A whole transaction of ours, glare and its back-offs included, at most (`timeout_secs`).
    pub(crate) transaction: Duration,
}

impl Link {
    /// Starts the task that owns the connection (connecting on the first frame).
    pub(crate) fn start(address: &str, settings: Settings, on_message: OnMessage, to: Say) -> Self {
        let (requests, receiver) = mpsc::channel(16);
        tokio::spawn(run(address.to_owned(), settings, receiver, on_message, to));
        Self {
            requests,
            address: address.to_owned(),
        }
    }

    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// Sends one frame (see the module documentation).
    pub(crate) async fn send(&self, frame: Vec<u8>) -> Result<Exchange, LinkError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { frame, reply })
            .await
            .map_err(|_| LinkError::Lost("the link has stopped".into()))?;
        answer
            .await
            .map_err(|_| LinkError::Lost("the link has stopped".into()))?
    }
}

/// One connection: reading buffered, writing direct.
struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Connection {
    async fn open(address: &str, timeout: Duration) -> Result<Self, LinkError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| {
                LinkError::Unreachable(format!(
                    "no connection to {address} within {} s",
                    timeout.as_secs()
                ))
            })?
            .map_err(|e| LinkError::Unreachable(format!("cannot connect to {address}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: BufReader::new(read),
            writer,
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.writer
            .write_all(bytes)
            .await
            .map_err(|e| LinkError::Lost(format!("the connection broke: {e}")))
    }

    /// Takes what the PBX sent that is waiting now, before a transaction of ours: a PBX's `ENQ`
    /// is its transaction (taken); any other byte is noise — an `ACK` in it must not pass for
    /// the answer to what we are about to send. How many noise bytes there were.
    async fn drain(
        &mut self,
        exchange: &mut Exchange,
        on_message: &OnMessage,
    ) -> Result<usize, LinkError> {
        let mut noise = 0;
        loop {
            // A zero timeout polls the read once: only what is already here.
            match tokio::time::timeout(Duration::ZERO, self.reader.read_u8()).await {
                Err(_) => return Ok(noise),
                Ok(Ok(ENQ)) => {
                    if let Some(text) = self.receive(exchange).await? {
                        on_message(&text);
                    }
                }
                Ok(Ok(_)) => noise += 1,
                Ok(Err(e)) => {
                    return Err(LinkError::Lost(format!(
                        "the PBX closed the connection ({e})"
                    )));
                }
            }
        }
    }

    /// The next byte before `deadline`; `Ok(None)` at the deadline.
    async fn byte_until(&mut self, deadline: Instant) -> Result<Option<u8>, LinkError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.reader.read_u8()).await {
            Err(_) => Ok(None),
            Ok(Ok(byte)) => Ok(Some(byte)),
            Ok(Err(e)) => Err(LinkError::Lost(format!(
                "the PBX closed the connection ({e})"
            ))),
        }
    }

    /// After the PBX's `ENQ` (already read): `ACK`, then its frame within 3 s, `ACK`ed if it is
    /// printable ASCII, `NAK`ed if not. Its text, if valid.
    async fn receive(&mut self, exchange: &mut Exchange) -> Result<Option<String>, LinkError> {
        self.write(&[ACK]).await?;
        exchange.received.push("<ENQ>".into());
        exchange.sent.push("<ACK>".into());
        let deadline = Instant::now() + ANSWER_TIME;
        // Up to STX (anything before it is noise).
        loop {
            match self.byte_until(deadline).await? {
                None => return Ok(None),
                Some(STX) => break,
                Some(_) => {}
            }
        }
        let mut text = Vec::new();
        loop {
            match self.byte_until(deadline).await? {
                None => return Ok(None),
                Some(ETX) => break,
                Some(byte) if text.len() < MAX_FRAME => text.push(byte),
                Some(_) => {}
            }
        }
        let printable = !text.is_empty() && text.iter().all(|b| (0x20..0x7f).contains(b));
        let mut framed = vec![STX];
        framed.extend_from_slice(&text);
        framed.push(ETX);
        exchange.received.push(visible(&framed));
        if printable && text.len() < MAX_FRAME {
            self.write(&[ACK]).await?;
            exchange.sent.push("<ACK>".into());
            Ok(Some(String::from_utf8_lossy(&text).into_owned()))
        } else {
            self.write(&[NAK]).await?;
            exchange.sent.push("<NAK>".into());
            Ok(None)
        }
    }
}

async fn run(
    address: String,
    settings: Settings,
    mut requests: mpsc::Receiver<Request>,
    on_message: OnMessage,
    to: Say,
) {
    let mut connection: Option<Connection> = None;
    let mut idle_since = Instant::now();
    // With keep-alives on, the link is held from the start (the PBX reports on its own only
    // over an open link); without, it is made for the first record.
    let mut ever_connected = settings.keepalive.is_some();
    // Whether it was up before: the first link is "connected", later ones "connected again".
    let mut was_up = false;
    let mut reconnect_pause = Duration::from_secs(1);
    loop {
        let Some(open) = connection.as_mut() else {
            // With keep-alives on, a link that was up is made again by itself (after 1 s,
            // then longer, up to a minute): a PBX that restarted asks to be initialized only
            // once it hears an ENQ.
            let request = if settings.keepalive.is_some() && ever_connected {
                tokio::select! {
                    request = requests.recv() => match request {
                        Some(request) => Some(request),
                        None => return,
                    },
                    () = tokio::time::sleep(reconnect_pause) => None,
                }
            } else {
                match requests.recv().await {
                    Some(request) => Some(request),
                    None => return,
                }
            };
            let opened = Connection::open(&address, settings.connect_timeout).await;
            match (request, opened) {
                (Some(request), Ok(opened)) => {
                    let again = if was_up { " again" } else { "" };
                    was_up = true;
                    say(
                        &to,
                        WireEvent::LinkUp {
                            text: format!("Mitel PMS link to {address} connected{again}"),
                        },
                    );
                    ever_connected = true;
                    reconnect_pause = Duration::from_secs(1);
                    connection = Some(opened);
                    let open = connection.as_mut().expect("just set");
                    let mut result =
                        transact(open, &request.frame, &on_message, settings.transaction).await;
                    if let Ok(exchange) = &mut result {
                        exchange.connected = true;
                    }
                    if matches!(result, Err(LinkError::Lost(_))) {
                        connection = None;
                    }
                    let _ = request.reply.send(result);
                }
                (Some(request), Err(error)) => {
                    let _ = request.reply.send(Err(error));
                }
                (None, Ok(opened)) => {
                    let again = if was_up { " again" } else { "" };
                    was_up = true;
                    say(
                        &to,
                        WireEvent::LinkUp {
                            text: format!("Mitel PMS link to {address} connected{again}"),
                        },
                    );
                    reconnect_pause = Duration::from_secs(1);
                    connection = Some(opened);
                    let open = connection.as_mut().expect("just set");
                    let frame = Record::AreYouThere.frame(5);
                    if transact(open, &frame, &on_message, settings.transaction)
                        .await
                        .is_err()
                    {
                        connection = None;
                    }
                }
                (None, Err(error)) => {
                    reconnect_pause = (reconnect_pause * 2).min(Duration::from_secs(60));
                    tracing::debug!("Mitel PMS link to {address} not made again: {error:?}");
                }
            }
            idle_since = Instant::now();
            continue;
        };
        let keepalive = settings
            .keepalive
            .map_or(Duration::from_secs(3600 * 24), |k| {
                k.saturating_sub(idle_since.elapsed())
            });
        tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { return };
                let result = transact(open, &request.frame, &on_message, settings.transaction).await;
                if matches!(result, Err(LinkError::Lost(_))) {
                    say(&to, WireEvent::LinkDown { text: format!("Mitel PMS link to {address} lost; it is made again for the next frame") });
                    connection = None;
                }
                let _ = request.reply.send(result);
                idle_since = Instant::now();
            }
            byte = open.reader.read_u8() => match byte {
                Ok(ENQ) => {
                    let mut exchange = Exchange::default();
                    match open.receive(&mut exchange).await {
                        Ok(Some(text)) => on_message(&text),
                        Ok(None) => tracing::warn!("the PBX began a transaction and sent no valid frame: {}", exchange.received.join(" ")),
                        Err(_) => connection = None,
                    }
                }
                Ok(other) => tracing::debug!("ignored a stray byte {other:#04x} from the PBX"),
                Err(_) => {
                    say(&to, WireEvent::LinkDown { text: format!("the PBX at {address} closed the Mitel PMS link; it is made again for the next frame") });
                    connection = None;
                }
            },
            () = tokio::time::sleep(keepalive), if settings.keepalive.is_some() => {
                let frame = Record::AreYouThere.frame(5);
                if let Err(error) = transact(open, &frame, &on_message, settings.transaction).await {
                    tracing::warn!("the PBX did not answer \"are you there\": {error:?}");
                    connection = None;
                }
                idle_since = Instant::now();
            }
        }
    }
}

/// One transaction of ours (see the module documentation).
async fn transact(
    connection: &mut Connection,
    frame: &[u8],
    on_message: &OnMessage,
    limit: Duration,
) -> Result<Exchange, LinkError> {
    let mut exchange = Exchange::default();
    let mut glare_until: Option<Instant> = None;
    let mut noise = 0;
    let mut glared = false;
    // The whole transaction, glare back-offs included, ends by then: a PBX that answers every
    // ENQ with its own holds no frame of ours for longer than `timeout_secs`.
    let overall = Instant::now() + limit;
    let busy = || {
        LinkError::Lost(format!(
            "the PBX kept the link busy with its own transactions (glare) for {} s, the PBX's `timeout_secs`; nothing of ours was sent",
            limit.as_secs()
        ))
    };
    // ENQ until the PBX grants it.
    'enquire: loop {
        if let Some(until) = glare_until.take() {
            // Yielded to the PBX: wait for its ENQ until the back-off ends.
            loop {
                if Instant::now() >= overall {
                    return Err(busy());
                }
                match connection.byte_until(until.min(overall)).await? {
                    None => break,
                    Some(ENQ) => {
                        if let Some(text) = connection.receive(&mut exchange).await? {
                            on_message(&text);
                        }
                        break;
                    }
                    Some(_) => {}
                }
            }
        }
        if Instant::now() >= overall {
            return Err(busy());
        }
        noise += connection.drain(&mut exchange, on_message).await?;
        connection.write(&[ENQ]).await?;
        exchange.sent.push("<ENQ>".into());
        let deadline = (Instant::now() + ANSWER_TIME).min(overall);
        loop {
            match connection.byte_until(deadline).await? {
                None if glared && Instant::now() >= overall => return Err(busy()),
                None => {
                    return Err(LinkError::Lost(format!(
                        "no answer to ENQ within {} s",
                        ANSWER_TIME.as_secs()
                    )));
                }
                Some(ACK) => {
                    exchange.received.push("<ACK>".into());
                    break 'enquire;
                }
                Some(NAK) => {
                    exchange.received.push("<NAK>".into());
                    return Err(LinkError::Busy(
                        "the PBX answered NAK to ENQ: it is busy (or `server` is not the PBX's PMS link)"
                            .into(),
                    ));
                }
                Some(ENQ) => {
                    // Glare: the PBX goes first; then we back off (6 s) unless its next ENQ
                    // comes first.
                    if let Some(text) = connection.receive(&mut exchange).await? {
                        on_message(&text);
                    }
                    glare_until = Some(Instant::now() + GLARE_BACKOFF);
                    glared = true;
                    continue 'enquire;
                }
                Some(_) => noise += 1,
            }
        }
    }
    let shown = visible(frame);
    for sending in 0..=FRAME_RETRIES {
        // An ACK that came before our ETX answers nothing we sent.
        noise += connection.drain(&mut exchange, on_message).await?;
        connection.write(frame).await?;
        exchange.sent.push(shown.clone());
        let deadline = (Instant::now() + ANSWER_TIME).min(overall);
        loop {
            match connection.byte_until(deadline).await? {
                None => {
                    return Err(LinkError::Lost(format!(
                        "no answer to {shown} within {} s",
                        ANSWER_TIME.as_secs()
                    )));
                }
                Some(ACK) => {
                    exchange.received.push("<ACK>".into());
                    if noise > 0 {
                        tracing::warn!(
                            "{noise} stray byte(s) from the PBX around {shown} were not taken as an answer (noise on the line?)"
                        );
                    }
                    return Ok(exchange);
                }
                Some(NAK) => {
                    exchange.received.push("<NAK>".into());
                    break;
                }
                Some(_) => noise += 1,
            }
        }
        if sending == FRAME_RETRIES {
            break;
        }
    }
    Err(LinkError::Refused(format!(
        "the PBX refused {shown} ({} NAKs): a field is not accepted (an unknown room, a level or name it does not take); its PMS log says which",
        FRAME_RETRIES + 1
    )))
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpListener;

    use super::*;

    /// What `receive` must make of `bytes` followed by the end of the PBX's sending: the first
    /// frame's text if it is printable ASCII and short, `None` if not, an error without a whole
    /// frame.
    fn expected(bytes: &[u8]) -> Result<Option<String>, ()> {
        let start = bytes.iter().position(|&b| b == STX).ok_or(())?;
        let rest = &bytes[start + 1..];
        let end = rest.iter().position(|&b| b == ETX).ok_or(())?;
        let text = &rest[..end.min(MAX_FRAME)];
        let printable = !text.is_empty() && text.iter().all(|b| (0x20..0x7f).contains(b));
        Ok((printable && end < MAX_FRAME).then(|| String::from_utf8_lossy(text).into_owned()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 48, ..proptest::test_runner::Config::default() })]
        /// Whatever the PBX sends after its `ENQ`: the frame reader takes exactly the first frame,
        /// and only printable ASCII of the protocol's length; noise and broken frames never
        /// panic, and a connection that closes ends it.
        #[test]
        fn the_frame_reader_takes_only_a_whole_printable_frame(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(STX),
                    proptest::strategy::Just(ETX),
                    proptest::strategy::Just(ACK),
                    0x20u8..0x7f,
                    proptest::num::u8::ANY
                ],
                0..400
            ),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let got = runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let address = listener.local_addr().unwrap().to_string();
                let mut connection = Connection::open(&address, Duration::from_secs(2)).await.unwrap();
                let (pbx, _) = listener.accept().await.unwrap();
                // The PBX sends, then closes its side; it still takes our ACK or NAK.
                let (_hears, mut says) = pbx.into_split();
                says.write_all(&bytes).await.unwrap();
                says.shutdown().await.unwrap();
                connection.receive(&mut Exchange::default()).await
            });
            proptest::prop_assert_eq!(got.map_err(|_| ()), expected(&bytes));
        }
    }
}
