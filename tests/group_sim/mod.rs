//! A simulated browser profile for share groups (`machine::group`): tabs with their event loops,
//! the Web Lock manager, the BroadcastChannel and one socket per holder, on a virtual clock.
//!
//! What it models of the browser, and so what the group's guarantees assume:
//! - a post reaches every other live tab after `0..=max_delay` ms, in the order it was posted
//!   among the posts of one sender (BroadcastChannel gives no order across senders);
//! - the lock manager answers at once, and its grant or loss reaches the tab after `0..=lock_delay`;
//!   a request replaces the tab's previous one (the driver aborts it, or releases the lock the
//!   aborted request was granted);
//! - a frozen tab runs nothing; when it thaws, it handles what arrived meanwhile and its timers due
//!   meanwhile, all arrivals first or all timers first (`timers_first`: Chromium resumed from a
//!   debugger pause ran its interval twice before it saw the loss of its lock, measured);
//! - a crashed tab loses its lock and its socket at once; its posts already sent still arrive.
//!
//! It checks, on every write: the terms of writes never decrease; no member's message is written
//! twice; each member's messages are written in its order, none skipped; only a holder writes, on
//! an open socket or one whose close event it has not handled yet, and a forwarded write is the
//! `Send` just handled.

#![allow(dead_code)]

pub mod acked;

use std::collections::{HashSet, VecDeque};

use resilient_websocket::machine::group::{GroupOutput, GroupTiming, Member, Post, TabId, Term};
use resilient_websocket::machine::Millis;

/// The wall clock (`Date.now()`) when the virtual clock reads 0: every tab shares it.
pub const WALL_CLOCK_AT_ZERO: u64 = 1_764_650_000_000;

/// A deterministic random source (xorshift64*) for the simulated delays.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..=max`.
    pub fn upto(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (max + 1)
    }
}

