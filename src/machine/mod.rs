//! The core: a pure, sans-IO state machine for one resilient WebSocket connection.
//!
//! Nothing in this module touches the browser, a clock or a random source. The driver feeds it
//! events through the `handle_*` methods (each takes `now`, milliseconds on a monotonic clock),
//! the user's calls through [`Machine::send`], [`Machine::close`] and [`Machine::reconnect`], and
//! after **every** call drains [`Machine::poll_output`] completely and re-arms its one timer at
//! [`Machine::poll_timeout`].
//!
//! Payloads never enter the core: a message is known by its [`MsgId`] and its size in bytes. The
//! driver keeps the payload beside the id until the core says what to do with it
//! ([`Output::Transmit`] or [`Event::Drop`]); every id leaves by exactly one of those two.
//!
//! Every underlying socket carries a [`Generation`]. Inputs and outputs name the generation they
//! concern; inputs for a generation other than the live one are ignored, so a late event from a
//! replaced socket cannot corrupt the state.

use std::collections::VecDeque;

/// Milliseconds on the driver's monotonic clock (`performance.now()` in the browser).
pub type Millis = u64;

/// Identifies one underlying socket. Increases by one for every connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u32);

/// Identifies one message handed to [`Machine::send`]. Increases by one for every message.
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
    /// An underlying socket closed (or was abandoned by the core).
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
    /// A reconnect attempt was scheduled.
    Reconnecting {
        /// 1 for the first retry after a loss, counting up while attempts fail.
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
    /// Send the heartbeat message on the socket `gen`.
    SendHeartbeat {
        /// The socket to send on.
        gen: Generation,
    },
    /// Close the socket `gen` with this code and reason, and detach from it.
    CloseSocket {
        /// The socket to close.
        gen: Generation,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Dispatch an event to the user.
    Emit(Event),
}

/// Why [`Machine::send`] refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection is terminally closed (`InvalidStateError`).
    InvalidState,
    /// The queue is full and `overflow` is `'throw'` (`QuotaExceededError`).
    QuotaExceeded,
}

/// Why [`Machine::close`] refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// The code is neither 1000 nor in 3000–4999 (`InvalidAccessError`).
    InvalidCode,
    /// The reason is longer than 123 UTF-8 bytes (`SyntaxError`).
    ReasonTooLong,
}

/// The counters exposed as `stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connection attempts started.
    pub attempts: u32,
    /// Successful opens after the first.
    pub reconnects: u32,
    /// Milliseconds spent not open after the first open.
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
}

/// Options that shape the machine. Validated before use by [`Config::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Fixed delay between attempts, in milliseconds.
    pub reconnect_delay: Millis,
    /// Do not connect until [`Machine::reconnect`] is called.
    pub start_closed: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            reconnect_delay: 1000,
            start_closed: false,
        }
    }
}

impl Config {
    /// Checks every option's range.
    pub fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A message waiting in the outbound queue.
#[derive(Clone, Copy, Debug)]
struct Queued {
    id: MsgId,
    bytes: u64,
}

/// The connection state machine. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    state: ConnectionState,
    gen: Generation,
    /// The socket of `gen` exists (an attempt or an open connection).
    socket_live: bool,
    next_attempt_at: Option<Millis>,
    outbox: VecDeque<Queued>,
    next_id: u64,
    outputs: VecDeque<Output>,
    stats: Stats,
}

impl Machine {
    /// Creates a machine; unless `start_closed`, the first [`Output::Connect`] is ready at once.
    pub fn new(config: Config, _seed: u64, _now: Millis) -> Machine {
        let start_closed = config.start_closed;
        let mut machine = Machine {
            config,
            state: ConnectionState::Connecting,
            gen: Generation(0),
            socket_live: false,
            next_attempt_at: None,
            outbox: VecDeque::new(),
            next_id: 0,
            outputs: VecDeque::new(),
            stats: Stats::default(),
        };
        if start_closed {
            machine.state = ConnectionState::Closed;
        } else {
            machine.connect();
        }
        machine
    }

