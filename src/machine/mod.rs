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
//!
//! # Driving it
//!
//! ```
//! use resilient_websocket::machine::{Config, Event, Machine, Output};
//!
//! let mut machine = Machine::new(Config::default(), 42, 0);
//! while let Some(output) = machine.poll_output() {
//!     match output {
//!         Output::Connect { gen } => { /* open a browser WebSocket tagged `gen` */ }
//!         Output::Transmit { gen, id } => { /* send the payload kept under `id` on `gen` */ }
//!         Output::SendHeartbeat { gen } => { /* send heartbeat.message on `gen` */ }
//!         Output::CloseSocket { gen, code, reason, detach } => { /* ws.close(code, reason) */ }
//!         Output::Replay { gen } => {
//!             // After the `open` handlers ran: filter (JS) without holding the machine, then
//!             let rejected = [];
//!             machine.replay(0, gen, &rejected);
//!         }
//!         Output::Emit(event) => { /* collect; dispatch after releasing the borrow */ }
//!         // Acknowledged delivery only (`Config::acked`): see "Acknowledged delivery" below.
//!         // These variants exist only with the `acked` feature (on by default).
//!         #[cfg(feature = "acked")]
//!         Output::TransmitAcked { .. }
//!         | Output::Release { .. }
//!         | Output::SendHello { .. }
//!         | Output::SendAck { .. }
//!         | Output::SendPong { .. } => {}
//!     }
//! }
//! // Re-arm the one timer; when it fires, call `machine.handle_timeout(now)` and drain again.
//! let _next_deadline = machine.poll_timeout();
//! ```
//!
//! # Decisions the driver must know
//!
//! - **Pongs.** The driver decides `is_pong` with the user's matcher. Any inbound message counts as
//!   traffic; `is_pong` only suppresses [`Event::Message`]. With `heartbeat.exposePongs`, pass
//!   `is_pong = false`.
//! - **Replay is two-phase.** On open the core emits `Emit(Open)` and, if messages are queued,
//!   [`Output::Replay`]; nothing queued is transmitted before the driver calls [`Machine::replay`]
//!   (optionally after [`Machine::replay_candidates`] and a JS filter). A `send()` while OPEN is
//!   transmitted at once, even while the replay is pending: that is how a subscribe sent in
//!   `onopen` goes first.
//! - **Closes the core initiates** (heartbeat death, connect timeout, pagehide/freeze,
//!   `reconnect()`) emit [`Output::CloseSocket`] with `detach: true` and synthesize the user's
//!   [`Event::Close`] at once; the real close of that socket may never come and is not awaited.
//!   [`Output::CloseSocket::code`] is always one `WebSocket.close()` accepts (1000 or
//!   3000–4999); the code in the synthesized [`Event::Close`] may differ (1001, 1006).
//! - **The user's `close()`** keeps the socket attached (`detach: false`) and the `close` event
//!   comes from the real [`Machine::handle_close`], as natively. If it does not come within
//!   `connectTimeout`, the core stops waiting: `CloseSocket { detach: true }`, then a `close`
//!   event with 1006.
//! - **Close events are acknowledged.** After the last listener of an [`Event::Close`] returned,
//!   call [`Machine::handle_close_dispatched`]. Until then, a `close()` from an `error` or `close`
//!   listener makes the lost socket's close event the terminal one instead of adding a second.
//! - **`shouldReconnect`** runs in the driver before [`Machine::handle_close`], which takes its
//!   answer as a [`Verdict`]. Closes the core initiates itself always follow the default policy.
//! - **Acknowledged delivery** (`Config::acked`, PROTOCOL.md). On open the core asks for the
//!   hello ([`Output::SendHello`]) and stays CONNECTING until the welcome arrives. Every inbound
//!   frame goes to [`Machine::handle_frame`] with its header parsed by [`wire`] (not to
//!   `handle_message`). Messages go out as [`Output::TransmitAcked`] and their payloads stay with
//!   the driver until [`Output::Release`] or [`Event::Drop`]: they are resent after a reconnect
//!   until the server acknowledges them. Only with the cargo feature `acked`, which is on by
//!   default: a build without it has plain delivery only, and none of acknowledged delivery's
//!   code (the npm package's plain build is made so).
//! - **Initial environment.** Right after [`Machine::new`], call [`Machine::handle_offline`] if
//!   `navigator.onLine` is false and [`Machine::handle_visibility`] if the document is hidden.
//!
//! # Feature `serde`
//!
//! With the crate feature `serde` (off by default, and off in the shipped wasm module),
//! [`Config`] and its parts, and [`Stats`], are serde's `Serialize` and `Deserialize` in the form
//! of the JS options and `stats` objects: the same JSON configures the JS class and the core.
//! See [`Config`] for the form.