/// What reaches a tab.
#[derive(Clone, Copy, Debug)]
enum Input {
    /// With the payload of an `Inbound` post: the server's message number.
    Post(Post, Option<u64>),
    Granted(u64),
    Lost(u64),
    /// The holder's socket closed (while the tab was frozen: it learns on thawing).
    SocketClosed,
    /// Acknowledged delivery: the server acknowledged, on `connection`, up to `upto`.
    Acked {
        connection: usize,
        upto: u64,
    },
    /// Acknowledged delivery: the server's message `seq` on `connection`.
    ServerData {
        connection: usize,
        seq: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socket {
    None,
    Connecting { opens_at: Millis },
    Open,
}

/// One tab (one member).
pub struct Tab {
    pub member: Member,
    pub alive: bool,
    /// Runs nothing before this.
    pub frozen_until: Millis,
    pub socket: Socket,
    /// Arrivals, by time.
    inbox: VecDeque<(Millis, Input)>,
    /// The tab's current lock request.
    token: u64,
    /// The tab's own messages, by number.
    pub sent: Vec<u64>,
    /// `Written` outputs for its own messages.
    pub confirmed: Vec<u64>,
    /// Inbound messages delivered to the local instance (as a follower, or as the holder its own
    /// socket's).
    pub received: Vec<u64>,
    /// Acknowledged delivery: the holder's connection.
    link: Option<acked::Link>,
    /// Acknowledged delivery: own messages reported lost with the session (`Unconfirmed`).
    pub unconfirmed: Vec<u64>,
    /// Acknowledged delivery: `SessionLost` outputs.
    pub sessions_lost: u32,
}

/// One write on a socket.
#[derive(Clone, Copy, Debug)]
pub struct Write {
    pub at: Millis,
    pub writer: usize,
    pub term: Term,
    pub owner: TabId,
    pub seq: u64,
    /// The socket had closed and the holder had not handled its close event yet (it was frozen
    /// when the close came): the browser discards the write. The message is lost, as it is with
    /// one tab in plain delivery.
    pub discarded: bool,
}

/// A holder's socket's life at the simulated server.
#[derive(Clone, Copy, Debug)]
pub struct Connection {
    pub tab: usize,
    pub opened: Millis,
    pub closed: Option<Millis>,
}

struct LockManager {
    held: Option<(usize, u64)>,
    queue: VecDeque<(usize, u64)>,
    next_token: u64,
}

pub struct Sim {
    pub now: Millis,
    pub timing: GroupTiming,
    pub max_delay: Millis,
    /// The longest a lock's grant or loss takes to reach its tab (`max_delay` unless set).
    pub lock_delay: Millis,
    pub connect_delay: Millis,
    /// What falls due at one instant (a thawing tab's backlog) runs timers first, not arrivals.
    pub timers_first: bool,
    pub tabs: Vec<Tab>,
    pub writes: Vec<Write>,
    pub connections: Vec<Connection>,
    /// Each time a member became holder: (tab, when, term).
    pub grants: Vec<(usize, Millis, Term)>,
    written: HashSet<(TabId, u64)>,
    last_term: Option<Term>,
    next_inbound: u64,
    /// Last arrival time per (sender, receiver), for the channel's per-sender order.
    channel_tail: Vec<Vec<Millis>>,
    lock: LockManager,
    dice: Dice,
    /// Acknowledged delivery: the group shares one session at this server.
    pub server: Option<acked::Server>,
}

/// Queues `item` to arrive at `at`, after everything that arrives by then.
fn insert_by_time<T>(queue: &mut VecDeque<(Millis, T)>, at: Millis, item: T) {
    let position = queue
        .iter()
        .position(|&(t, _)| t > at)
        .unwrap_or(queue.len());
    queue.insert(position, (at, item));
}

impl Sim {
    pub fn new(tabs: usize, timing: GroupTiming, max_delay: Millis, seed: u64) -> Sim {
        let mut sim = Sim {
            now: 0,
            timing,
            max_delay,
            lock_delay: max_delay,
            connect_delay: 50,
            timers_first: false,
            tabs: Vec::new(),
            writes: Vec::new(),
            connections: Vec::new(),
            grants: Vec::new(),
            written: HashSet::new(),
            last_term: None,
            next_inbound: 0,
            channel_tail: Vec::new(),
            lock: LockManager {
                held: None,
                queue: VecDeque::new(),
                next_token: 0,
            },
            dice: Dice::new(seed),
            server: None,
        };
        for _ in 0..tabs {
            sim.open_tab();
        }
        sim
    }

    /// Opens a new tab with a new member; returns its index.
    pub fn open_tab(&mut self) -> usize {
        let index = self.tabs.len();
        let id = TabId(1000 + index as u64);
        let member = if self.server.is_some() {
            Member::new_acked(id, self.timing, self.now)
        } else {
            Member::new(id, self.timing, self.now)
        };
        self.tabs.push(Tab {
            member,
            alive: true,
            frozen_until: 0,
            socket: Socket::None,
            inbox: VecDeque::new(),
            token: 0,
            sent: Vec::new(),
            confirmed: Vec::new(),
            received: Vec::new(),
            link: None,
            unconfirmed: Vec::new(),
            sessions_lost: 0,
        });
        for tails in &mut self.channel_tail {
            tails.push(0);
        }
        self.channel_tail.push(vec![0; index + 1]);
        self.drain(index, None);
        index
    }

    /// The user of tab `index` sends a message (if its event loop runs).
    pub fn send(&mut self, index: usize) -> Option<u64> {
        if !self.runs(index) {
            return None;
        }
        let seq = self.tabs[index].member.send(self.now);
        self.tabs[index].sent.push(seq);
        self.drain(index, None);
        Some(seq)
    }

    /// The server sends a message on every open socket; returns its number.
    pub fn server_message(&mut self) -> u64 {
        if self.server.is_some() {
            return self.acked_server_message();
        }
        self.next_inbound += 1;
        let number = self.next_inbound;
        for index in 0..self.tabs.len() {
            if self.tabs[index].socket == Socket::Open && self.runs(index) {
                self.tabs[index].member.handle_socket_message(self.now, 0);
                self.drain_with_payload(index, number);
            }
        }
        number
    }

    /// Tab `index` runs nothing for `duration` (frozen, throttled, in bfcache without pagehide).
    pub fn freeze(&mut self, index: usize, duration: Millis) {
        let tab = &mut self.tabs[index];
        tab.frozen_until = tab.frozen_until.max(self.now + duration);
    }

    /// Tab `index` crashes or is closed: its lock and socket go at once.
    pub fn crash(&mut self, index: usize) {
        if !self.tabs[index].alive {
            return;
        }
        self.tabs[index].alive = false;
        self.tabs[index].inbox.clear();
        self.close_socket(index);
        self.tabs[index].link = None;
        self.lock.queue.retain(|&(tab, _)| tab != index);
        if self.lock.held.is_some_and(|(tab, _)| tab == index) {
            self.release_lock();
        }
    }

    /// Tab `index` starts a connection, which opens after `connect_delay`.
    fn start_connecting(&mut self, index: usize) {
        self.tabs[index].socket = Socket::Connecting {
            opens_at: self.now + self.connect_delay,
        };
        self.connections.push(Connection {
            tab: index,
            opened: self.now + self.connect_delay,
            closed: None,
        });
    }

    /// The holder's socket drops; its connection reconnects after `connect_delay`.
    pub fn drop_socket(&mut self, index: usize) {
        if self.tabs[index].socket == Socket::Open {
            self.close_socket(index);
            self.start_connecting(index);
            let connection = self.connections.len() - 1;
            if let Some(link) = self.tabs[index].link.as_mut() {
                link.connection = connection;
            }
            if self.runs(index) {
                self.tabs[index].member.handle_socket_closed(self.now);
                self.drain(index, None);
            } else {
                self.deliver(index, self.now, Input::SocketClosed);
            }
        }
    }

    /// Thaws every tab.
    pub fn thaw_all(&mut self) {
        for tab in &mut self.tabs {
            tab.frozen_until = tab.frozen_until.min(self.now);
        }
    }

    /// Whether tab `index` runs now.
    pub fn runs(&self, index: usize) -> bool {
        self.tabs[index].alive && self.tabs[index].frozen_until <= self.now
    }

    /// The running tabs that hold a term now, by their own account (a frozen tab's account is
    /// what it was when it froze).
    pub fn holders(&self) -> Vec<usize> {
        (0..self.tabs.len())
            .filter(|&index| self.runs(index) && self.tabs[index].member.holding().is_some())
            .collect()
    }

    /// The one running holder (panics unless there is exactly one).
    pub fn the_holder(&self) -> usize {
        let holders = self.holders();
        assert_eq!(holders.len(), 1, "holders: {holders:?}");
        holders[0]
    }

    /// Runs every event up to `until`, then sets the clock there.
    pub fn run_until(&mut self, until: Millis) {
        while let Some((at, index, kind)) = self.next_event() {
            if at > until {
                break;
            }
            self.now = self.now.max(at);
            self.step(index, kind);
        }
        self.now = self.now.max(until);
    }

    /// Advances the clock by `duration`.
    pub fn advance(&mut self, duration: Millis) {
        self.run_until(self.now + duration);
    }

    /// The earliest event: (when, tab, 0 arrival / 1 socket open / 2 timer). A frozen tab's events
    /// wait for its thaw; what falls due at one instant goes arrivals first, or timers first.
    fn next_event(&self) -> Option<(Millis, usize, u8)> {
        let mut best: Option<(Millis, usize, u8)> = None;
        for (index, tab) in self.tabs.iter().enumerate() {
            if !tab.alive {
                continue;
            }
            let candidates = [
                tab.inbox.front().map(|&(at, _)| (at, 0)),
                match tab.socket {
                    Socket::Connecting { opens_at } => Some((opens_at, 1)),
                    _ => None,
                },
                tab.member.poll_timeout().map(|at| (at, 2)),
            ];
            for (at, kind) in candidates.into_iter().flatten() {
                let at = at.max(tab.frozen_until);
                let rank = |kind: u8| match (self.timers_first, kind) {
                    (true, 2) => 0,
                    (true, kind) => kind + 1,
                    (false, kind) => kind,
                };
                if best.is_none_or(|b| (at, rank(kind), index) < (b.0, rank(b.2), b.1)) {
                    best = Some((at, index, kind));
                }
            }
        }
        // A frame reaching the server (kind 3) goes before the tabs' events of that instant.
        if let Some(at) = self.server.as_ref().and_then(acked::Server::next_arrival) {
            if best.is_none_or(|b| at <= b.0) {
                best = Some((at, 0, 3));
            }
        }
        best
    }

    fn step(&mut self, index: usize, kind: u8) {
        let now = self.now;
        match kind {
            0 => {
                let Some((_, input)) = self.tabs[index].inbox.pop_front() else {
                    return;
                };
                match input {
                    Input::Post(post, inbound) => {
                        self.tabs[index].member.handle_post(now, post);
                        self.drain_outputs(index, Some(post), inbound);
                    }
                    Input::Granted(token) => {
                        if token == self.tabs[index].token {
                            self.tabs[index]
                                .member
                                .handle_lock_granted(now, WALL_CLOCK_AT_ZERO + now);
                            if let Some(term) = self.tabs[index].member.holding() {
                                self.grants.push((index, now, term));
                            }
                            self.drain(index, None);
                        } else if self.lock.held == Some((index, token)) {
                            // Granted to a request the driver had aborted: it lets go at once.
                            self.release_lock();
                        }
                    }
                    Input::SocketClosed => {
                        self.tabs[index].member.handle_socket_closed(now);
                        self.drain(index, None);
                    }
                    Input::Lost(token) => {
                        if token == self.tabs[index].token {
                            self.tabs[index].member.handle_lock_lost(now);
                            self.drain(index, None);
                        }
                    }
                    Input::Acked { connection, upto } => {
                        self.acked_by_server(index, connection, upto);
                    }
                    Input::ServerData { connection, seq } => {
                        self.receive_server_message(index, connection, seq);
                    }
                }
            }
            1 if self.server.is_some() => self.acked_open(index),
            1 => {
                self.tabs[index].socket = Socket::Open;
                self.tabs[index].member.handle_socket_open(now);
                self.drain(index, None);
            }
            3 => self.server_receives(),
            _ => {
                self.tabs[index].member.handle_timeout(now);
                self.drain(index, None);
            }
        }
    }

    fn drain(&mut self, index: usize, handled: Option<Post>) {
        self.drain_outputs(index, handled, None);
    }

    fn drain_with_payload(&mut self, index: usize, inbound: u64) {
        self.drain_outputs(index, None, Some(inbound));
    }

    fn drain_outputs(&mut self, index: usize, handled: Option<Post>, inbound: Option<u64>) {
        while let Some(output) = self.tabs[index].member.poll_output() {
            match output {
                GroupOutput::Post(post) => self.broadcast(index, post, inbound),
                GroupOutput::RequestLock { steal } => self.request_lock(index, steal),
                GroupOutput::ReleaseLock => {
                    if self.lock.held.is_some_and(|(tab, _)| tab == index) {
                        self.release_lock();
                    }
                }
                GroupOutput::Connect => {
                    assert_eq!(self.tabs[index].socket, Socket::None, "connect twice");
                    self.start_connecting(index);
                    if self.server.is_some() {
                        self.adopt(index);
                    }
                }
                GroupOutput::Disconnect => {
                    self.close_socket(index);
                    self.tabs[index].link = None;
                }
                GroupOutput::Write { owner, seq } if self.server.is_some() => {
                    self.acked_write(index, owner, seq);
                }
                GroupOutput::Write { owner, seq } => self.record_write(index, owner, seq, handled),
                GroupOutput::Deliver => {
                    assert!(
                        matches!(handled, Some(Post::Inbound { .. }))
                            || (handled.is_none() && inbound.is_some()),
                        "Deliver of neither an Inbound post nor the holder's socket's message"
                    );
                    let number = inbound.expect("an Inbound post carries its payload");
                    if self.server.is_some() {
                        let last = self.tabs[index].received.last().copied().unwrap_or(0);
                        assert!(
                            number > last,
                            "tab {index} dispatched the server's {number} after its {last}"
                        );
                    }
                    self.tabs[index].received.push(number);
                }
                GroupOutput::Written { seq } => self.tabs[index].confirmed.push(seq),
                GroupOutput::Unconfirmed { seq } => self.tabs[index].unconfirmed.push(seq),
                GroupOutput::SessionLost { .. } => self.tabs[index].sessions_lost += 1,
                GroupOutput::RoleChange(_) => {}
            }
        }
    }

    fn record_write(&mut self, index: usize, owner: TabId, seq: u64, handled: Option<Post>) {
        let member = &self.tabs[index].member;
        let term = member.holding().expect("only a holder writes");
        let discarded = self.tabs[index].socket != Socket::Open;
        if discarded {
            let unhandled_close = self.tabs[index]
                .inbox
                .iter()
                .any(|(_, input)| matches!(input, Input::SocketClosed));
            assert!(
                unhandled_close,
                "a write on a socket whose close was handled"
            );
        }
        if owner != member.id() {
            assert!(
                matches!(handled, Some(Post::Send { from, seq: s, .. }) if from == owner && s == seq),
                "a forwarded write is the Send just handled"
            );
        }
        if let Some(last) = self.last_term {
            assert!(
                term >= last,
                "term {term:?} writes at {} after {last:?} wrote",
                self.now
            );
        }
        self.last_term = Some(term);
        assert!(
            self.written.insert((owner, seq)),
            "{owner:?}'s message {seq} written twice (at {}, by tab {index})",
            self.now
        );
        let before = self
            .writes
            .iter()
            .rev()
            .find(|write| write.owner == owner)
            .map_or(0, |write| write.seq);
        assert_eq!(seq, before + 1, "{owner:?}'s messages out of order");
        self.writes.push(Write {
            at: self.now,
            writer: index,
            term,
            owner,
            seq,
            discarded,
        });
    }

    fn broadcast(&mut self, from: usize, post: Post, inbound: Option<u64>) {
        for to in 0..self.tabs.len() {
            if to == from || !self.tabs[to].alive {
                continue;
            }
            let at = (self.now + self.dice.upto(self.max_delay)).max(self.channel_tail[from][to]);
            self.channel_tail[from][to] = at;
            let payload = match post {
                Post::Inbound { .. } => inbound,
                _ => None,
            };
            self.deliver(to, at, Input::Post(post, payload));
        }
    }

    fn deliver(&mut self, to: usize, at: Millis, input: Input) {
        insert_by_time(&mut self.tabs[to].inbox, at, input);
    }

    fn request_lock(&mut self, index: usize, steal: bool) {
        // The request replaces the tab's previous one.
        self.lock.queue.retain(|&(tab, _)| tab != index);
        if self.lock.held.is_some_and(|(tab, _)| tab == index) {
            self.release_lock();
        }
        self.lock.next_token += 1;
        let token = self.lock.next_token;
        self.tabs[index].token = token;
        match self.lock.held {
            Some((holder, held_token)) if steal => {
                let at = self.now + self.dice.upto(self.lock_delay);
                self.deliver(holder, at, Input::Lost(held_token));
                self.grant(index, token);
            }
            None => self.grant(index, token),
            Some(_) => self.lock.queue.push_back((index, token)),
        }
    }

    fn grant(&mut self, index: usize, token: u64) {
        self.lock.held = Some((index, token));
        let at = self.now + self.dice.upto(self.lock_delay);
        self.deliver(index, at, Input::Granted(token));
    }

    fn release_lock(&mut self) {
        self.lock.held = None;
        if let Some((next, token)) = self.lock.queue.pop_front() {
            self.grant(next, token);
        }
    }

    fn close_socket(&mut self, index: usize) {
        if self.tabs[index].socket != Socket::None {
            self.tabs[index].socket = Socket::None;
            let now = self.now;
            if let Some(connection) = self
                .connections
                .iter_mut()
                .rev()
                .find(|connection| connection.tab == index && connection.closed.is_none())
            {
                connection.closed = Some(now);
            }
        }
    }
}
