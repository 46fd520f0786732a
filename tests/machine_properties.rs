#![cfg(not(target_arch = "wasm32"))]
//! Property test: random configurations and random event sequences, driven by a model driver
//! that checks the core's invariants after every call.
//!
//! Invariants: never two live sockets; no output addressed to a socket that is not live (or not
//! open and writable, for transmissions); every `MsgId` leaves exactly once (transmitted or dropped) and the
//! queue leaves in FIFO order within its caps; every delay the core chooses lies in
//! `0..=maxDelay`; readyState moves only along legal edges and every statechange starts where
//! the previous one ended; `handle_timeout` never leaves a deadline due twice in a row (no busy
//! loop); at most one close event is dispatched while CLOSED per stay in CLOSED (the user never
//! sees two terminal closes, whatever they call from a listener); no panic.
//!
//! The model dispatches events as the driver does: all of them before the next browser or timer
//! input, while the user's own calls (`send`, `close`, `reconnect`) may come from a listener, with
//! close events still undispatched.
//!
//! Native only: 100,000 random sequences take seconds natively and would take minutes in each
//! browser (and proptest is a native-only dev-dependency). The core's scenario tests are what runs in
//! wasm32 (tests/machine_scenarios.rs, tests/acked_scenarios.rs).

use std::collections::{HashSet, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use resilient_websocket::machine::{
    BufferConfig, Config, ConnectionState, Event, Generation, HeartbeatConfig, Jitter, Machine,
    Millis, MsgId, Output, Overflow, ReadyState, ReconnectConfig, SendError, Verdict,
};

/// Cases per property; two properties, so 2 × 50,000 = 100,000 random sequences per run.
const CASES: u32 = 50_000;
/// Longest event sequence of one case.
const MAX_STEPS: usize = 64;

fn config_strategy() -> impl Strategy<Value = Config> {
    let reconnect = (
        0u64..3000,
        0u64..40_000,
        1.0f64..3.0,
        0u8..5,
        proptest::option::of(0u32..4),
        1u64..20_000,
        0u64..10_000,
        proptest::option::of(0u64..50_000),
        0.0f64..=1.0,
    )
        .prop_map(
            |(
                min_delay,
                extra,
                factor,
                jitter,
                max_retries,
                connect_timeout,
                min_uptime,
                first_delay,
                first_jitter,
            )| {
                ReconnectConfig {
                    min_delay,
                    max_delay: min_delay + extra,
                    factor,
                    jitter: match jitter {
                        0 => Jitter::Full,
                        1 => Jitter::Equal,
                        2 => Jitter::Decorrelated,
                        3 => Jitter::None,
                        _ => Jitter::Ratio(f64::from(extra as u32 % 101) / 100.0),
                    },
                    first_delay,
                    first_jitter,
                    max_retries,
                    connect_timeout,
                    min_uptime,
                }
            },
        );
    let heartbeat = proptest::option::of((1u64..30_000, 1u64..15_000))
        .prop_map(|hb| hb.map(|(interval, timeout)| HeartbeatConfig { interval, timeout }));
    let buffer = (
        0u32..6,
        0u64..40,
        0u8..3,
        proptest::option::of(0u64..5000),
        any::<bool>(),
    )
        .prop_map(
            |(max_messages, max_bytes, overflow, ttl, replay)| BufferConfig {
                max_messages,
                max_bytes,
                overflow: match overflow {
                    0 => Overflow::Throw,
                    1 => Overflow::DropOldest,
                    _ => Overflow::DropNewest,
                },
                ttl,
                replay,
            },
        );
    (reconnect, heartbeat, buffer, any::<u8>()).prop_map(|(reconnect, heartbeat, buffer, flags)| {
        Config {
            reconnect,
            heartbeat,
            buffer,
            network: flags & 1 != 0,
            page_lifecycle: flags & 2 != 0,
            // Mostly started, sometimes closed.
            start_closed: flags & 0b1100 == 0b1100,
            #[cfg(feature = "acked")]
            acked: None,
        }
    })
}

/// One step: a kind and a parameter the kind interprets. Plain integers keep generation cheap.
type Step = (u8, u32);

fn steps_strategy() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec((any::<u8>(), any::<u32>()), 0..MAX_STEPS)
}

