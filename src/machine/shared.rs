//! The core's vocabulary: the time, the identifiers, the states, the events and outputs, the
//! errors and the counters that the machine, its parts and its driver all speak.
//!
//! A leaf: it imports nothing from the rest of the core, so every other module can import from it
//! without reaching back into the parent that holds the [`Machine`](super::Machine). The parent
//! re-exports all of it, so users name these types `resilient_websocket::machine::X`.

use alloc::string::String;

/// Milliseconds on the driver's monotonic clock (`performance.now()` in the browser).
pub type Millis = u64;

/// Identifies one underlying socket. Increases by one for every connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u32);

/// Identifies one message handed to [`Machine::send`](super::Machine::send). Increases by one for
/// every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(pub u64);

/// The WHATWG `readyState`, as the user sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyState {
    /// From construction until the first open, and again during every reconnect cycle.
    Connecting = 0,
    /// A socket is open.
    Open = 1,
    /// The user called `close()` and the closing handshake has not finished.
    Closing = 2,
    /// Terminal: nothing more happens until `reconnect()`.
    Closed = 3,
}

/// The finer-grained state exposed as `connectionState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// The first connection attempt is in progress.
    Connecting,
    /// A socket is open.
    Open,
    /// Waiting for the next attempt, or an attempt after the first is in progress.
    Reconnecting,
    /// The browser reports no network; retries are suspended.
    Offline,
    /// The user called `close()`.
    Closing,
    /// Terminal.
    Closed,
}

impl ConnectionState {
    /// The `readyState` that corresponds to this state.
    pub fn ready_state(self) -> ReadyState {
        match self {
            ConnectionState::Connecting
            | ConnectionState::Reconnecting
            | ConnectionState::Offline => ReadyState::Connecting,
            ConnectionState::Open => ReadyState::Open,
            ConnectionState::Closing => ReadyState::Closing,
            ConnectionState::Closed => ReadyState::Closed,
        }
    }

    /// The name used in the JS API (`'connecting'`, `'open'`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Open => "open",
            ConnectionState::Reconnecting => "reconnecting",
            ConnectionState::Offline => "offline",
            ConnectionState::Closing => "closing",
            ConnectionState::Closed => "closed",
        }
    }
}

/// Why a queued message was dropped instead of sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The user closed the connection while the message was queued.
    Closed,
    /// The queue was full (`overflow: 'drop-oldest'` or `'drop-newest'`).
    Overflow,
    /// The message was older than `buffer.ttl` when it was due for replay.
    Expired,
    /// The `buffer.replay` filter rejected it.
    Filtered,
    /// The connection gave up (`maxRetries` reached or a terminal close code).
    GaveUp,
    /// Acknowledged delivery: the message was sent but the session ended (the user's `close()`,
    /// a give-up, or the server no longer knowing the session) before the server acknowledged
    /// it. It may or may not have arrived. (The `acked` feature.)
    #[cfg(feature = "acked")]
    Unconfirmed,
}

impl DropReason {
    /// The name used in the JS `drop` event.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Closed => "closed",
            DropReason::Overflow => "overflow",
            DropReason::Expired => "expired",
            DropReason::Filtered => "filtered",
            DropReason::GaveUp => "giveup",
            #[cfg(feature = "acked")]
            DropReason::Unconfirmed => "unconfirmed",
        }
    }
}

/// Something the user should be told, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A socket opened. The driver reads `protocol`/`extensions` from the socket of `gen`.
    Open {
        /// The socket that opened.
        gen: Generation,
    },
    /// A data message arrived on the live socket; the driver dispatches the payload it holds.
    Message,
    /// An underlying socket failed (fired before its `Close`).
    Error,
    /// An underlying socket closed (or was abandoned by the core). `readyState` after the batch
    /// tells whether a reconnect follows (`CONNECTING`) or not (`CLOSED`).
    Close {
        /// The close code (1006 when the connection was lost without a close frame).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
    /// `connectionState` changed.
    StateChange {
        /// The previous state.
        from: ConnectionState,
        /// The new state.
        to: ConnectionState,
    },
    /// An automatic attempt was scheduled (after a loss, on `online`, on pageshow/resume). Not
    /// emitted for the first connection nor for the user's `reconnect()`.
    Reconnecting {
        /// 1 for the first retry after a reset, counting up while attempts fail.
        attempt: u32,
        /// Milliseconds until the attempt starts.
        delay: Millis,
    },
    /// Retries are exhausted or the close code is terminal; the connection is closed for good.
    GiveUp,
    /// A message left the queue without being sent.
    Drop {
        /// The message.
        id: MsgId,
        /// Why.
        reason: DropReason,
    },
    /// A heartbeat round trip completed.
    Heartbeat {
        /// Milliseconds from the ping to the first inbound traffic after it.
        rtt: Millis,
    },
    /// Acknowledged delivery: the server started a new session instead of resuming ours (it
    /// restarted without keeping sessions, or the session expired). Messages it had sent and not
    /// yet delivered are lost; ours that it had not acknowledged were dropped just before, as
    /// [`DropReason::Unconfirmed`]. Delivery goes on in the new session. (The `acked` feature.)
    #[cfg(feature = "acked")]
    SessionLost {
        /// How many of our messages were unconfirmed.
        unconfirmed: u32,
    },
}

