//! Acknowledged delivery on the simulated profile (`share` with `delivery: 'acked'`): the server's
//! session of the group (PROTOCOL.md: one connection holds it, the newest hello closes the older
//! connection, a frame from a connection that no longer holds it is ignored, a gap is a
//! violation) and each holder's connection as `machine::session` numbers and acknowledges, in a
//! model small enough to check by eye.
//!
//! It checks, at the server: no sequence number ever stands for two messages, and no message
//! arrives twice (in one session or across two), each member's messages in its order; at the
//! tabs, that every server message is dispatched once, in order. A hello that acknowledges less
//! than an earlier connection did is refused as the server refuses it (4501, counted in
//! `refusals`).

use std::collections::VecDeque;

use super::{insert_by_time, Input, Sim, Socket};
use resilient_websocket::machine::group::TabId;
use resilient_websocket::machine::Millis;

/// The server's side of the group's session.
pub struct Server {
    /// The incarnation (0: none, or forgotten).
    pub epoch: u64,
    /// Incarnations made so far (the last one's number).
    epochs: u64,
    /// Every session's messages from the group, by sequence number - 1 (the current one last).
    pub sessions: Vec<Vec<(TabId, u64)>>,
    /// The connection (index into `Sim::connections`) that holds the session.
    holder: Option<usize>,
    /// The server's messages of the current session, numbered 1..=sent.
    pub sent: u64,
    /// The highest of them a connection acknowledged: released, never sent again.
    released: u64,
    /// Frames on their way to the server, by arrival.
    inbox: VecDeque<(Millis, Frame)>,
    /// The longest a frame takes to reach the server.
    pub net_delay: Millis,
    /// How long the server takes to acknowledge.
    pub ack_delay: Millis,
    /// Hellos refused for acknowledging less than an earlier connection had.
    pub refusals: u32,
}

impl Server {
    pub fn new() -> Server {
        Server {
            epoch: 0,
            epochs: 0,
            sessions: Vec::new(),
            holder: None,
            sent: 0,
            released: 0,
            inbox: VecDeque::new(),
            net_delay: 5,
            ack_delay: 100,
            refusals: 0,
        }
    }

    /// When the next frame reaches the server.
    pub fn next_arrival(&self) -> Option<Millis> {
        self.inbox.front().map(|&(at, ..)| at)
    }

    /// Every message the group's sessions received.
    pub fn arrivals(&self) -> impl Iterator<Item = &(TabId, u64)> {
        self.sessions.iter().flatten()
    }

    /// What the tabs dispatch for the server's message `seq` of the current session: unique
    /// across sessions, and increasing.
    pub fn payload(&self, seq: u64) -> u64 {
        PER_SESSION * self.sessions.len().saturating_sub(1) as u64 + seq
    }
}

/// Room for each session's server messages in [`Server::payload`].
pub const PER_SESSION: u64 = 1_000_000;

/// A data frame on its way to the server.
#[derive(Clone, Copy)]
struct Frame {
    connection: usize,
    seq: u64,
    owner: TabId,
    /// The owner's number for the message.
    number: u64,
}

/// A holder's connection, as its `machine::session` keeps it.
pub struct Link {
    pub connection: usize,
    epoch: u64,
    /// Continues the group's session: the first welcome's ack is where numbering goes on.
    adopted: bool,
    next_seq: u64,
    /// Sent, not yet acknowledged: (seq, owner, owner's number).
    window: VecDeque<(u64, TabId, u64)>,
    /// Handed to the connection while its socket was not open: numbered when it opens.
    queue: VecDeque<(TabId, u64)>,
    received: u64,
}

impl Sim {
    /// A profile of `tabs` tabs whose group shares one session of acknowledged delivery.
    pub fn new_acked(
        tabs: usize,
        timing: resilient_websocket::machine::group::GroupTiming,
        max_delay: Millis,
        seed: u64,
    ) -> Sim {
        let mut sim = Sim::new(0, timing, max_delay, seed);
        sim.server = Some(Server::new());
        for _ in 0..tabs {
            sim.open_tab();
        }
        sim
    }

    fn server(&mut self) -> &mut Server {
        self.server.as_mut().expect("an acked profile")
    }

    /// The holder's connection starts: it continues the session as its member knows it.
    pub(super) fn adopt(&mut self, index: usize) {
        let (epoch, received) = self.tabs[index]
            .member
            .session_position()
            .expect("an acked member");
        self.tabs[index].link = Some(Link {
            connection: self.connections.len() - 1,
            epoch,
            adopted: true,
            next_seq: 1,
            window: VecDeque::new(),
            queue: VecDeque::new(),
            received,
        });
    }