use alloc::borrow::ToOwned;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "acked")]
mod acked;
mod backoff;
mod config;
#[cfg(feature = "share")]
pub mod group;
mod heartbeat;
mod outbox;
mod phase;
mod policy;
mod rng;
#[cfg(feature = "serde")]
mod serde_form;
#[cfg(feature = "acked")]
mod session;
mod shared;
pub mod validate;
#[cfg(feature = "acked")]
pub mod wire;

#[cfg(feature = "acked")]
pub use config::AckedConfig;
pub use config::{BufferConfig, Config, HeartbeatConfig, Jitter, Overflow, ReconnectConfig};
pub use policy::{is_terminal_code, retry_after_ms, Verdict};
pub use shared::{
    CloseError, ConnectionState, DropReason, Event, Generation, Millis, MsgId, Output, ReadyState,
    SendError, Stats,
};
pub use validate::ConfigError;

use backoff::Backoff;
use heartbeat::{Due, Liveness};
use outbox::{Outbox, Queued};
use phase::Phase;
use policy::Decision;
use rng::Rng;
#[cfg(feature = "acked")]
use session::Session;

/// How long an online/offline probe waits for any inbound traffic (capped by
/// `heartbeat.timeout`): a connection that survived a network change answers within a round trip.
pub const PROBE_TIMEOUT: Millis = 3000;

/// The attempt after the browser comes back online starts within `0..=ONLINE_JITTER` ms (capped
/// by `maxDelay`), so that every tab of a site does not reconnect in the same millisecond.
pub const ONLINE_JITTER: Millis = 1000;

/// The close event the user is told about when a socket goes away.
struct CloseInfo {
    code: u16,
    reason: String,
    was_clean: bool,
}

impl CloseInfo {
    fn new(code: u16, reason: &str, was_clean: bool) -> CloseInfo {
        CloseInfo {
            code,
            reason: reason.to_owned(),
            was_clean,
        }
    }
}

/// The connection state machine. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    phase: Phase,
    /// The state last announced by [`Event::StateChange`].
    reported: ConnectionState,
    /// The last generation handed out.
    gen: Generation,
    /// The browser's `navigator.onLine`, as reported (always true when `network` is off).
    online: bool,
    hidden: bool,
    /// pagehide/freeze closed the socket; nothing connects until pageshow/resume.
    suspended: bool,
    /// No loss since construction or since `reconnect()` from CLOSED: `connecting`, not
    /// `reconnecting`.
    first_cycle: bool,
    ever_opened: bool,
    /// Retries scheduled since the backoff was last reset.
    attempt: u32,
    backoff: Backoff,
    rng: Rng,
    outbox: Outbox,
    /// Acknowledged delivery's state; `None` in plain mode.
    #[cfg(feature = "acked")]
    session: Option<Session>,
    /// The open socket's [`Output::Replay`] has not been answered yet.
    replay_pending: bool,
    next_id: u64,
    outputs: VecDeque<Output>,
    stats: Stats,
    /// When the current stretch of downtime started.
    down_since: Option<Millis>,
    /// [`Event::Close`]s emitted whose dispatch the driver has not yet reported finished
    /// ([`Machine::handle_close_dispatched`]).
    undispatched_closes: u32,
}

impl Machine {
    /// Creates a machine; unless `start_closed`, the first [`Output::Connect`] is ready at once.
    /// With `start_closed` the machine is CLOSED (and `send` refuses) until
    /// [`Machine::reconnect`].
    pub fn new(config: Config, seed: u64, now: Millis) -> Machine {
        let start_closed = config.start_closed;
        #[cfg(feature = "acked")]
        let session = acked::session(&config);
        let mut machine = Machine {
            backoff: Backoff::new(&config.reconnect),
            config,
            phase: Phase::Closed,
            // The initial state is not announced: nobody listens before the constructor returns.
            reported: if start_closed {
                ConnectionState::Closed
            } else {
                ConnectionState::Connecting
            },
            gen: Generation(0),
            online: true,
            hidden: false,
            suspended: false,
            first_cycle: true,
            ever_opened: false,
            attempt: 0,
            rng: Rng::new(seed),
            outbox: Outbox::default(),
            #[cfg(feature = "acked")]
            session,
            replay_pending: false,
            next_id: 0,
            outputs: VecDeque::new(),
            stats: Stats::default(),
            down_since: None,
            undispatched_closes: 0,
        };
        if !start_closed {
            machine.start_attempt(now);
        }
        machine
    }

    // ---- polls ----

    /// The next side effect to perform, or `None` when drained.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Machine::handle_timeout`] should be called next: the earliest of the backoff, the
    /// connect timeout, the closing-handshake wait and the heartbeat deadlines. After
    /// `handle_timeout(now)` it is always later than `now` (or `None`).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        match &self.phase {
            Phase::Waiting { retry_at } => *retry_at,
            Phase::Connecting { deadline, .. } | Phase::Closing { deadline, .. } => Some(*deadline),
            Phase::Open { liveness, .. } => {
                let heartbeat = self
                    .config
                    .heartbeat
                    .as_ref()
                    .and_then(|hb| liveness.deadline(hb));
                match (heartbeat, self.ack_due()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Phase::Closed => None,
        }
    }

