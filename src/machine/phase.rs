//! Where the connection is: the machine's one state enum, and the questions the machine asks of
//! it, named (tungstenite's `can_read()` style) so that each call site says what it asks.

use super::heartbeat::Liveness;
use super::shared::{Generation, Millis};

/// Where the connection is. Exactly one variant holds a socket at a time, which is what makes
/// "never two live sockets" hold by construction.
#[derive(Clone, Debug)]
pub(crate) enum Phase {
    /// No socket. `retry_at`: when the next attempt starts; `None` while offline or suspended by
    /// the page lifecycle.
    Waiting { retry_at: Option<Millis> },
    /// The socket `gen` is handshaking and is abandoned at `deadline`. `greeting`: acknowledged
    /// delivery only, the socket is open and the hello sent; the welcome is awaited.
    Connecting {
        gen: Generation,
        deadline: Millis,
        greeting: bool,
    },
    /// The socket `gen` is open. `writable` turns false when the browser has started a closing
    /// handshake the server began: the socket then discards data without an error, so sends
    /// queue until the next connection.
    Open {
        gen: Generation,
        opened_at: Millis,
        liveness: Liveness,
        writable: bool,
    },
    /// The user closed the socket `gen`; its close event is awaited until `deadline`.
    Closing {
        gen: Generation,
        code: u16,
        deadline: Millis,
    },
    /// Terminal until [`Machine::reconnect`](super::Machine::reconnect).
    Closed,
}

impl Phase {
    /// The socket the machine holds, if any: the only one whose events count.
    pub(crate) fn live_gen(&self) -> Option<Generation> {
        match *self {
            Phase::Connecting { gen, .. }
            | Phase::Open { gen, .. }
            | Phase::Closing { gen, .. } => Some(gen),
            Phase::Waiting { .. } | Phase::Closed => None,
        }
    }

    /// The socket that data handed over now goes out on: open and still writable (a socket whose
    /// server began the closing handshake discards data silently, so it must not get any).
    pub(crate) fn writable_gen(&self) -> Option<Generation> {
        match *self {
            Phase::Open {
                gen,
                writable: true,
                ..
            } => Some(gen),
            _ => None,
        }
    }

    /// Whether `gen` is open with no ping awaiting its answer: a message on it then only counts as
    /// traffic, with no heartbeat round trip for it to complete.
    pub(crate) fn is_open_without_ping(&self, gen: Generation) -> bool {
        match self {
            Phase::Open {
                gen: g, liveness, ..
            } => *g == gen && liveness.pong_deadline().is_none(),
            _ => false,
        }
    }

    /// Closing or Closed: the user's `close()` or a give-up ended the connection, and only
    /// `reconnect()` starts it again, so sends are refused and the environment's events do nothing.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Phase::Closing { .. } | Phase::Closed)
    }

    /// Closed, with no closing handshake left to wait for: the session is over, and the next
    /// `reconnect()` is a first connection again.
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self, Phase::Closed)
    }

    /// No socket at all: an attempt can start at once, with nothing to close first.
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self, Phase::Waiting { .. })
    }

    /// Waiting for an attempt or handshaking: a connection is wanted and none is usable, which
    /// `stats.downtimeMs` counts once the connection has been open before.
    pub(crate) fn is_down(&self) -> bool {
        matches!(self, Phase::Waiting { .. } | Phase::Connecting { .. })
    }
}
