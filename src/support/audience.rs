//! Whether something costly to make for a listener is made: never, always, or while a listener
//! that shows it is connected. A service publishing every event made what went over the wire
//! (a second, masked copy of both envelopes, their monitor lines and JSON) and the monitor's
//! JSON lines for every request, whether or not anyone asked: about a third of its
//! instructions (issue 25). Now each is made while someone listens for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// See the module documentation. Clones share their listeners.
#[derive(Clone, Debug)]
pub(crate) enum Audience {
    /// Nobody shows it (`run` without `--raw`).
    Never,
    /// The one listener shows it (`run --raw`).
    Always,
    /// While at least one `Listening` lives (a service's `GET /v1/events?raw=true`).
    Watched(Arc<AtomicUsize>),
}

impl Audience {
    /// `Always` if `wanted`, else `Never`.
    pub(crate) fn of(wanted: bool) -> Self {
        if wanted { Self::Always } else { Self::Never }
    }

    /// Made while someone listens (`listen`); nobody does yet.
    pub(crate) fn watched() -> Self {
        Self::Watched(Arc::new(AtomicUsize::new(0)))
    }

    /// Whether what is made now is wanted.
    pub(crate) fn wanted(&self) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::Watched(listeners) => listeners.load(Ordering::Relaxed) > 0,
        }
    }

    /// A listener that shows it: made from now on until the listener is dropped (for
    /// `Watched`; the others do not change).
    pub(crate) fn listen(&self) -> Listening {
        match self {
            Self::Watched(listeners) => {
                listeners.fetch_add(1, Ordering::Relaxed);
                Listening(Some(Arc::clone(listeners)))
            }
            Self::Never | Self::Always => Listening(None),
        }
    }
}

/// One listener of `Audience::listen`; dropping it (the listener went away) stops the making
/// once no other listener is left.
#[derive(Debug)]
pub(crate) struct Listening(Option<Arc<AtomicUsize>>);

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(listeners) = &self.0 {
            listeners.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_audience_lasts_while_a_listener_does() {
        let audience = Audience::watched();
        assert!(!audience.wanted(), "nobody listens yet");
        let first = audience.listen();
        let second = audience.clone().listen();
        assert!(audience.wanted());
        drop(first);
        assert!(audience.wanted(), "one listener is left");
        drop(second);
        assert!(!audience.wanted(), "the last listener went away");
    }

    #[test]
    fn always_and_never_do_not_depend_on_listeners() {
        let never = Audience::of(false);
        let watching = never.listen();
        assert!(!never.wanted());
        let always = Audience::of(true);
        let watched = always.listen();
        drop(watched);
        drop(watching);
        assert!(always.wanted());
        assert!(!never.wanted());
    }
}