const CODES: [u16; 14] = [
    1000, 1001, 1002, 1005, 1006, 1008, 1011, 1012, 1013, 3000, 3600, 4000, 4600, 4999,
];
const REASONS: [&str; 4] = [
    "",
    "bye",
    r#"{"retryAfterMs": 1500}"#,
    r#"{"retryAfterMs": 9e9}"#,
];
const USER_CODES: [Option<u16>; 5] = [None, Some(1000), Some(4000), Some(1001), Some(5000)];

/// The driver's view of its one underlying socket.
#[derive(Clone, Copy, Debug)]
struct Held {
    gen: Generation,
    opened: bool,
    /// False once the core was told the server started closing it: nothing may be sent to it.
    writable: bool,
}

struct Model {
    m: Machine,
    config: Config,
    now: Millis,
    held: Option<Held>,
    last_gen: u32,
    state: ConnectionState,
    next_id: u64,
    /// Ids handed out and not yet transmitted or dropped.
    outstanding: HashSet<MsgId>,
    /// The ids the core holds in its queue, oldest first, with their sizes.
    queue: VecDeque<(MsgId, u64)>,
    pending_replay: Option<Generation>,
    /// The current call is the user's `reconnect()`, the only way out of CLOSED (and out of
    /// CLOSING other than to CLOSED).
    in_reconnect: bool,
    /// The current call is a close with 1012 or 1013, whose delay may exceed `maxDelay` by up to
    /// `maxDelay` (5 × `minDelay`, at most `maxDelay`, on top of the backoff).
    in_service_restart: bool,
    /// Close events drained and not yet dispatched.
    undispatched_closes: u32,
    /// Close events dispatched while CLOSED since the state last entered CLOSED.
    terminal_closes: u32,
}

fn legal_ready_edge(from: ReadyState, to: ReadyState) -> bool {
    use ReadyState::*;
    !matches!((from, to), (Closed, Open | Closing) | (Closing, Open))
}

impl Model {
    fn new(config: Config, seed: u64) -> Model {
        let m = Machine::new(config.clone(), seed, 0);
        let state = m.connection_state();
        let mut model = Model {
            m,
            config,
            now: 0,
            held: None,
            last_gen: 0,
            state,
            next_id: 0,
            outstanding: HashSet::new(),
            queue: VecDeque::new(),
            pending_replay: None,
            in_reconnect: false,
            in_service_restart: false,
            undispatched_closes: 0,
            terminal_closes: 0,
        };
        model.drain(None, None);
        model
    }

    fn held_gen(&self) -> Option<Generation> {
        self.held.map(|h| h.gen)
    }

    /// Some generation: mostly the held one, sometimes a stale or future one.
    fn pick_gen(&self, param: u32) -> Generation {
        match (param % 8, self.held_gen()) {
            (0, _) => Generation(self.last_gen.saturating_sub(1 + param / 8 % 3)),
            (1, _) => Generation(self.last_gen + 1),
            (_, Some(gen)) => gen,
            (_, None) => Generation(self.last_gen),
        }
    }