    /// The holder's socket `index` opened: hello, welcome, resends, open.
    pub(super) fn acked_open(&mut self, index: usize) {
        let now = self.now;
        let mut link = self.tabs[index].link.take().expect("a holder's connection");
        let connection = link.connection;
        let server = self.server();
        if link.epoch != 0 && link.epoch == server.epoch && link.received < server.released {
            // A hello that acknowledges less than an earlier connection did: refused (4501), the
            // session left as it was.
            server.refusals += 1;
            self.connections[connection].closed = Some(now);
            self.tabs[index].member.handle_session_refused(now);
            self.drain(index, None);
            return;
        }
        // The hello takes the session over: the server closes an older connection (4409).
        if let Some(old) = self.server().holder.filter(|&old| old != connection) {
            if self.connections[old].closed.is_none() {
                let tab = self.connections[old].tab;
                self.connections[old].closed = Some(now);
                if self.tabs[tab].link.as_ref().map(|l| l.connection) == Some(old) {
                    self.tabs[tab].socket = Socket::None;
                    if self.tabs[tab].alive {
                        self.deliver(tab, now, Input::SocketClosed);
                    }
                }
            }
        }
        let server = self.server();
        server.holder = Some(connection);
        let resumed = link.epoch != 0 && link.epoch == server.epoch;
        if !resumed {
            // A hello naming no incarnation the server has starts a new one: the old one is lost.
            server.epochs += 1;
            server.epoch = server.epochs;
            server.sessions.push(Vec::new());
            server.sent = 0;
            server.released = 0;
            link.epoch = server.epoch;
            link.received = 0;
            link.next_seq = 1;
            link.window.clear();
        }
        let ack = server.sessions.last().map_or(0, Vec::len) as u64;
        if link.adopted {
            if resumed {
                link.next_seq = ack + 1;
            }
            link.adopted = false;
        } else {
            link.window.retain(|&(seq, ..)| seq > ack);
        }
        let (epoch, resend) = (link.epoch, link.window.clone());
        self.tabs[index].link = Some(link);
        self.tabs[index].socket = Socket::Open;
        // As the driver does: the window again, then `open` (the welcome, then the socket).
        for (seq, owner, number) in resend {
            self.post_numbered(index, owner, number, seq);
            self.transmit(index, seq, owner, number);
        }
        self.tabs[index].member.handle_welcome(now, epoch, ack);
        self.drain(index, None);
        self.tabs[index].member.handle_socket_open(now);
        self.drain(index, None);
        // The replay of what was handed over while the socket was down.
        while let Some((owner, number)) = self.tabs[index]
            .link
            .as_mut()
            .and_then(|link| link.queue.pop_front())
        {
            self.number_and_transmit(index, owner, number);
        }
        // What the server sent and the hello did not acknowledge.
        let received = self.tabs[index].link.as_ref().map_or(0, |l| l.received);
        let sent = self.server().sent;
        for seq in received + 1..=sent {
            self.receive_server_message(index, connection, seq);
        }
    }

    /// The holder writes `owner`'s message `number` on its connection.
    pub(super) fn acked_write(&mut self, index: usize, owner: TabId, number: u64) {
        if self.tabs[index].socket == Socket::Open {
            self.number_and_transmit(index, owner, number);
        } else if let Some(link) = self.tabs[index].link.as_mut() {
            link.queue.push_back((owner, number));
        }
    }

    fn number_and_transmit(&mut self, index: usize, owner: TabId, number: u64) {
        let Some(link) = self.tabs[index].link.as_mut() else {
            return;
        };
        let seq = link.next_seq;
        link.next_seq += 1;
        link.window.push_back((seq, owner, number));
        self.post_numbered(index, owner, number, seq);
        self.transmit(index, seq, owner, number);
    }

    /// The driver's `numbered` hook: the post goes out before the write.
    fn post_numbered(&mut self, index: usize, owner: TabId, number: u64, seq: u64) {
        let post = self.tabs[index]
            .member
            .handle_numbered(owner, number, seq)
            .expect("a holder's number is posted");
        self.broadcast(index, post, None);
    }