/// A side effect the driver must perform, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Open a new socket tagged `gen` (after calling any URL/protocol provider).
    Connect {
        /// The tag for the new socket.
        gen: Generation,
    },
    /// Send the payload of `id` on the socket `gen`, and forget it.
    Transmit {
        /// The socket to send on.
        gen: Generation,
        /// The message.
        id: MsgId,
    },
    /// Acknowledged delivery: send the payload of `id` on `gen` in a data envelope numbered
    /// `seq` carrying `ack`, and keep the payload: it is resent after a reconnect until
    /// [`Output::Release`] (or [`Event::Drop`]) says it can go.
    #[cfg(feature = "acked")]
    TransmitAcked {
        /// The socket to send on.
        gen: Generation,
        /// The message.
        id: MsgId,
        /// Its sequence number.
        seq: u64,
        /// The cumulative ack to piggyback.
        ack: u64,
    },
    /// Acknowledged delivery: the server acknowledged `id`; forget its payload.
    #[cfg(feature = "acked")]
    Release {
        /// The message.
        id: MsgId,
    },
    /// Acknowledged delivery: the socket `gen` opened; send the hello of session number
    /// `session` (the driver makes a new random id and key whenever this number changes)
    /// carrying `ack`. The `open` event waits for the server's welcome.
    #[cfg(feature = "acked")]
    SendHello {
        /// The socket to send on.
        gen: Generation,
        /// Which session; starts at 1 and grows after every terminal close.
        session: u32,
        /// The epoch of the last welcome, 0 before the first.
        epoch: u64,
        /// The last server sequence number received.
        ack: u64,
    },
    /// Acknowledged delivery: send a standalone ack frame.
    #[cfg(feature = "acked")]
    SendAck {
        /// The socket to send on.
        gen: Generation,
        /// The cumulative ack.
        ack: u64,
    },
    /// Acknowledged delivery: answer the server's protocol ping.
    #[cfg(feature = "acked")]
    SendPong {
        /// The socket to send on.
        gen: Generation,
    },
    /// Send the heartbeat message on the socket `gen` (the protocol's ping in acked mode).
    SendHeartbeat {
        /// The socket to send on.
        gen: Generation,
    },
    /// Close the socket `gen` with `ws.close(code, reason)`.
    CloseSocket {
        /// The socket to close.
        gen: Generation,
        /// The close code: always 1000 or 3000–4999, which `WebSocket.close()` accepts.
        code: u16,
        /// The close reason (at most 123 UTF-8 bytes).
        reason: String,
        /// `true`: the core has already told the user about this close; drop the socket's
        /// handlers now (its events would be ignored anyway). `false` (only after the user's
        /// `close()`): keep listening, the core waits for this socket's `close` event.
        detach: bool,
    },
    /// The socket `gen` opened and its `open` event was emitted just before. Once the `open`
    /// handlers ran, call [`Machine::replay`](super::Machine::replay) (or first
    /// [`Machine::replay_candidates`](super::Machine::replay_candidates) when the user has a
    /// replay filter). Only emitted when messages are queued.
    Replay {
        /// The socket that opened.
        gen: Generation,
    },
    /// Dispatch an event to the user.
    Emit(Event),
}

/// Why [`Machine::send`](super::Machine::send) refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection is terminally closed (`InvalidStateError`).
    InvalidState,
    /// The queue is full and `overflow` is `'throw'` (`QuotaExceededError`).
    QuotaExceeded,
}

/// Why [`Machine::close`](super::Machine::close) refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// The code is neither 1000 nor in 3000–4999 (`InvalidAccessError`).
    InvalidCode,
    /// The reason is longer than 123 UTF-8 bytes (`SyntaxError`).
    ReasonTooLong,
}

/// The counters exposed as `stats`, from [`Machine::stats`](super::Machine::stats).
///
/// With the crate feature `serde`, `Serialize` and `Deserialize` under the names of the JS `stats`
/// object (`downtimeMs`, `lastRtt`, `queuedBytes`, …; `lastRtt` is `null` before the first round
/// trip).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Stats {
    /// Connection attempts started.
    pub attempts: u32,
    /// Successful opens after the first.
    pub reconnects: u32,
    /// Milliseconds spent waiting for or attempting a connection after the first open (the time
    /// after the user's `close()` or a give-up does not count), up to `now`.
    pub downtime_ms: Millis,
    /// The last heartbeat round trip.
    pub last_rtt: Option<Millis>,
    /// Messages in the queue.
    pub queued: u32,
    /// Bytes in the queue.
    pub queued_bytes: u64,
    /// Messages dropped.
    pub dropped: u32,
    /// Messages sent from the queue after an open.
    pub replayed: u32,
    /// Acknowledged delivery: messages sent and not yet acknowledged.
    #[cfg(feature = "acked")]
    pub unacked: u32,
    /// Acknowledged delivery: their bytes.
    #[cfg(feature = "acked")]
    pub unacked_bytes: u64,
    /// Acknowledged delivery: messages sent again after a reconnect because the server lacked
    /// them.
    #[cfg(feature = "acked")]
    pub resent: u32,
}
