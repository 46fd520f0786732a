#![cfg(not(target_arch = "wasm32"))]
//! Property tests of acknowledged delivery: the real core as the client, a reference server that
//! follows PROTOCOL.md, and a network that cuts connections (losing every frame in flight both
//! ways), duplicates data frames, delays acks and lets time jump, at random points.
//!
//! After the faults stop and the network heals, every message of both numbered streams must have
//! arrived exactly once and in order. With a server that also restarts and forgets its sessions,
//! nothing may arrive twice or out of order, and every client message that did not arrive must
//! have been reported (`drop` with `unconfirmed`) together with a `SessionLost` event.
//!
//! Server-to-client frames travel as real text envelopes and are parsed by the core's codec
//! (`wire::parse_text`), exactly as the browser driver does.
//!
//! Native only: 20,000 random sequences take seconds natively and would take minutes in each
//! browser (and proptest is a native-only dev-dependency). The core's scenario tests are what runs in
//! wasm32 (tests/machine_scenarios.rs, tests/acked_scenarios.rs).

use std::collections::{BTreeMap, HashMap, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use resilient_websocket::machine::wire::{self, Frame, MAX_CLIENT_HEADER};
use resilient_websocket::machine::{
    AckedConfig, Config, DropReason, Event, Generation, HeartbeatConfig, Jitter, Machine, Millis,
    MsgId, Output, ReconnectConfig,
};

/// Cases per property; two properties, so 2 × 10,000 random fault sequences per run.
const CASES: u32 = 10_000;
/// Longest fault sequence of one case.
const MAX_STEPS: usize = 200;

/// A frame from the client, as the reference server reads it (the client's side of the codec is
/// the driver's job; the core hands over numbers).
#[derive(Clone, Debug)]
enum Up {
    Hello { session: u32, epoch: u64, ack: u64 },
    Data { seq: u64, ack: u64, payload: u64 },
    Ack(u64),
    Ping,
    Pong,
}

/// One TCP connection: frames in flight each way, lost when it is cut.
struct Link {
    gen: Generation,
    open: bool,
    up: VecDeque<Up>,
    down: VecDeque<String>,
    /// The server has answered the hello on this link.
    welcomed: Option<u32>,
}

/// The server's state of one session (the reference implementation of PROTOCOL.md's server).
struct ServerSession {
    epoch: u64,
    /// Highest client sequence number delivered to the application.
    received: u64,
    next_seq: u64,
    /// Sent to the client and not yet acknowledged: (seq, payload).
    window: VecDeque<(u64, u64)>,
}

struct World {
    now: Millis,
    client: Machine,
    link: Option<Link>,
    /// Client payloads by id (the driver's job), and each id's application number.
    held: HashMap<MsgId, u64>,
    next_client_payload: u64,
    /// What the client application sent (in order) and what the server application received.
    client_sent: Vec<u64>,
    server_got: Vec<u64>,
    /// What the server application sent per session and what the client application received.
    server_sent: u64,
    client_got: Vec<u64>,
    /// The payload of the frame being handed to the core.
    inbound: Option<u64>,
    sessions: BTreeMap<u32, ServerSession>,
    /// The server's current session (the one the latest hello named), which the server
    /// application keeps sending to while the client is away.
    current: Option<u32>,
    unconfirmed: Vec<u64>,
    session_lost: u32,
    /// The server's epochs are unique across its restarts (a real server draws them at random).
    next_epoch: u64,
    /// The seq of each client payload the server has delivered, to check releases.
    delivered_ids: HashMap<u64, ()>,
}

impl World {
    fn new(seed: u64, ack_interval: Millis, heartbeat: bool) -> World {
        let config = Config {
            reconnect: ReconnectConfig {
                min_delay: 10,
                max_delay: 200,
                jitter: Jitter::Full,
                first_delay: None,
                ..ReconnectConfig::default()
            },
            heartbeat: heartbeat.then_some(HeartbeatConfig {
                interval: 300,
                timeout: 200,
            }),
            acked: Some(AckedConfig { ack_interval }),
            ..Config::default()
        };
        let mut world = World {
            now: 0,
            client: Machine::new(config, seed, 0),
            link: None,
            held: HashMap::new(),
            next_client_payload: 1,
            client_sent: Vec::new(),
            server_got: Vec::new(),
            server_sent: 0,
            client_got: Vec::new(),
            inbound: None,
            sessions: BTreeMap::new(),
            current: None,
            unconfirmed: Vec::new(),
            session_lost: 0,
            next_epoch: 1,
            delivered_ids: HashMap::new(),
        };
        world.drain();
        world
    }

    /// Performs every output of the core, checking each against the protocol.
    fn drain(&mut self) {
        while let Some(output) = self.client.poll_output() {
            match output {
                Output::Connect { gen } => {
                    self.link = Some(Link {
                        gen,
                        open: false,
                        up: VecDeque::new(),
                        down: VecDeque::new(),
                        welcomed: None,
                    });
                }
                Output::SendHello {
                    gen,
                    session,
                    epoch,
                    ack,
                } => self.up(
                    gen,
                    Up::Hello {
                        session,
                        epoch,
                        ack,
                    },
                ),
                Output::TransmitAcked { gen, id, seq, ack } => {
                    let payload = *self.held.get(&id).expect("a transmitted id is held");
                    self.up(gen, Up::Data { seq, ack, payload });
                }
                Output::Release { id } => {
                    let payload = self.held.remove(&id).expect("a released id is held");
                    assert!(
                        self.delivered_ids.contains_key(&payload),
                        "released message {payload} that the server never received"
                    );
                }
                Output::SendAck { gen, ack } => self.up(gen, Up::Ack(ack)),
                Output::SendPong { gen } => self.up(gen, Up::Pong),
                Output::SendHeartbeat { gen } => self.up(gen, Up::Ping),
                Output::CloseSocket { gen, .. } => {
                    if self.link.as_ref().is_some_and(|l| l.gen == gen) {
                        self.link = None;
                    }
                }
                Output::Replay { gen } => self.client.replay(self.now, gen, &[]),
                Output::Transmit { .. } => panic!("plain transmit in acked mode"),
                Output::Emit(Event::Message) => {
                    let payload = self.inbound.take().expect("a message event has a payload");
                    self.client_got.push(payload);
                }
                Output::Emit(Event::Drop { id, reason }) => {
                    assert_eq!(reason, DropReason::Unconfirmed, "no other drop is provoked");
                    let payload = self.held.remove(&id).expect("a dropped id is held");
                    self.unconfirmed.push(payload);
                }
                Output::Emit(Event::SessionLost { .. }) => self.session_lost += 1,
                Output::Emit(Event::GiveUp) => panic!("gave up: a protocol violation?"),
                // Dispatched at once: no listener calls back in here.
                Output::Emit(Event::Close { .. }) => self.client.handle_close_dispatched(),
                Output::Emit(_) => {}
            }
        }
    }

    fn up(&mut self, gen: Generation, frame: Up) {
        let link = self.link.as_mut().expect("output for a live link");
        assert_eq!(link.gen, gen, "output for a stale socket");
        assert!(link.open, "frame sent before the socket opened");
        link.up.push_back(frame);
    }

    fn client_send(&mut self) {
        let payload = self.next_client_payload;
        let Ok(id) = self.client.send(self.now, 8) else {
            return;
        };
        self.next_client_payload += 1;
        self.client_sent.push(payload);
        self.held.insert(id, payload);
        self.drain();
    }

    fn open_socket(&mut self) {
        if let Some(link) = self.link.as_mut().filter(|l| !l.open) {
            link.open = true;
            let gen = link.gen;
            self.client.handle_open(self.now, gen);
            self.drain();
        }
    }

    /// The connection dies: everything in flight is lost; the client learns of it.
    fn cut(&mut self) {
        if let Some(link) = self.link.take() {
            self.client
                .handle_close(self.now, link.gen, 1006, "", false, None);
            self.drain();
        }
    }

    fn duplicate_down(&mut self) {
        if let Some(link) = self.link.as_mut() {
            if let Some(front) = link.down.front().filter(|f| f.starts_with('d')).cloned() {
                link.down.push_front(front);
            }
        }
    }

    fn duplicate_up(&mut self) {
        if let Some(link) = self.link.as_mut() {
            if let Some(front @ Up::Data { .. }) = link.up.front().cloned() {
                link.up.push_front(front);
            }
        }
    }

    fn advance(&mut self, ms: Millis) {
        self.now += ms;
        if self.client.poll_timeout().is_some_and(|at| at <= self.now) {
            self.client.handle_timeout(self.now);
            self.drain();
        }
    }

    /// The server restarts and forgets every session; connections die with it.
    fn server_forgets(&mut self) {
        self.sessions.clear();
        self.current = None;
        self.cut();
    }

    // ---- the reference server ----

    /// The server sends on the link once it has answered the hello there.
    fn down(&mut self, frame: String) {
        if let Some(link) = self.link.as_mut().filter(|l| l.welcomed.is_some()) {
            link.down.push_back(frame);
        }
    }

    fn server_send(&mut self) {
        let Some(number) = self.current else { return };
        self.server_sent += 1;
        let payload = self.server_sent;
        let session = self.sessions.get_mut(&number).expect("current session");
        session.next_seq += 1;
        let seq = session.next_seq;
        session.window.push_back((seq, payload));
        let frame = data_frame(seq, session.received, payload);
        self.down(frame);
    }

    fn server_ack(&mut self) {
        let welcomed = self.link.as_ref().and_then(|l| l.welcomed);
        if let Some(session) = welcomed.and_then(|n| self.sessions.get(&n)) {
            let frame = wire::ack_frame(session.received);
            self.down(frame);
        }
    }

    fn deliver_up(&mut self) {
        let Some(frame) = self.link.as_mut().and_then(|l| l.up.pop_front()) else {
            return;
        };
        match frame {
            Up::Hello {
                session: number,
                epoch,
                ack,
            } => {
                let resumed = self.sessions.get(&number).is_some_and(|s| s.epoch == epoch);
                if !self.sessions.contains_key(&number) {
                    self.sessions.insert(
                        number,
                        ServerSession {
                            epoch: self.next_epoch,
                            received: 0,
                            next_seq: 0,
                            window: VecDeque::new(),
                        },
                    );
                    self.next_epoch += 1;
                }
                let session = self.sessions.get_mut(&number).expect("just ensured");
                if !resumed {
                    // The client has seen nothing of this incarnation (it would have named it):
                    // its welcome carries it from the start.
                    assert_eq!(
                        session.received, 0,
                        "client data in an incarnation it never saw"
                    );
                    session
                        .window
                        .iter()
                        .enumerate()
                        .for_each(|(i, &(seq, _))| {
                            assert_eq!(seq, i as u64 + 1, "an unseen incarnation starts at 1");
                        });
                }
                // A new session ignores the ack: it has nothing the client could have seen.
                assert!(
                    !resumed || ack <= session.next_seq,
                    "client acked {ack} of {}",
                    session.next_seq
                );
                if resumed {
                    session.window.retain(|&(seq, _)| seq > ack);
                }
                let mut frames = vec![format!(
                    "w1,{},{},{}",
                    session.received,
                    if resumed { "resumed" } else { "new" },
                    session.epoch
                )];
                for &(seq, payload) in &session.window {
                    frames.push(data_frame(seq, session.received, payload));
                }
                self.current = Some(number);
                if let Some(link) = self.link.as_mut() {
                    link.welcomed = Some(number);
                }
                for frame in frames {
                    self.down(frame);
                }
            }
            Up::Data { seq, ack, payload } => {
                let session = self.server_session();
                assert!(
                    seq <= session.received + 1,
                    "gap: {seq} after {}",
                    session.received
                );
                session.window.retain(|&(s, _)| s > ack);
                if seq == session.received + 1 {
                    session.received = seq;
                    self.server_got.push(payload);
                    self.delivered_ids.insert(payload, ());
                }
            }
            Up::Ack(ack) => {
                self.server_session().window.retain(|&(s, _)| s > ack);
            }
            Up::Ping => self.down(wire::PONG.to_owned()),
            Up::Pong => {}
        }
    }

    fn server_session(&mut self) -> &mut ServerSession {
        let number = self
            .link
            .as_ref()
            .and_then(|l| l.welcomed)
            .expect("data only after the welcome");
        self.sessions.get_mut(&number).expect("welcomed session")
    }

    fn deliver_down(&mut self) {
        let Some((gen, frame)) = self
            .link
            .as_mut()
            .and_then(|l| l.down.pop_front().map(|f| (l.gen, f)))
        else {
            return;
        };
        let head = &frame[..frame.len().min(MAX_CLIENT_HEADER)];
        let parsed = wire::parse_text(head, frame.len() <= MAX_CLIENT_HEADER);
        if let Ok((Frame::Data { .. }, at)) = parsed {
            self.inbound = Some(frame[at..].parse().expect("numeric payload"));
        }
        self.client
            .handle_frame(self.now, gen, parsed.map(|(f, _)| f));
        self.drain();
        self.inbound = None;
    }

    fn step(&mut self, (kind, arg): (u8, u16), restarts: bool) {
        match kind % 16 {
            0..=2 => self.client_send(),
            3 | 4 => self.server_send(),
            5..=7 => self.deliver_up(),
            8..=10 => self.deliver_down(),
            11 => self.open_socket(),
            12 => self.advance(Millis::from(arg % 400)),
            13 => self.server_ack(),
            14 if arg % 8 == 0 => {
                if restarts && arg % 16 == 0 {
                    self.server_forgets();
                } else {
                    self.cut();
                }
            }
            14 => {}
            _ if arg % 2 == 0 => self.duplicate_down(),
            _ => self.duplicate_up(),
        }
    }

    /// No more faults: run the protocol until both streams are through and every ack is in.
    fn heal(&mut self) {
        for _ in 0..10_000 {
            self.open_socket();
            while self
                .link
                .as_ref()
                .is_some_and(|l| !l.up.is_empty() || !l.down.is_empty())
            {
                self.deliver_up();
                self.deliver_down();
            }
            self.server_ack();
            self.deliver_down();
            let settled = self.link.as_ref().is_some_and(|l| l.welcomed.is_some())
                && self.client.stats(self.now).unacked == 0
                && self.client.stats(self.now).queued == 0
                && self
                    .current
                    .and_then(|n| self.sessions.get(&n))
                    .is_some_and(|s| s.window.is_empty());
            if settled {
                return;
            }
            let next = self.client.poll_timeout().unwrap_or(self.now + 1);
            self.advance(next.saturating_sub(self.now).max(1));
        }
        panic!("the protocol did not settle");
    }
}

fn data_frame(seq: u64, ack: u64, payload: u64) -> String {
    let mut frame = String::new();
    wire::text_header(seq, ack, &mut frame);
    frame.push_str(&payload.to_string());
    frame
}

fn steps() -> impl Strategy<Value = Vec<(u8, u16)>> {
    proptest::collection::vec((any::<u8>(), any::<u16>()), 0..MAX_STEPS)
}

fn is_increasing(list: &[u64]) -> bool {
    list.windows(2).all(|pair| pair[0] < pair[1])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Cuts, duplicates and delays: exactly once, in order, both ways.
    #[test]
    fn both_streams_arrive_exactly_once_in_order(
        seed in any::<u64>(),
        ack_interval in 1u64..500,
        heartbeat in any::<bool>(),
        steps in steps(),
    ) {
        let mut world = World::new(seed, ack_interval, heartbeat);
        for step in steps {
            world.step(step, false);
        }
        world.heal();
        prop_assert_eq!(&world.server_got, &world.client_sent);
        let expected: Vec<u64> = (1..=world.server_sent).collect();
        prop_assert_eq!(&world.client_got, &expected);
        prop_assert!(world.unconfirmed.is_empty());
        prop_assert_eq!(world.session_lost, 0);
        prop_assert!(world.held.is_empty(), "every payload released");
    }

    /// The server also restarts without its sessions: never twice, never out of order, and every
    /// client message either arrived or was reported unconfirmed, with a SessionLost event.
    #[test]
    fn a_forgotten_session_loses_nothing_silently(
        seed in any::<u64>(),
        ack_interval in 1u64..500,
        steps in steps(),
    ) {
        let mut world = World::new(seed, ack_interval, false);
        for step in steps {
            world.step(step, true);
        }
        world.heal();
        prop_assert!(is_increasing(&world.server_got), "server got {:?}", world.server_got);
        prop_assert!(is_increasing(&world.client_got), "client got {:?}", world.client_got);
        for payload in &world.client_sent {
            prop_assert!(
                world.server_got.contains(payload) || world.unconfirmed.contains(payload),
                "message {} neither arrived nor was reported", payload
            );
        }
        if !world.unconfirmed.is_empty() {
            prop_assert!(world.session_lost > 0);
        }
        prop_assert!(world.held.is_empty(), "every payload released or dropped");
    }
}