    fn transmit(&mut self, index: usize, seq: u64, owner: TabId, number: u64) {
        let Some(connection) = self.tabs[index].link.as_ref().map(|l| l.connection) else {
            return;
        };
        let net_delay = self.server().net_delay;
        let delay = self.dice.upto(net_delay);
        let server = self.server.as_mut().expect("an acked profile");
        // One connection's frames arrive in their order.
        let tail = server
            .inbox
            .iter()
            .filter(|(_, frame)| frame.connection == connection)
            .map(|&(at, _)| at)
            .max()
            .unwrap_or(0);
        let at = (self.now + delay).max(tail);
        let frame = Frame {
            connection,
            seq,
            owner,
            number,
        };
        insert_by_time(&mut server.inbox, at, frame);
    }

    /// The next frame reaches the server.
    pub(super) fn server_receives(&mut self) {
        let now = self.now;
        let Some((_, frame)) = self.server().inbox.pop_front() else {
            return;
        };
        let Frame {
            connection,
            seq,
            owner,
            number,
        } = frame;
        let server = self.server.as_mut().expect("an acked profile");
        if server.holder != Some(connection) {
            // A connection that no longer holds the session (closed with 4409).
            return;
        }
        let mut earlier = server.sessions.iter().flatten();
        let have = server.sessions.last().map_or(0, Vec::len) as u64;
        if seq <= have {
            let kept = server.sessions.last().and_then(|s| s.get(seq as usize - 1));
            assert_eq!(
                kept,
                Some(&(owner, number)),
                "sequence number {seq} stands for two messages"
            );
            return;
        }
        assert_eq!(seq, have + 1, "a gap at the server: {seq} after {have}");
        assert!(
            !earlier.any(|&arrived| arrived == (owner, number)),
            "{owner:?}'s message {number} arrived twice (at {now})"
        );
        let last_of_owner = server
            .arrivals()
            .filter(|(o, _)| *o == owner)
            .map(|&(_, n)| n)
            .max()
            .unwrap_or(0);
        assert!(
            number > last_of_owner,
            "{owner:?}'s message {number} after its {last_of_owner}"
        );
        if let Some(session) = server.sessions.last_mut() {
            session.push((owner, number));
        }
        let at = now + server.ack_delay;
        let tab = self.connections[connection].tab;
        if self.tabs[tab].alive {
            self.deliver(
                tab,
                at,
                Input::Acked {
                    connection,
                    upto: seq,
                },
            );
        }
    }

    /// The server's acknowledgement reaches the holder's connection.
    pub(super) fn acked_by_server(&mut self, index: usize, connection: usize, upto: u64) {
        let open = self.tabs[index].socket == Socket::Open;
        let Some(link) = self.tabs[index].link.as_mut() else {
            return;
        };
        if link.connection != connection || !open {
            return;
        }
        link.window.retain(|&(seq, ..)| seq > upto);
        self.tabs[index].member.handle_socket_acked(self.now, upto);
        self.drain(index, None);
    }

    /// The server loses the session (a restart without its sessions): the connection holding it
    /// closes, and the next hello starts a new one.
    pub fn server_forgets(&mut self) {
        let server = self.server();
        server.epoch = 0;
        server.inbox.clear();
        if let Some(connection) = server.holder.take() {
            let tab = self.connections[connection].tab;
            if self.tabs[tab].link.as_ref().map(|l| l.connection) == Some(connection) {
                self.drop_socket(tab);
            }
        }
    }

    /// The server sends a message on the session's connection; returns its number.
    pub(super) fn acked_server_message(&mut self) -> u64 {
        let server = self.server();
        server.sent += 1;
        let seq = server.sent;
        if let Some(connection) = server.holder {
            let tab = self.connections[connection].tab;
            if self.connections[connection].closed.is_none() && self.tabs[tab].alive {
                // Handled when the tab runs (a frozen tab's socket buffers it).
                self.deliver(tab, self.now, Input::ServerData { connection, seq });
            }
        }
        seq
    }

    /// The holder's connection receives the server's message `seq`, and acknowledges it.
    pub(super) fn receive_server_message(&mut self, index: usize, connection: usize, seq: u64) {
        let open = self.tabs[index].socket == Socket::Open;
        let Some(link) = self.tabs[index].link.as_mut() else {
            return;
        };
        if link.connection != connection || !open || seq <= link.received {
            return;
        }
        assert_eq!(seq, link.received + 1, "a gap in the server's messages");
        link.received = seq;
        self.tabs[index].member.handle_socket_message(self.now, seq);
        let payload = self.server().payload(seq);
        self.drain_with_payload(index, payload);
        // The acknowledgement goes out later (in the driver: a later task, or with the next
        // frame), so only from a connection its member kept (one that steps down closes it).
        if self.tabs[index].link.as_ref().map(|l| l.connection) == Some(connection) {
            let server = self.server();
            server.released = server.released.max(seq);
        }
    }
}