    /// Drains every output and checks it. `sent` is the id `send` just returned; `allowed_delay`
    /// a delay the user's predicate chose for this call.
    fn drain(&mut self, sent: Option<(MsgId, u64)>, allowed_delay: Option<Millis>) {
        let mut sent_left = false;
        while let Some(output) = self.m.poll_output() {
            match output {
                Output::Connect { gen } => {
                    assert!(
                        self.held.is_none(),
                        "two live sockets: {:?} and {gen:?}",
                        self.held
                    );
                    assert!(gen.0 > self.last_gen, "generations only grow");
                    self.last_gen = gen.0;
                    self.held = Some(Held {
                        gen,
                        opened: false,
                        writable: true,
                    });
                }
                Output::Transmit { gen, id } => {
                    let held = self.held.expect("transmit without a socket");
                    assert!(
                        held.gen == gen && held.opened && held.writable,
                        "transmit to {gen:?}, held {held:?}"
                    );
                    self.leave(id, sent, &mut sent_left);
                }
                Output::SendHeartbeat { gen } => {
                    let held = self.held.expect("ping without a socket");
                    assert!(
                        held.gen == gen && held.opened,
                        "ping to {gen:?}, held {held:?}"
                    );
                }
                Output::CloseSocket {
                    gen,
                    code,
                    reason,
                    detach,
                } => {
                    assert_eq!(self.held_gen(), Some(gen), "close of a socket not held");
                    assert!(code == 1000 || (3000..=4999).contains(&code), "{code}");
                    assert!(reason.len() <= 123);
                    if detach {
                        self.held = None;
                    }
                }
                Output::Replay { gen } => {
                    let held = self.held.expect("replay without a socket");
                    assert!(held.gen == gen && held.opened);
                    self.pending_replay = Some(gen);
                }
                Output::Emit(Event::StateChange { from, to }) => {
                    assert_eq!(from, self.state, "statechange from a state we were not in");
                    assert_ne!(from, to);
                    assert!(
                        legal_ready_edge(from.ready_state(), to.ready_state()),
                        "{from:?} -> {to:?}"
                    );
                    let leaves_terminal = from == ConnectionState::Closed
                        || (from == ConnectionState::Closing && to != ConnectionState::Closed);
                    assert!(!leaves_terminal || self.in_reconnect, "{from:?} -> {to:?}");
                    if from == ConnectionState::Closed {
                        self.terminal_closes = 0;
                    }
                    self.state = to;
                }
                Output::Emit(Event::Close { .. }) => self.undispatched_closes += 1,
                Output::Emit(Event::Drop { id, .. }) => self.leave(id, sent, &mut sent_left),
                Output::Emit(Event::Reconnecting { attempt, delay }) => {
                    assert!(attempt >= 1);
                    let max_delay = self.config.reconnect.max_delay;
                    let cap = if self.in_service_restart {
                        max_delay.saturating_mul(2)
                    } else {
                        max_delay
                    };
                    assert!(
                        delay <= cap || Some(delay) == allowed_delay,
                        "delay {delay} above {cap} (maxDelay {max_delay})"
                    );
                }
                Output::Emit(Event::Open { gen }) => {
                    assert!(self.held.is_some_and(|h| h.gen == gen && h.opened));
                }
                Output::Emit(_) => {}
                #[cfg(feature = "acked")]
                acked @ (Output::TransmitAcked { .. }
                | Output::Release { .. }
                | Output::SendHello { .. }
                | Output::SendAck { .. }
                | Output::SendPong { .. }) => panic!("plain delivery emitted {acked:?}"),
            }
        }
        if let Some((id, bytes)) = sent {
            if !sent_left {
                self.queue.push_back((id, bytes));
            }
        }
        self.check_state();
    }

    /// Dispatches the close events drained so far; one dispatched while CLOSED is terminal.
    fn dispatch_closes(&mut self) {
        for _ in 0..std::mem::take(&mut self.undispatched_closes) {
            self.m.handle_close_dispatched();
            if self.state == ConnectionState::Closed {
                self.terminal_closes += 1;
                assert!(self.terminal_closes <= 1, "two terminal close events");
            }
        }
    }

    /// `id` left the core (transmitted or dropped): exactly once, and from the queue in order.
    fn leave(&mut self, id: MsgId, sent: Option<(MsgId, u64)>, sent_left: &mut bool) {
        assert!(
            self.outstanding.remove(&id),
            "{id:?} left twice or was never sent"
        );
        if sent.is_some_and(|(sent, _)| sent == id) {
            *sent_left = true;
            return;
        }
        let front = self.queue.pop_front().map(|(front, _)| front);
        assert_eq!(front, Some(id), "queue left out of order");
    }