    /// The next side effect to perform, or `None` when drained.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Machine::handle_timeout`] should be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.next_attempt_at
    }

    /// The user-visible `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.state.ready_state()
    }

    /// The user-visible `connectionState`.
    pub fn connection_state(&self) -> ConnectionState {
        self.state
    }

    /// Bytes waiting in the outbound queue (the socket's own `bufferedAmount` is added by the driver).
    pub fn queued_bytes(&self) -> u64 {
        self.outbox.iter().map(|q| q.bytes).sum()
    }

    /// The counters of `stats`.
    pub fn stats(&self) -> Stats {
        Stats {
            queued: self.outbox.len() as u32,
            queued_bytes: self.queued_bytes(),
            ..self.stats
        }
    }

    /// The socket `gen` opened.
    pub fn handle_open(&mut self, _now: Millis, gen: Generation) {
        if !self.is_live(gen) || self.state == ConnectionState::Closing {
            return;
        }
        if self.stats.attempts > 1 {
            self.stats.reconnects += 1;
        }
        self.set_state(ConnectionState::Open);
        self.emit(Event::Open { gen });
        while let Some(queued) = self.outbox.pop_front() {
            self.stats.replayed += 1;
            self.outputs.push_back(Output::Transmit { gen, id: queued.id });
        }
    }

    /// A message arrived on the socket `gen`; `is_pong` when it matched the heartbeat pong.
    pub fn handle_message(&mut self, _now: Millis, gen: Generation, is_pong: bool) {
        if self.is_live(gen) && self.state == ConnectionState::Open && !is_pong {
            self.emit(Event::Message);
        }
    }

    /// The socket `gen` reported an error.
    pub fn handle_error(&mut self, _now: Millis, gen: Generation) {
        if self.is_live(gen) {
            self.emit(Event::Error);
        }
    }

    /// The socket `gen` closed.
    pub fn handle_close(
        &mut self,
        now: Millis,
        gen: Generation,
        code: u16,
        reason: &str,
        was_clean: bool,
    ) {
        if !self.is_live(gen) {
            return;
        }
        self.socket_live = false;
        let terminal = self.state == ConnectionState::Closing;
        if terminal {
            self.set_state(ConnectionState::Closed);
        } else {
            self.set_state(ConnectionState::Reconnecting);
            let delay = self.config.reconnect_delay;
            self.next_attempt_at = Some(now + delay);
            self.emit(Event::Reconnecting { attempt: 1, delay });
        }
        self.emit(Event::Close {
            code,
            reason: reason.to_owned(),
            was_clean,
        });
    }

    /// The driver's timer fired at `now`. Nothing happens unless a deadline has passed.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.next_attempt_at.is_some_and(|at| at <= now) {
            self.next_attempt_at = None;
            self.connect();
        }
    }

    /// The user's `send()` of a message of `bytes` bytes. On success the driver stores the payload
    /// under the returned id before draining the outputs.
    pub fn send(&mut self, _now: Millis, bytes: u64) -> Result<MsgId, SendError> {
        if self.state.ready_state() != ReadyState::Connecting && self.state != ConnectionState::Open
        {
            return Err(SendError::InvalidState);
        }
        let id = MsgId(self.next_id);
        self.next_id += 1;
        if self.state == ConnectionState::Open {
            self.outputs.push_back(Output::Transmit { gen: self.gen, id });
        } else {
            self.outbox.push_back(Queued { id, bytes });
        }
        Ok(id)
    }

    /// The user's `close(code, reason)`: terminal.
    pub fn close(
        &mut self,
        _now: Millis,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), CloseError> {
        if let Some(code) = code {
            if code != 1000 && !(3000..=4999).contains(&code) {
                return Err(CloseError::InvalidCode);
            }
        }
        let reason = reason.unwrap_or("");
        if reason.len() > 123 {
            return Err(CloseError::ReasonTooLong);
        }
        if matches!(
            self.state,
            ConnectionState::Closing | ConnectionState::Closed
        ) {
            return Ok(());
        }
        while let Some(queued) = self.outbox.pop_front() {
            self.stats.dropped += 1;
            self.emit(Event::Drop {
                id: queued.id,
                reason: DropReason::Closed,
            });
        }
        self.next_attempt_at = None;
        if self.socket_live {
            self.set_state(ConnectionState::Closing);
            self.outputs.push_back(Output::CloseSocket {
                gen: self.gen,
                code: code.unwrap_or(1000),
                reason: reason.to_owned(),
            });
        } else {
            self.set_state(ConnectionState::Closed);
        }
        Ok(())
    }

    /// The user's `reconnect()`: drop the current socket, if any, and connect now.
    pub fn reconnect(&mut self, _now: Millis) {
        if self.socket_live {
            self.outputs.push_back(Output::CloseSocket {
                gen: self.gen,
                code: 1000,
                reason: String::new(),
            });
        }
        self.next_attempt_at = None;
        self.connect();
    }

    fn is_live(&self, gen: Generation) -> bool {
        self.socket_live && gen == self.gen
    }

    fn connect(&mut self) {
        self.gen = Generation(self.gen.0 + 1);
        self.socket_live = true;
        self.stats.attempts += 1;
        let to = if self.stats.attempts == 1 {
            ConnectionState::Connecting
        } else {
            ConnectionState::Reconnecting
        };
        self.set_state(to);
        self.outputs.push_back(Output::Connect { gen: self.gen });
    }

    fn set_state(&mut self, to: ConnectionState) {
        let from = self.state;
        if from != to {
            self.state = to;
            self.emit(Event::StateChange { from, to });
        }
    }

    fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Emit(event));
    }
}
