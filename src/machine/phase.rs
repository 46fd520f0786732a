//! Where the connection is: the machine's one state enum.

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
}