    fn check_state(&self) {
        assert_eq!(self.m.connection_state(), self.state);
        let stats = self.m.stats(self.now);
        let bytes: u64 = self.queue.iter().map(|(_, b)| b).sum();
        assert_eq!(stats.queued as usize, self.queue.len());
        assert_eq!(self.m.queued_bytes(), bytes);
        assert!(self.queue.len() <= self.config.buffer.max_messages as usize);
        assert!(bytes <= self.config.buffer.max_bytes);
        assert_eq!(
            self.outstanding.len(),
            self.queue.len(),
            "an id went missing"
        );
        match self.state {
            ConnectionState::Closed => assert!(self.held.is_none()),
            ConnectionState::Open => assert!(self.held.is_some_and(|h| h.opened)),
            ConnectionState::Closing => assert!(self.held.is_some()),
            _ => {}
        }
    }

    fn step(&mut self, (kind, param): Step) {
        let now = self.now;
        let kind = kind % 21;
        if !matches!(kind, 11..=14) {
            // Not a call a listener can make: everything drained so far has been dispatched.
            self.dispatch_closes();
        }
        match kind {
            0 | 1 => {
                let gen = self.pick_gen(param);
                if let Some(held) = self.held.as_mut().filter(|h| h.gen == gen && !h.opened) {
                    if self.state != ConnectionState::Closing {
                        held.opened = true;
                    }
                }
                self.m.handle_open(now, gen);
                self.drain(None, None);
            }
            2 | 3 => {
                self.m
                    .handle_message(now, self.pick_gen(param), param & 1 == 0);
                self.drain(None, None);
            }
            4 => {
                self.m.handle_error(now, self.pick_gen(param));
                self.drain(None, None);
            }
            5 | 6 => {
                let gen = self.pick_gen(param);
                let code = CODES[(param / 8) as usize % CODES.len()];
                let reason = REASONS[(param / 128) as usize % REASONS.len()];
                let verdict = match param / 512 % 8 {
                    0 => Some(Verdict::Stop),
                    1 => Some(Verdict::Reconnect),
                    2 => Some(Verdict::ReconnectAfter(u64::from(param / 4096 % 100_000))),
                    3 => Some(Verdict::Default),
                    _ => None,
                };
                let allowed = match verdict {
                    Some(Verdict::ReconnectAfter(d)) => Some(d),
                    _ => None,
                };
                // The browser reports the close of the socket the driver holds, and only that.
                if self.held_gen() == Some(gen) {
                    self.held = None;
                    self.m
                        .handle_close(now, gen, code, reason, param & 1 == 0, verdict);
                } else {
                    // A stale report must change nothing.
                    self.m.handle_close(now, gen, code, reason, false, verdict);
                }
                self.in_service_restart = matches!(code, 1012 | 1013);
                self.drain(None, allowed);
                self.in_service_restart = false;
            }
            7 | 8 => {
                // The timer fires on time.
                if let Some(at) = self.m.poll_timeout() {
                    self.now = self.now.max(at);
                    self.fire();
                }
            }
            9 => {
                // Time passes and the timer fires late (throttled).
                self.now += u64::from(param % 70_000);
                self.fire();
            }
            10 => {
                // Time passes before the next event.
                self.now += u64::from(param % 5000);
            }
            11 | 12 => {
                let bytes = u64::from(param % 16);
                match self.m.send(now, bytes) {
                    Ok(id) => {
                        assert_eq!(id, MsgId(self.next_id));
                        self.next_id += 1;
                        self.outstanding.insert(id);
                        self.drain(Some((id, bytes)), None);
                    }
                    Err(SendError::InvalidState) => {
                        assert!(matches!(
                            self.m.ready_state(),
                            ReadyState::Closing | ReadyState::Closed
                        ));
                        self.drain(None, None);
                    }
                    Err(SendError::QuotaExceeded) => {
                        assert_eq!(self.config.buffer.overflow, Overflow::Throw);
                        self.drain(None, None);
                    }
                }
            }
            13 => {
                let code = USER_CODES[param as usize % USER_CODES.len()];
                let reason = REASONS[(param / 8) as usize % 2];
                let _ = self.m.close(now, code, Some(reason));
                self.drain(None, None);
            }
            14 => {
                let code = USER_CODES[param as usize % USER_CODES.len()];
                let _ = self.m.reconnect(now, code, None);
                self.in_reconnect = true;
                self.drain(None, None);
                self.in_reconnect = false;
            }
            15 => {
                if param & 1 == 0 {
                    self.m.handle_online(now);
                } else {
                    self.m.handle_offline(now);
                }
                self.drain(None, None);
            }
            16 => {
                self.m.handle_visibility(now, param & 1 == 0);
                self.drain(None, None);
            }
            17 => {
                match param % 4 {
                    0 => self.m.handle_pagehide(now),
                    1 => self.m.handle_pageshow(now, param & 4 == 0),
                    2 => self.m.handle_freeze(now),
                    _ => self.m.handle_resume(now),
                }
                self.drain(None, None);
            }
            18 => {
                let gen = self.pick_gen(param);
                if let Some(held) = self.held.as_mut().filter(|h| h.gen == gen && h.opened) {
                    held.writable = false;
                }
                self.m.handle_peer_closing(now, gen);
                self.drain(None, None);
            }
            _ => self.replay(param),
        }
    }

