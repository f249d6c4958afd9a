//! Printing to standard output and standard error without ever panicking.
//!
//! `println!` panics when stdout is a closed pipe (`hotelcare queue list | head -1`). Everything
//! hotelcare prints goes through these macros instead: a closed or failing stream is noted and
//! then left alone (as ripgrep does), so the command finishes its real work (journal, PBX, log)
//! and exits with its usual code. The crate's lints forbid `println!` and friends elsewhere.

use std::fmt::Arguments;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

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
