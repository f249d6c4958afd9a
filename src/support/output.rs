//! Printing to standard output and standard error without ever panicking.
//!
//! `println!` panics when stdout is a closed pipe (`hotelcare queue list | head -1`). Everything
//! hotelcare prints goes through these macros instead: a closed or failing stream is noted and
//! then left alone (as ripgrep does), so the command finishes its real work (journal, PBX, log)
//! and exits with its usual code. The crate's lints forbid `println!` and friends elsewhere.

use std::fmt::Arguments;
use std::io::{self, IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Monitor lines for a stdout that is not a terminal, held until the runtime waits for
/// something (`flush_held`, from the runtime's park hook), until other output, or until 8 KiB
/// wait: one `write` a burst instead of one a line (issue 25: a check-out printed five lines,
/// each a system call). Whoever reads the pipe or the file sees a burst's lines once the burst
/// is over, a few milliseconds later at most.
static HELD: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Whether `HELD` may hold anything (cheap to ask on every park).
static HOLDING: AtomicBool = AtomicBool::new(false);
const HOLD_AT_MOST: usize = 8 * 1024;

/// A monitor line on stdout: held while stdout is not a terminal (see `HELD`), printed at once
/// on a terminal.
pub(crate) fn monitor_line(line: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if !stdout_is_terminal() {
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        held.extend_from_slice(line.as_bytes());
        held.push(b'\n');
        HOLDING.store(true, Ordering::Release);
        if held.len() < HOLD_AT_MOST {
            return;
        }
        drop(held);
        flush_held();
        return;
    }
    write(Stream::Stdout, format_args!("{line}"), true);
}

fn stdout_is_terminal() -> bool {
    static TERMINAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TERMINAL.get_or_init(|| io::stdout().is_terminal())
}

/// Prints the monitor lines held back (see `HELD`).
pub(crate) fn flush_held() {
    if !HOLDING.load(Ordering::Acquire) {
        return;
    }
    // Taken and written under stdout's lock (always before `HELD`'s): two threads that flush
    // at once cannot write their parts out of order.
    let mut out = io::stdout().lock();
    if !HOLDING.swap(false, Ordering::Acquire) {
        return;
    }
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(PoisonError::into_inner));
    if held.is_empty() || STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if out.write_all(&held).and_then(|()| out.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Which stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Writes to `stream` unless it was found closed before; a failed write closes it for good.
pub(crate) fn write(stream: Stream, arguments: Arguments<'_>, newline: bool) {
    let closed = match stream {
        Stream::Stdout => &STDOUT_CLOSED,
        Stream::Stderr => &STDERR_CLOSED,
    };
    if closed.load(Ordering::Relaxed) {
        return;
    }
    // What was held comes first, on either stream: `2>&1` keeps the order of the lines.
    flush_held();
    let result = match stream {
        Stream::Stdout => emit(&mut io::stdout().lock(), arguments, newline),
        Stream::Stderr => emit(&mut io::stderr().lock(), arguments, newline),
    };
    if result.is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

fn emit(out: &mut impl Write, arguments: Arguments<'_>, newline: bool) -> io::Result<()> {
    out.write_fmt(arguments)?;
    if newline {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `println!` that never panics.
macro_rules! outln {
    () => { $crate::support::output::write($crate::support::output::Stream::Stdout, format_args!(""), true) };
    ($($arg:tt)*) => { $crate::support::output::write($crate::support::output::Stream::Stdout, format_args!($($arg)*), true) };
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => { $crate::support::output::write($crate::support::output::Stream::Stdout, format_args!($($arg)*), false) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::support::output::write($crate::support::output::Stream::Stderr, format_args!($($arg)*), true) };
}

pub(crate) use {errln, out, outln};