    /// Fires the timer at `now`. A zero backoff delay may leave a deadline at `now` once (the
    /// driver's timer then fires at once), but never twice in a row: no busy loop.
    fn fire(&mut self) {
        let now = self.now;
        for _ in 0..2 {
            self.m.handle_timeout(now);
            self.drain(None, None);
            if self.m.poll_timeout().is_none_or(|next| next > now) {
                return;
            }
        }
        panic!(
            "deadline {:?} still due after handle_timeout({now})",
            self.m.poll_timeout()
        );
    }

    /// The driver answers a Replay marker: sometimes via the filter path, sometimes directly.
    fn replay(&mut self, param: u32) {
        let Some(gen) = self.pending_replay.take() else {
            return;
        };
        let now = self.now;
        let rejected: Vec<MsgId> = if param & 1 == 0 {
            let candidates = self.m.replay_candidates(now, gen);
            self.drain(None, None);
            let ids: Vec<MsgId> = self.queue.iter().map(|(id, _)| *id).collect();
            let writable = self.held.is_some_and(|h| h.gen == gen && h.writable);
            if writable && self.state == ConnectionState::Open {
                assert_eq!(candidates, ids, "candidates are the queue, in order");
            } else {
                assert!(candidates.is_empty());
            }
            let mut rejected: Vec<MsgId> = candidates
                .into_iter()
                .enumerate()
                .filter(|(i, _)| param >> (1 + i % 30) & 1 == 1)
                .map(|(_, id)| id)
                .collect();
            if param >> 31 == 1 {
                // Any order is accepted, not only the candidates' own.
                rejected.reverse();
            }
            rejected
        } else {
            Vec::new()
        };
        self.m.replay(now, gen, &rejected);
        self.drain(None, None);
    }

    /// At the end: a user close must account for every message still queued.
    fn finish(&mut self) {
        let _ = self.m.close(self.now, None, None);
        self.drain(None, None);
        self.dispatch_closes();
        assert!(
            self.outstanding.is_empty(),
            "ids never left: {:?}",
            self.outstanding
        );
        assert!(matches!(
            self.m.ready_state(),
            ReadyState::Closing | ReadyState::Closed
        ));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_event_sequences_keep_the_invariants(
        config in config_strategy(),
        seed in any::<u64>(),
        steps in steps_strategy(),
    ) {
        let mut model = Model::new(config, seed);
        for step in steps {
            model.step(step);
        }
        model.finish();
    }

    /// The same with heartbeat always on and short timings, where deadlines interleave most.
    #[test]
    fn random_sequences_with_heartbeat_keep_the_invariants(
        mut config in config_strategy(),
        seed in any::<u64>(),
        steps in steps_strategy(),
        interval in 1u64..3000,
        timeout in 1u64..3000,
    ) {
        config.heartbeat = Some(HeartbeatConfig { interval, timeout });
        config.start_closed = false;
        let mut model = Model::new(config, seed);
        for step in steps {
            model.step(step);
        }
        model.finish();
    }
}