    /// The user-visible `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.reported.ready_state()
    }

    /// The user-visible `connectionState`.
    pub fn connection_state(&self) -> ConnectionState {
        self.reported
    }

    /// Bytes waiting in the outbound queue, plus, with acknowledged delivery, those sent and not
    /// yet acknowledged. In plain mode the driver adds the socket's own `bufferedAmount`; in
    /// acked mode that is already part of the unacknowledged bytes.
    pub fn queued_bytes(&self) -> u64 {
        self.outbox.bytes().saturating_add(self.unacked().1)
    }

    /// The counters of `stats` at `now`.
    pub fn stats(&self, now: Millis) -> Stats {
        let ongoing = self.down_since.map_or(0, |since| now.saturating_sub(since));
        Stats {
            downtime_ms: self.stats.downtime_ms.saturating_add(ongoing),
            queued: self.outbox.len() as u32,
            queued_bytes: self.outbox.bytes(),
            #[cfg(feature = "acked")]
            unacked: self.unacked().0 as u32,
            #[cfg(feature = "acked")]
            unacked_bytes: self.unacked().1,
            ..self.stats
        }
    }

    // ---- socket events ----

    /// The socket `gen` opened: emits [`Event::Open`], then [`Output::Replay`] if messages wait.
    /// With acknowledged delivery it sends the hello instead; the welcome opens
    /// ([`Machine::handle_frame`]).
    pub fn handle_open(&mut self, now: Millis, gen: Generation) {
        let Phase::Connecting {
            gen: g, greeting, ..
        } = self.phase
        else {
            return;
        };
        if g != gen || greeting || self.greet(gen) {
            return;
        }
        self.opened(now, gen);
    }

    /// Moves to OPEN: the state change, the `open` event and the replay.
    fn opened(&mut self, now: Millis, gen: Generation) {
        self.enter_open(now, gen);
        self.announce_open(gen);
    }

    /// The state change of [`Machine::opened`].
    fn enter_open(&mut self, now: Millis, gen: Generation) {
        if self.ever_opened {
            self.stats.reconnects = self.stats.reconnects.saturating_add(1);
        }
        self.set_phase(
            now,
            Phase::Open {
                gen,
                opened_at: now,
                liveness: Liveness::new(now),
                writable: true,
            },
        );
        self.ever_opened = true;
        self.first_cycle = false;
    }

    /// The `open` event of [`Machine::opened`], then the replay if messages wait.
    fn announce_open(&mut self, gen: Generation) {
        self.emit(Event::Open { gen });
        if self.outbox.len() > 0 {
            self.replay_pending = true;
            self.outputs.push_back(Output::Replay { gen });
        }
    }

    /// A message arrived on the socket `gen`; `is_pong` when it matched the heartbeat pong (and
    /// pongs are not exposed). Any message proves the connection alive; the first one after a
    /// ping emits [`Event::Heartbeat`].
    pub fn handle_message(&mut self, now: Millis, gen: Generation, is_pong: bool) {
        match self.phase {
            Phase::Open { gen: g, .. } if g == gen => self.traffic(now),
            // Messages still arrive during the closing handshake, as natively.
            Phase::Closing { gen: g, .. } if g == gen => {}
            _ => return,
        }
        if !is_pong {
            self.emit(Event::Message);
        }
    }

    /// Whether a message on the socket `gen` would only be delivered and count as traffic: the
    /// socket is open, delivery is plain, and no ping awaits its answer. While this holds, a driver
    /// may deliver such messages itself, without a step of the core for each, and report the time
    /// of the last one with [`Machine::handle_direct_traffic`] before any other input. A message
    /// that is a heartbeat pong must still go through [`Machine::handle_message`].
    pub fn direct_delivery(&self, gen: Generation) -> bool {
        !self.is_acked() && self.phase.is_open_without_ping(gen)
    }

    /// Whether a `send()` now would only hand its payload to the socket `gen`: the socket is open
    /// and writable, and delivery is plain. While this holds, a driver may hand the user's
    /// payloads to the browser itself, without a step of the core for each: the core would
    /// transmit at once (ahead of a pending replay, as [`Machine::send`] does), check no cap and
    /// keep nothing.
    pub fn direct_send(&self, gen: Generation) -> bool {
        !self.is_acked() && self.phase.writable_gen() == Some(gen)
    }

    /// Messages delivered directly (see [`Machine::direct_delivery`]) arrived on the socket `gen`,
    /// the last of them at `at` (which may be earlier than the last input's `now`): the idle
    /// deadline of the heartbeat moves, as it does for [`Machine::handle_message`].
    pub fn handle_direct_traffic(&mut self, at: Millis, gen: Generation) {
        if let Phase::Open {
            gen: g, liveness, ..
        } = &mut self.phase
        {
            if *g == gen {
                liveness.on_direct_traffic(at);
            }
        }
    }

    /// Inbound traffic on the open socket: the connection is alive; the first traffic after a
    /// ping completes a heartbeat round trip.
    fn traffic(&mut self, now: Millis) {
        if let Phase::Open { liveness, .. } = &mut self.phase {
            if let Some(rtt) = liveness.on_traffic(now) {
                self.stats.last_rtt = Some(rtt);
                self.emit(Event::Heartbeat { rtt });
            }
        }
    }

    /// The socket `gen` reported an error (fired before its `Close`).
    pub fn handle_error(&mut self, _now: Millis, gen: Generation) {
        if self.phase.live_gen() == Some(gen) {
            self.emit(Event::Error);
        }
    }

    /// The socket `gen` stopped accepting data before its `close` event: the server started the
    /// closing handshake (the browser's `readyState` reads CLOSING while the core is OPEN). From
    /// now on `send` queues and a pending replay waits, so that nothing is handed to a socket that
    /// would discard it; the queue goes out on the next connection, or is dropped with
    /// [`Event::Drop`] if the close turns out terminal. The driver reports this when it notices,
    /// before it hands the socket any data.
    pub fn handle_peer_closing(&mut self, _now: Millis, gen: Generation) {
        if let Phase::Open {
            gen: g, writable, ..
        } = &mut self.phase
        {
            if *g == gen {
                *writable = false;
            }
        }
    }

    /// The driver finished dispatching an [`Event::Close`] (its last listener returned). Until
    /// then, the user's [`Machine::close`] without a socket emits no close event of its own: the
    /// one being dispatched, or waiting to be, is the terminal one.
    pub fn handle_close_dispatched(&mut self) {
        self.undispatched_closes = self.undispatched_closes.saturating_sub(1);
    }

    /// The socket `gen` closed. `verdict` is the answer of the user's `shouldReconnect`, which the
    /// driver calls before this (`None` without a predicate); it is ignored after the user's
    /// `close()`, which is terminal regardless.
    pub fn handle_close(
        &mut self,
        now: Millis,
        gen: Generation,
        code: u16,
        reason: &str,
        was_clean: bool,
        verdict: Option<Verdict>,
    ) {
        match self.phase {
            Phase::Closing { gen: g, .. } if g == gen => {
                self.set_phase(now, Phase::Closed);
                self.emit_close(CloseInfo::new(code, reason, was_clean));
                self.finish_session();
            }
            Phase::Connecting { gen: g, .. } | Phase::Open { gen: g, .. } if g == gen => {
                let decision = policy::decide(code, reason, verdict, &self.config.reconnect);
                self.lose(now, CloseInfo::new(code, reason, was_clean), decision);
            }
            _ => {}
        }
    }

    /// The driver's timer fired at `now`. Acts on every deadline that has passed; nothing happens
    /// otherwise, so a late or spurious firing is harmless.
    pub fn handle_timeout(&mut self, now: Millis) {
        match &mut self.phase {
            Phase::Waiting { retry_at: Some(at) } if *at <= now => self.start_attempt(now),
            Phase::Connecting { gen, deadline, .. } if *deadline <= now => {
                let gen = *gen;
                self.close_socket(gen, 1000, "connect timeout");
                self.emit(Event::Error);
                let close = CloseInfo::new(1006, "connect timeout", false);
                self.lose(now, close, Decision::BACKOFF);
            }
            Phase::Closing {
                gen,
                code,
                deadline,
            } if *deadline <= now => {
                let (gen, code) = (*gen, *code);
                self.close_socket(gen, code, "");
                self.set_phase(now, Phase::Closed);
                self.emit_close(CloseInfo::new(1006, "", false));
                self.finish_session();
            }
            Phase::Open { gen, .. } => {
                let gen = *gen;
                self.send_due_ack(now, gen);
                self.check_liveness(now, gen);
            }
            _ => {}
        }
    }

    /// The heartbeat's deadlines on the open socket `gen` at `now`: a ping due, or death.
    fn check_liveness(&mut self, now: Millis, gen: Generation) {
        let (Phase::Open { liveness, .. }, Some(hb)) = (&mut self.phase, &self.config.heartbeat)
        else {
            return;
        };
        match liveness.check(now, hb, self.hidden) {
            Due::Nothing => {}
            Due::SendPing => self.outputs.push_back(Output::SendHeartbeat { gen }),
            Due::Dead => {
                self.close_socket(gen, 4000, "heartbeat timeout");
                let close = CloseInfo::new(4000, "heartbeat timeout", false);
                self.lose(now, close, Decision::BACKOFF);
            }
        }
    }

    // ---- environment events ----

    /// The browser fired `online`: the backoff resets; without a socket an attempt starts within
    /// `0..=ONLINE_JITTER` ms; an open socket is probed at once with a short deadline (heartbeat
    /// on). No-op unless `network`.
    pub fn handle_online(&mut self, now: Millis) {
        if !self.config.network {
            return;
        }
        self.online = true;
        if self.phase.is_terminal() {
            return;
        }
        self.reset_backoff();
        match self.phase {
            Phase::Waiting { .. } if !self.suspended => {
                let cap = ONLINE_JITTER.min(self.config.reconnect.max_delay);
                let delay = self.rng.between(0, cap);
                self.schedule(now, delay);
            }
            Phase::Open { .. } => self.probe(now),
            _ => self.sync_state(),
        }
    }

    /// The browser fired `offline`: a pending retry is suspended (no attempt is burned while
    /// offline; a socket failing now does not count either); an open socket is kept and, with
    /// heartbeat on, probed. No-op unless `network`.
    pub fn handle_offline(&mut self, now: Millis) {
        if !self.config.network {
            return;
        }
        self.online = false;
        match self.phase {
            Phase::Waiting { .. } => self.set_phase(now, Phase::Waiting { retry_at: None }),
            Phase::Open { .. } => self.probe(now),
            _ => {}
        }
    }

    /// `visibilitychange`. On becoming visible, a pong deadline that passed while hidden is
    /// re-probed (a fresh ping with the full `heartbeat.timeout`) before it counts; other passed
    /// deadlines are acted on at once. No-op unless `pageLifecycle`.
    pub fn handle_visibility(&mut self, now: Millis, visible: bool) {
        if !self.config.page_lifecycle {
            return;
        }
        let was_hidden = self.hidden;
        self.hidden = !visible;
        if !(visible && was_hidden) {
            return;
        }
        if let (Phase::Open { gen, liveness, .. }, Some(hb)) =
            (&mut self.phase, &self.config.heartbeat)
        {
            if liveness.needs_reprobe(now) {
                liveness.probe(now, now.saturating_add(hb.timeout));
                let gen = *gen;
                self.outputs.push_back(Output::SendHeartbeat { gen });
            }
        }
        self.handle_timeout(now);
    }

    /// `pagehide`: the socket is closed (user sees code 1001, wire code 1000) without making it
    /// terminal, so the page stays bfcache-eligible; the queue is kept and nothing reconnects
    /// until [`Machine::handle_pageshow`] with `persisted` or [`Machine::handle_resume`].
    /// No-op unless `pageLifecycle`.
    pub fn handle_pagehide(&mut self, now: Millis) {
        if self.config.page_lifecycle {
            self.suspend(now);
        }
    }

    /// `pageshow`; with `persisted` (restored from the bfcache) the connection is re-established
    /// at once. No-op unless `pageLifecycle`.
    pub fn handle_pageshow(&mut self, now: Millis, persisted: bool) {
        if self.config.page_lifecycle && persisted {
            self.unsuspend(now);
        }
    }

    /// `freeze`: as pagehide (the Page Lifecycle guidance: close connections on freeze; a frozen
    /// page can answer no heartbeat anyway). No-op unless `pageLifecycle`.
    pub fn handle_freeze(&mut self, now: Millis) {
        if self.config.page_lifecycle {
            self.suspend(now);
        }
    }

    /// `resume`: reconnects at once after a freeze. No-op unless `pageLifecycle`.
    pub fn handle_resume(&mut self, now: Millis) {
        if self.config.page_lifecycle {
            self.unsuspend(now);
        }
    }

    // ---- user calls ----

    /// The user's `send()` of a message of `bytes` bytes. OPEN: transmitted at once. CONNECTING:
    /// queued, or per `buffer.overflow` when full. On success the driver stores the payload under
    /// the returned id before draining the outputs (a `drop-newest` overflow drops it in the same
    /// batch).
    pub fn send(&mut self, now: Millis, bytes: u64) -> Result<MsgId, SendError> {
        if self.phase.is_terminal() {
            return Err(SendError::InvalidState);
        }
        let gen = self.phase.writable_gen();
        let cfg = self.config.buffer;
        // With acknowledged delivery the caps also count the messages awaiting their ack, which
        // the client must keep as surely as the queued ones; then they apply while OPEN too.
        let (held, held_bytes) = self.unacked();
        let fits = |outbox: &Outbox| outbox.fits(held, held_bytes, bytes, &cfg);
        if (gen.is_none() || self.is_acked()) && !fits(&self.outbox) {
            if cfg.overflow == Overflow::Throw {
                return Err(SendError::QuotaExceeded);
            }
            // Evicting is pointless when the message would not fit even in an empty queue.
            if cfg.overflow == Overflow::DropOldest
                && Outbox::could_ever_fit(held, held_bytes, bytes, &cfg)
            {
                while !fits(&self.outbox) {
                    let Some(oldest) = self.outbox.pop_front() else {
                        break;
                    };
                    self.drop_message(oldest.id, DropReason::Overflow);
                }
            }
            if !fits(&self.outbox) {
                let id = self.next_msg_id();
                self.drop_message(id, DropReason::Overflow);
                return Ok(id);
            }
        }
        let id = self.next_msg_id();
        match gen {
            Some(gen) => self.transmit(gen, id, bytes),
            None => self.outbox.push(Queued {
                id,
                bytes,
                enqueued_at: now,
            }),
        }
        Ok(id)
    }

    /// The user's `close(code, reason)`: terminal; queued messages are dropped
    /// ([`DropReason::Closed`]).
    ///
    /// With a socket, it is closed (`detach: false`), the state is CLOSING and the `close` event
    /// comes from the socket (or after `connectTimeout` with 1006, if the server never answers).
    /// Without one (backoff wait, offline, after pagehide), there is no handshake to wait for: the
    /// state goes straight to CLOSED with a clean `close` event carrying the user's code (1000 by
    /// default) and reason, which is what a native socket whose server echoes the close reports,
    /// unless the lost socket's own close event is not yet dispatched (see
    /// [`Machine::handle_close_dispatched`]): that one is then the only, terminal, close event.
    /// Already CLOSING or CLOSED: nothing happens, as natively.
    pub fn close(
        &mut self,
        now: Millis,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), CloseError> {
        validate::close_args(code, reason)?;
        let code = code.unwrap_or(1000);
        let reason = reason.unwrap_or("");
        if self.phase.is_terminal() {
            return Ok(());
        }
        self.replay_pending = false;
        match self.phase.live_gen() {
            Some(gen) => {
                let deadline = now.saturating_add(self.config.reconnect.connect_timeout);
                self.set_phase(
                    now,
                    Phase::Closing {
                        gen,
                        code,
                        deadline,
                    },
                );
                self.outputs.push_back(Output::CloseSocket {
                    gen,
                    code,
                    reason: reason.to_owned(),
                    detach: false,
                });
            }
            // The close event of the socket just lost is still on its way to the user (this is
            // a call from an `error` or `close` listener): it becomes the terminal one, and
            // reads CLOSED, as a native socket's only close event does.
            None if self.undispatched_closes > 0 => self.set_phase(now, Phase::Closed),
            None => {
                self.set_phase(now, Phase::Closed);
                self.emit_close(CloseInfo::new(code, reason, true));
            }
        }
        self.drop_queue(DropReason::Closed);
        if self.phase.is_closed() {
            self.finish_session();
        }
        Ok(())
    }

    /// The user's `reconnect(code, reason)`: drops the current socket, if any (its `close` event,
    /// clean with `code` (1000 by default) and `reason`, is emitted at once), resets the backoff
    /// and connects now, even while offline or suspended: the user asked explicitly. Also reopens
    /// after a terminal close or `startClosed`. The queue is kept.
    pub fn reconnect(
        &mut self,
        now: Millis,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), CloseError> {
        validate::close_args(code, reason)?;
        let close = CloseInfo::new(code.unwrap_or(1000), reason.unwrap_or(""), true);
        self.reset_backoff();
        self.suspended = false;
        self.replay_pending = false;
        let dropped = self.phase.live_gen();
        if let Some(gen) = dropped {
            self.close_socket(gen, close.code, &close.reason);
            self.first_cycle = false;
        } else if self.phase.is_closed() {
            self.first_cycle = true;
        }
        self.start_attempt(now);
        // After the new attempt is under way, so that readyState reads CONNECTING during the
        // close event: a reconnect follows.
        if dropped.is_some() {
            self.emit_close(close);
        }
        Ok(())
    }

    // ---- replay ----

    /// The ids the `buffer.replay` filter should judge, oldest first, after dropping those older
    /// than `buffer.ttl` ([`DropReason::Expired`]). Empty unless `gen` is open with its replay
    /// pending. Call [`Machine::replay`] next, for the same `gen`.
    pub fn replay_candidates(&mut self, now: Millis, gen: Generation) -> Vec<MsgId> {
        if !self.replay_due(gen) {
            return Vec::new();
        }
        let mut kept = Outbox::default();
        while let Some(queued) = self.outbox.pop_front() {
            if self.expired(&queued, now) {
                self.drop_message(queued.id, DropReason::Expired);
            } else {
                kept.push(queued);
            }
        }
        self.outbox = kept;
        self.outbox.ids().collect()
    }

    /// Replays the queue on the open socket `gen`, oldest first, exactly once: expired messages
    /// are dropped ([`DropReason::Expired`]), those in `rejected` (and all when
    /// `buffer.replay` is false) are dropped ([`DropReason::Filtered`]), the rest are
    /// transmitted. Does nothing unless `gen` is open with its replay pending.
    pub fn replay(&mut self, now: Millis, gen: Generation, rejected: &[MsgId]) {
        if !self.replay_due(gen) {
            return;
        }
        self.replay_pending = false;
        // The driver passes the rejected ids in candidate (ascending) order, so one cursor walks
        // them beside the queue; any other order still works, by linear search. No sort: it
        // would cost more wasm than the rest of the replay.
        let ascending = rejected.windows(2).all(|pair| pair[0] < pair[1]);
        let mut cursor = 0;
        while let Some(queued) = self.outbox.pop_front() {
            let is_rejected = if ascending {
                while rejected.get(cursor).is_some_and(|&id| id < queued.id) {
                    cursor += 1;
                }
                rejected.get(cursor) == Some(&queued.id)
            } else {
                rejected.contains(&queued.id)
            };
            if self.expired(&queued, now) {
                self.drop_message(queued.id, DropReason::Expired);
            } else if !self.config.buffer.replay || is_rejected {
                self.drop_message(queued.id, DropReason::Filtered);
            } else {
                self.stats.replayed = self.stats.replayed.saturating_add(1);
                self.transmit(gen, queued.id, queued.bytes);
            }
        }
    }

    fn replay_due(&self, gen: Generation) -> bool {
        self.replay_pending && self.phase.writable_gen() == Some(gen)
    }

    fn expired(&self, queued: &Queued, now: Millis) -> bool {
        self.config
            .buffer
            .ttl
            .is_some_and(|ttl| now.saturating_sub(queued.enqueued_at) > ttl)
    }

    // ---- transitions ----

    fn start_attempt(&mut self, now: Millis) {
        self.gen = Generation(self.gen.0.wrapping_add(1));
        self.stats.attempts = self.stats.attempts.saturating_add(1);
        let deadline = now.saturating_add(self.config.reconnect.connect_timeout);
        let gen = self.gen;
        self.set_phase(
            now,
            Phase::Connecting {
                gen,
                deadline,
                greeting: false,
            },
        );
        self.outputs.push_back(Output::Connect { gen });
    }

    /// Schedules the next automatic attempt (numbered after the ones already scheduled) in `delay`.
    fn schedule(&mut self, now: Millis, delay: Millis) {
        self.attempt = self.attempt.saturating_add(1);
        self.set_phase(
            now,
            Phase::Waiting {
                retry_at: Some(now.saturating_add(delay)),
            },
        );
        self.emit(Event::Reconnecting {
            attempt: self.attempt,
            delay,
        });
    }

    /// The live socket went away without the user asking (the socket's close was already
    /// requested or reported): tell the user, then give up, wait offline, or schedule a retry.
    fn lose(&mut self, now: Millis, close: CloseInfo, decision: Decision) {
        if let Phase::Open { opened_at, .. } = self.phase {
            if now.saturating_sub(opened_at) >= self.config.reconnect.min_uptime {
                self.reset_backoff();
            }
        }
        self.replay_pending = false;
        self.first_cycle = false;
        let Decision::Retry {
            delay,
            extra,
            restart,
        } = decision
        else {
            return self.give_up(now, close);
        };
        if !self.online {
            // The failure is most likely the network's: no attempt is burned, nothing scheduled.
            self.set_phase(now, Phase::Waiting { retry_at: None });
            return self.emit_close(close);
        }
        if self
            .config
            .reconnect
            .max_retries
            .is_some_and(|max| self.attempt >= max)
        {
            return self.give_up(now, close);
        }
        let delay = delay.unwrap_or_else(|| {
            let n = self.attempt;
            let cfg = &self.config.reconnect;
            self.backoff
                .next_delay(cfg, n, !restart, &mut self.rng)
                .saturating_add(extra)
        });
        // The new state first, so that readyState during the close event says a reconnect follows.
        self.attempt = self.attempt.saturating_add(1);
        self.set_phase(
            now,
            Phase::Waiting {
                retry_at: Some(now.saturating_add(delay)),
            },
        );
        self.emit_close(close);
        self.emit(Event::Reconnecting {
            attempt: self.attempt,
            delay,
        });
    }

    fn give_up(&mut self, now: Millis, close: CloseInfo) {
        self.set_phase(now, Phase::Closed);
        self.emit_close(close);
        self.emit(Event::GiveUp);
        self.drop_queue(DropReason::GaveUp);
        self.finish_session();
    }

    /// pagehide/freeze: close without making it terminal; no attempt until unsuspended.
    fn suspend(&mut self, now: Millis) {
        match self.phase {
            Phase::Closing { .. } | Phase::Closed => {}
            Phase::Waiting { .. } => {
                self.suspended = true;
                self.set_phase(now, Phase::Waiting { retry_at: None });
            }
            Phase::Connecting { gen, .. } | Phase::Open { gen, .. } => {
                self.suspended = true;
                self.replay_pending = false;
                self.first_cycle = false;
                self.close_socket(gen, 1000, "page hidden");
                self.set_phase(now, Phase::Waiting { retry_at: None });
                self.emit_close(CloseInfo::new(1001, "page hidden", true));
            }
        }
    }

    /// pageshow(persisted)/resume: reconnect at once (unless offline: then on `online`).
    fn unsuspend(&mut self, now: Millis) {
        if !self.suspended {
            return;
        }
        self.suspended = false;
        self.reset_backoff();
        if self.phase.is_waiting() && self.online {
            self.schedule(now, 0);
            self.start_attempt(now);
        } else {
            self.sync_state();
        }
    }

    /// Probes an open socket with a short deadline (online/offline), keeping an earlier deadline.
    fn probe(&mut self, now: Millis) {
        if let (Phase::Open { gen, liveness, .. }, Some(hb)) =
            (&mut self.phase, &self.config.heartbeat)
        {
            let short = now.saturating_add(hb.timeout.min(PROBE_TIMEOUT));
            let deadline = liveness.pong_deadline().map_or(short, |d| d.min(short));
            // A deadline already past belongs to a ping that went unanswered while hidden; the
            // probe gives it a fresh chance instead of declaring death on the spot.
            let deadline = if deadline <= now { short } else { deadline };
            liveness.probe(now, deadline);
            let gen = *gen;
            self.outputs.push_back(Output::SendHeartbeat { gen });
        }
    }

    fn reset_backoff(&mut self) {
        self.attempt = 0;
        self.backoff.reset(&self.config.reconnect);
    }

    /// Moves to `phase`, keeps the downtime count and announces a state change.
    fn set_phase(&mut self, now: Millis, phase: Phase) {
        let was_down = self.ever_opened && self.phase.is_down();
        let is_down = self.ever_opened && phase.is_down();
        if is_down && !was_down {
            self.down_since = Some(now);
        } else if was_down && !is_down {
            let since = self.down_since.take().unwrap_or(now);
            self.stats.downtime_ms = self
                .stats
                .downtime_ms
                .saturating_add(now.saturating_sub(since));
        }
        self.phase = phase;
        self.sync_state();
    }

    fn sync_state(&mut self) {
        let to = match self.phase {
            Phase::Waiting { .. } if !self.online && !self.suspended => ConnectionState::Offline,
            Phase::Connecting { .. } if self.first_cycle => ConnectionState::Connecting,
            Phase::Waiting { .. } | Phase::Connecting { .. } => ConnectionState::Reconnecting,
            Phase::Open { .. } => ConnectionState::Open,
            Phase::Closing { .. } => ConnectionState::Closing,
            Phase::Closed => ConnectionState::Closed,
        };
        let from = self.reported;
        if from != to {
            self.reported = to;
            self.emit(Event::StateChange { from, to });
        }
    }

    // ---- outputs ----

    fn next_msg_id(&mut self) -> MsgId {
        let id = MsgId(self.next_id);
        self.next_id += 1;
        id
    }

    fn drop_message(&mut self, id: MsgId, reason: DropReason) {
        self.stats.dropped = self.stats.dropped.saturating_add(1);
        self.emit(Event::Drop { id, reason });
    }

    fn drop_queue(&mut self, reason: DropReason) {
        while let Some(queued) = self.outbox.pop_front() {
            self.drop_message(queued.id, reason);
        }
    }

    /// Closes a socket whose close the core reports itself.
    fn close_socket(&mut self, gen: Generation, code: u16, reason: &str) {
        self.outputs.push_back(Output::CloseSocket {
            gen,
            code,
            reason: reason.to_owned(),
            detach: true,
        });
    }

    fn emit_close(&mut self, close: CloseInfo) {
        self.undispatched_closes = self.undispatched_closes.saturating_add(1);
        self.emit(Event::Close {
            code: close.code,
            reason: close.reason,
            was_clean: close.was_clean,
        });
    }

    fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Emit(event));
    }
}

/// A build without the `acked` feature: the plain twins of what the rest of the machine asks of
/// acknowledged delivery (`acked.rs` has the real ones, documented there). Each does what plain
/// delivery does, so the compiler folds them away.
#[cfg(not(feature = "acked"))]
impl Machine {
    /// Whether acknowledged delivery is on: never, in a build without the `acked` feature.
    pub fn is_acked(&self) -> bool {
        false
    }

    fn greet(&mut self, _gen: Generation) -> bool {
        false
    }

    fn transmit(&mut self, gen: Generation, id: MsgId, _bytes: u64) {
        self.outputs.push_back(Output::Transmit { gen, id });
    }

    fn ack_due(&self) -> Option<Millis> {
        None
    }

    fn send_due_ack(&mut self, _now: Millis, _gen: Generation) {}

    fn unacked(&self) -> (usize, u64) {
        (0, 0)
    }

    fn finish_session(&mut self) {}
}
