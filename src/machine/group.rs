//! One connection for every tab (`share: true`, API.md §7): a member's part in its share group, a
//! second small sans-IO machine beside the connection [`Machine`](super::Machine).
//!
//! # Design
//!
//! Every instance with the same URL, protocols and `share` key is a **member** of one group, with
//! a random [`TabId`]. One member, the **holder**, holds the group's Web Lock and runs the only
//! connection (its own connection `Machine`); the others are **followers**. A member that knows of
//! no live holder is **electing**. The driver turns [`GroupOutput`]s into
//! `navigator.locks.request(name, {signal})` (a queued request, so that a closed or crashed holder's
//! lock passes at once to the next member) or `{steal: true}`, and into posts on one
//! `BroadcastChannel`; its lock callbacks, channel messages, socket events and the clock come back
//! as the `handle_*` inputs.
//!
//! - **Terms.** A member granted the lock takes the next [`Term`] (a count above every term it has
//!   heard and at least the wall clock, which orders the terms of members that never heard each
//!   other; then its id) and announces it in a [`Post::Beat`]. Every post of the holder carries its
//!   term; whoever hears a higher term than its own follows it, and a holder that does steps down
//!   and never writes again under the old term (fencing by term). Posts of lower terms are ignored.
//! - **Liveness.** The holder beats every [`GroupTiming::beat`]; a follower that has heard no beat
//!   of the current term for [`GroupTiming::takeover`] asks for one ([`Post::Hello`]) and, if none
//!   comes within [`GroupTiming::confirm`], steals the lock. Web Locks alone cannot see a frozen,
//!   throttled or bfcached holder: it keeps its lock. The confirm is for a follower that was frozen
//!   itself: its timers may run before the beats that arrived meanwhile (a confirm timer that
//!   runs more than a confirm late means this tab was stopped during it: it confirms again).
//!   Followers that doubt
//!   together hear each other's `Hello`: only the lowest steals, the others wait for its beat (two
//!   steals would open two connections, the second taking the lock from the first).
//! - **Lease.** A holder writes only within [`GroupTiming::lease`] of its last beat, by its own
//!   clock: a holder that was frozen past it finds the lease expired before any write, closes its
//!   socket and re-enters the election, even if the loss of its lock has not reached it yet: it
//!   steps down at its first input after the lease, whatever it is, and so neither writes, nor
//!   dispatches or posts what its old socket received (the new holder posts that). A new
//!   holder writes nothing for [`GroupTiming::settle`] after its grant, the time in which the last
//!   confirmations of the previous holder and the loss of the lock of a concurrent stealer arrive.
//! - **Sends.** A member numbers its messages (`seq`, from 1) and keeps each until some holder
//!   confirms it written ([`Post::Sent`]). A follower posts them to the holder of the current term
//!   ([`Post::Send`], with `after`: the highest of its own it knows written) once that holder says
//!   its socket is writable, and again, all unconfirmed in order, on every new term or reopening.
//!   The holder writes a member's message only if it is the next after the highest written (so
//!   per-tab order holds across holders) and re-confirms those already written, so a message the old
//!   holder confirmed is never written again by the new one.
//! - **Inbound.** The holder posts every message it receives ([`Post::Inbound`]); followers dispatch
//!   those of their current term or higher.
//!
//! # Acknowledged delivery ([`Member::new_acked`])
//!
//! With `delivery: 'acked'` (PROTOCOL.md) the group shares **one session**: each holder's
//! connection continues it (`Machine::adopt_session`, with [`Member::session_position`]), and the
//! server's takeover close (4409) fences the older connection. The session numbers the group's
//! messages (`wire`, one sequence for every tab) and the server's; what is confirmed to a member
//! is what the server has, not what a holder wrote.
//!
//! - **Numbers.** The holder's connection calls [`Member::handle_numbered`] just before it writes a
//!   message's frame, and the driver posts the [`Post::Numbered`] at once, before the write. A post
//!   made just before a tab's process dies still reaches the other tabs (measured in the three
//!   engines), so a member whose message reached the server knows its number. The server's acks
//!   come as [`Post::Acked`] and confirm ([`GroupOutput::Written`]) the numbers of that term.
//! - **Takeover.** A new holder connects only after its settle, when the last posts of the previous
//!   holder have arrived; its followers answer its first beat with their [`Post::Position`], and its
//!   hello names the highest `received` it heard (the server refuses a hello that acknowledges less
//!   than an earlier connection did: [`Member::handle_session_refused`]). Its [`Post::Welcome`] says
//!   how far the server has the group's messages (`ack`), which settles every number an older term
//!   gave: up to `ack` the message is at the server (confirmed), above it it never arrived and
//!   never will (the older connections are fenced), and goes again as a new message. Numbers of an
//!   older term heard after that welcome are ignored.
//! - **Inbound.** Posts carry the server's numbers, and each member dispatches each number once, in
//!   order, whichever holder posted it (the last holder's posts may come after the new one's beat,
//!   and the new one's connection may be sent again what the last one received).
//! - **Incarnations.** A welcome into another incarnation (the server lost the session) drops the
//!   member's numbered messages ([`GroupOutput::Unconfirmed`]: they may or may not have arrived)
//!   and reports [`GroupOutput::SessionLost`]; messages never numbered go into the new one.
//!   Incarnations have no order: a member changes its own only by a newer term's welcome, and a
//!   settling holder that slept through a welcome learns it from its followers' answers.
//!
//! Limits: a holder stopped inside a write (between the post of its number and the write, by a
//! debugger or a stopped process) whose write reaches the server between the new holder's hello
//! and the server's 4409, and whose post comes after the new holder's welcome at some member, has
//! that member's message written twice; a new holder that joined after messages were received,
//! with every member that heard them frozen or gone, is refused and starts a new session (the
//! loss is reported).
//!
//! The driver (js/share-link.js) maps it onto the browser so: one lock name and one channel name per
//! group (the URL, the protocols and the `share` key); [`GroupOutput::RequestLock`] is
//! `navigator.locks.request(name, {signal}, cb)` or `{steal: true}` after aborting the pending one,
//! where `cb` calls [`Member::handle_lock_granted`] (with `performance.now()` and `Date.now()`)
//! and returns a promise kept until [`GroupOutput::ReleaseLock`]; the request's promise rejecting
//! while held is [`Member::handle_lock_lost`], and a grant to an aborted request is let go at once.
//! [`GroupOutput::Connect`] and [`GroupOutput::Disconnect`] start and stop the holder's connection
//! `Machine` (`Disconnect` detached: nothing more goes out); its open, close and message events are
//! the `handle_socket_*` inputs. pagehide and freeze call [`Member::leave`], so that the lock passes
//! at once instead of after the takeover time.
//!
//! Guarantees, for members whose event loop runs (a running tab handles a post or the loss of its
//! lock within `settle`; a tab resumed from a freeze handles what arrived during it before its
//! timers): the terms of writes never decrease over time (never two holders writing at once); a
//! member's messages are written in its order, none twice, and none lost while the member lives;
//! a new holder is elected within `takeover + confirm` plus the delivery time of a post after the
//! holder's last beat. Limits: a message written whose confirmation never left (the holder's process died
//! between the two) is written again by the next holder; a throttled holder whose socket stays open
//! overlaps the new holder's socket at the server until it runs again (a closed, crashed or frozen
//! holder's socket closes with it).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::shared::Millis;

/// The longest takeover API.md §7 allows: `min(heartbeat.timeout, 2 s)`.
pub const MAX_TAKEOVER_BOUND: Millis = 2000;

/// A member of a share group: one instance, in one tab. Random (the driver draws it), so that two
/// members never share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TabId(pub u64);

/// A holder's term: its grant's count, then the holder. Ordered, so ties of two concurrent
/// stealers have one winner in every member's eyes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    /// Above the highest count the holder had heard when it was granted the lock, and at least
    /// the wall clock's milliseconds then.
    pub count: u64,
    /// The member that holds it.
    pub holder: TabId,
}

/// The group's clock, in milliseconds. Safety needs `lease <= takeover` and `settle` longer than
/// the time a running tab takes to receive a post (in browsers, a few milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupTiming {
    /// The holder beats this often.
    pub beat: Millis,
    /// The holder writes only this long after its last beat.
    pub lease: Millis,
    /// A follower that has heard no beat this long starts to doubt the holder.
    pub takeover: Millis,
    /// A doubting follower that hears no beat for this long steals the lock: the time in which a
    /// tab that was frozen itself handles the beats that arrived meanwhile (its timers may run
    /// before them), and a live holder answers a [`Post::Hello`].
    pub confirm: Millis,
    /// A new holder writes nothing this long after its grant.
    pub settle: Millis,
}

impl GroupTiming {
    /// The timing that takes over within `bound` (see [`GroupTiming::bound`]): a beat every
    /// eighth, a takeover (and lease) of a half, a confirm of an eighth, a settle of an eighth.
    /// The followers are open again after `takeover + confirm + settle` (three quarters) plus the
    /// lock's, the channel's and the connection's latencies. The beat runs on a worker's timer
    /// (js/share-timer.js), which a hidden tab does not throttle; the lease outlasts a beat by
    /// three eighths (750 ms of 2 s), the longest task the holder's page may run without handing
    /// over (the app's own, or a tab's load: a 500 ms task made a lease of two beats lapse).
    pub fn for_bound(bound: Millis) -> GroupTiming {
        let eighth = (bound / 8).max(1);
        GroupTiming {
            beat: eighth,
            lease: 4 * eighth,
            takeover: 4 * eighth,
            confirm: eighth,
            settle: eighth,
        }
    }

    /// `min(heartbeat.timeout, 2 s)`, or 2 s without a heartbeat.
    pub fn bound(heartbeat_timeout: Option<Millis>) -> Millis {
        heartbeat_timeout.map_or(MAX_TAKEOVER_BOUND, |timeout| {
            timeout.min(MAX_TAKEOVER_BOUND)
        })
    }
}

/// A member's part in the group, as the local instance shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Knows of no live holder and waits for the lock.
    Electing,
    /// Follows the holder of the highest term it has heard.
    Follower,
    /// Holds the lock and the connection.
    Holder,
    /// Left the group ([`Member::leave`]); does nothing more.
    Left,
}

/// A message on the group's channel. The driver adds the payload to [`Post::Send`] (the member's
/// own message `seq`) and [`Post::Inbound`] (the message the socket just received).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Post {
    /// A member asks the holder to announce itself: as it joins, or as it doubts the holder.
    Hello {
        /// The member asking.
        from: TabId,
        /// It heard no beat for [`GroupTiming::takeover`] and steals the lock unless a beat comes
        /// within [`GroupTiming::confirm`]. Of the members doubting together only the lowest
        /// steals: the others wait for its beat ([`Member`]'s `rival`).
        doubting: bool,
    },
    /// The holder is alive; `open`: its socket is writable (followers send now).
    Beat {
        /// The holder's term.
        term: Term,
        /// Open, and past its settle.
        open: bool,
        /// Acknowledged delivery: the incarnation of the group's session (0: none welcomed yet).
        epoch: u64,
        /// Acknowledged delivery: the highest of the server's messages the holder received. A
        /// member that joined after those were posted learns it here (the holder answers its
        /// hello with a beat), in case it must name it in a hello of its own.
        received: u64,
    },
    /// A follower's message for the holder of `term`.
    Send {
        /// The holder it is for.
        term: Term,
        /// The sender.
        from: TabId,
        /// The sender's number for it.
        seq: u64,
        /// The highest of the sender's messages it knows written.
        after: u64,
    },
    /// A holder wrote `owner`'s messages up to `upto`.
    Sent {
        /// The holder that wrote them.
        term: Term,
        /// The member whose messages they are.
        owner: TabId,
        /// The highest written.
        upto: u64,
    },
    /// The holder's socket received a message.
    Inbound {
        /// The holder's term.
        term: Term,
        /// Acknowledged delivery: the server's number for it (0 in plain delivery).
        seq: u64,
        /// Acknowledged delivery: the incarnation it belongs to.
        epoch: u64,
    },
    /// Acknowledged delivery: the holder's connection is about to write `owner`'s message `seq`
    /// as the session's message `wire`. Posted before the write, so that a member whose message
    /// reached the server knows its number even if the holder's tab dies right after.
    Numbered {
        /// The holder's term.
        term: Term,
        /// The member whose message it is.
        owner: TabId,
        /// The member's number for it.
        seq: u64,
        /// The session's number for it.
        wire: u64,
    },
    /// Acknowledged delivery: the holder's connection was welcomed into incarnation `epoch`, the
    /// server having the session's messages up to `ack`.
    Welcome {
        /// The holder's term.
        term: Term,
        /// The incarnation.
        epoch: u64,
        /// The last of the group's messages the server has.
        ack: u64,
    },
    /// Acknowledged delivery: a follower's answer to the first beat of a new term: where the
    /// session stands as it knows it. The new holder's hello names the highest `received` it
    /// hears before it connects: the server refuses a hello that acknowledges less than an
    /// earlier connection did, and the new holder may have joined after those messages.
    Position {
        /// The new holder's term.
        term: Term,
        /// The incarnation the follower knows (0: none).
        epoch: u64,
        /// The highest of the server's messages it received.
        received: u64,
        /// The count of the term of the last welcome it heard (0: none): the later one tells.
        welcomed: u64,
    },
    /// Acknowledged delivery: the server acknowledged the session's messages up to `upto`.
    Acked {
        /// The holder's term: the numbers it gave.
        term: Term,
        /// The highest acknowledged.
        upto: u64,
    },
}

/// A side effect the driver performs, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupOutput {
    /// Post on the channel (with the payload, for `Send` and `Inbound`).
    Post(Post),
    /// Ask for the lock, replacing any pending request: queued, or taken from its holder.
    RequestLock {
        /// Take it (`{steal: true}`).
        steal: bool,
    },
    /// Let the lock go (if held).
    ReleaseLock,
    /// This member became the holder: start the connection.
    Connect,
    /// Stop the connection at once (detached), writing nothing more.
    Disconnect,
    /// Write a message on the socket now: the member's own `seq`, or the `Send` post just handled.
    Write {
        /// Whose message.
        owner: TabId,
        /// Its number.
        seq: u64,
    },
    /// Dispatch to the local instance the `Inbound` post just handled, or (the holder) the message
    /// its socket just received.
    Deliver,
    /// The member's own message `seq` was written (by some holder; with acknowledged delivery:
    /// the server has it): its payload can go.
    Written {
        /// Its number.
        seq: u64,
    },
    /// Acknowledged delivery: the group's session was lost with the member's own message `seq`
    /// in it, sent and perhaps never arrived: dropped, and reported (`drop`, `'unconfirmed'`).
    Unconfirmed {
        /// Its number.
        seq: u64,
    },
    /// Acknowledged delivery: the group's session was lost (`sessionlost`), after the
    /// [`GroupOutput::Unconfirmed`] of the member's messages in it.
    SessionLost {
        /// How many of them.
        unconfirmed: u32,
    },
    /// The member's role changed.
    RoleChange(Role),
}

/// The holder's own state.
#[derive(Clone, Copy, Debug)]
struct Holding {
    term: Term,
    socket_open: bool,
    /// No write before this.
    settled_at: Millis,
    /// The followers have been told the socket is writable.
    announced_open: bool,
    /// No write from this on, unless a beat renews it first.
    lease_until: Millis,
    next_beat: Millis,
    /// The connection was started ([`GroupOutput::Connect`]): at the grant, or with acknowledged
    /// delivery at the settle, when the previous holder's last posts have arrived (its hello
    /// then names every server message the previous holder had acknowledged).
    connected: bool,
}

/// A member's own message that a holder numbered in the group's session.
#[derive(Clone, Copy, Debug)]
struct Numbering {
    /// The member's number for it.
    seq: u64,
    /// The session's.
    wire: u64,
    /// The holder that gave it.
    term: Term,
}

/// What a member knows of the group's one session (acknowledged delivery). See the module's
/// header, "Acknowledged delivery".
#[derive(Clone, Debug, Default)]
struct SharedSession {
    /// The incarnation (0: none known).
    epoch: u64,
    /// The term of the last welcome heard: numbers given by older terms were settled by it.
    welcomed: Option<Term>,
    /// The highest of the server's messages dispatched.
    received: u64,
    /// The highest `received` heard from others (a holder's beat, or as a new holder still
    /// settling, its followers' [`Post::Position`]): not dispatched here (their posts may still
    /// be on their way, or came before this member joined), but named in a hello of its own.
    heard: u64,
    /// The member's own messages that a holder numbered, in order.
    numbered: Vec<Numbering>,
    /// The highest of the member's own messages confirmed (the server has it) or reported lost;
    /// the ones before it are too. (The holder's table of what it wrote counts what it handed to
    /// its connection, which may still be lost with it.)
    confirmed: u64,
}

/// One member of a share group. After **every** call, drain [`Member::poll_output`] and re-arm the
/// timer at [`Member::poll_timeout`].
#[derive(Debug)]
pub struct Member {
    id: TabId,
    timing: GroupTiming,
    role: Role,
    holding: Option<Holding>,
    /// The highest term heard or held.
    known: Option<Term>,
    /// The holder of `known` said its socket is writable.
    holder_open: bool,
    /// When the last beat of `known` arrived (or the wait for one began).
    last_heard: Millis,
    /// No beat for `takeover`: a steal follows at this time unless a beat comes first.
    doubting_until: Option<Millis>,
    /// A steal is pending: no second one until it is answered.
    stealing: bool,
    /// When a doubting [`Post::Hello`] of a lower member last arrived: that member steals first,
    /// and this one gives its beat `2 * confirm` from then to arrive before stealing itself. Two
    /// members that doubt together would otherwise both steal, the second taking the lock (and a
    /// connection already opened) from the first.
    rival: Option<Millis>,
    next_seq: u64,
    /// The member's own messages not known written, in order.
    unconfirmed: VecDeque<u64>,
    /// The highest message of each member known written, by any holder. A list, not a map: a
    /// group has a few members, and a map's code would cost the wasm module more than the search.
    written: Vec<(TabId, u64)>,
    /// Acknowledged delivery: the group's session as this member knows it (`None`: plain).
    session: Option<SharedSession>,
    outputs: VecDeque<GroupOutput>,
}

impl Member {
    /// Joins the group: asks for the lock (queued) and for the holder's announcement.
    pub fn new(id: TabId, timing: GroupTiming, now: Millis) -> Member {
        let mut member = Member {
            id,
            timing,
            role: Role::Electing,
            holding: None,
            known: None,
            holder_open: false,
            last_heard: now,
            doubting_until: None,
            stealing: false,
            rival: None,
            next_seq: 0,
            unconfirmed: VecDeque::new(),
            written: Vec::new(),
            session: None,
            outputs: VecDeque::new(),
        };
        member.push(GroupOutput::RequestLock { steal: false });
        member.push(GroupOutput::Post(Post::Hello {
            from: id,
            doubting: false,
        }));
        member
    }

    /// Joins a group with acknowledged delivery (`share` with `delivery: 'acked'`): the group
    /// shares one session, and a message counts as confirmed only once the server has it.
    pub fn new_acked(id: TabId, timing: GroupTiming, now: Millis) -> Member {
        let mut member = Member::new(id, timing, now);
        member.session = Some(SharedSession::default());
        member
    }

    /// Acknowledged delivery: the incarnation of the group's session this member knows (0:
    /// none) and the highest of the server's messages the group received, as far as it heard:
    /// what a new holder's connection continues (`Machine::adopt_session`). `None` in plain
    /// delivery.
    pub fn session_position(&self) -> Option<(u64, u64)> {
        self.session
            .as_ref()
            .map(|session| (session.epoch, session.received.max(session.heard)))
    }

    /// Acknowledged delivery: whether the member's own message `seq` was numbered in the
    /// group's session (sent, not yet confirmed): on a close, it may or may not arrive.
    pub fn is_numbered(&self, seq: u64) -> bool {
        self.session
            .as_ref()
            .is_some_and(|session| session.numbered.iter().any(|n| n.seq == seq))
    }

    /// The member's id.
    pub fn id(&self) -> TabId {
        self.id
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The term this member holds, if it is the holder.
    pub fn holding(&self) -> Option<Term> {
        self.holding.map(|holding| holding.term)
    }

    /// Whether the group's connection is writable as this member knows it: for the holder, open
    /// and announced so (past its settle); for a follower, the holder of the highest term it heard
    /// said so last. The driver shows the local instance's socket open while this holds.
    pub fn group_open(&self) -> bool {
        match self.holding {
            Some(holding) => holding.announced_open,
            None => self.role == Role::Follower && self.holder_open,
        }
    }

    /// How many of the member's own messages wait for a holder to write them.
    pub fn unconfirmed(&self) -> usize {
        self.unconfirmed.len()
    }

    /// The next side effect.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<GroupOutput> {
        self.outputs.pop_front()
    }

    /// The earliest deadline (beat, settle, takeover); call [`Member::handle_timeout`] then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        match (self.role, self.holding) {
            (Role::Holder, Some(holding))
                if !holding.connected || (!holding.announced_open && holding.socket_open) =>
            {
                Some(holding.next_beat.min(holding.settled_at))
            }
            (Role::Holder, Some(holding)) => Some(holding.next_beat),
            (Role::Electing | Role::Follower, _) if !self.stealing => Some(
                self.doubting_until
                    .unwrap_or(self.last_heard + self.timing.takeover),
            ),
            _ => None,
        }
    }

    /// The local instance sends a message: returns its number, by which the driver keeps the
    /// payload until [`GroupOutput::Written`].
    pub fn send(&mut self, now: Millis) -> u64 {
        self.lapse(now);
        self.next_seq += 1;
        let seq = self.next_seq;
        self.unconfirmed.push_back(seq);
        match self.role {
            Role::Holder => self.write_own(now),
            Role::Follower if self.holder_open => self.post_send(seq),
            _ => {}
        }
        seq
    }

    /// The lock was granted: this member is the holder of a new term. `wall` is the wall clock in
    /// milliseconds (`Date.now()`, the one clock all tabs share): a member that joined after the
    /// last holder's announcement, or slept through it, knows no term, and the wall clock still
    /// puts its term above every earlier one.
    pub fn handle_lock_granted(&mut self, now: Millis, wall: u64) {
        if matches!(self.role, Role::Holder | Role::Left) {
            return;
        }
        let term = Term {
            count: self.known.map_or(1, |known| known.count + 1).max(wall),
            holder: self.id,
        };
        self.known = Some(term);
        self.stealing = false;
        self.holder_open = false;
        self.holding = Some(Holding {
            term,
            socket_open: false,
            settled_at: now + self.timing.settle,
            announced_open: false,
            lease_until: now + self.timing.lease,
            next_beat: now + self.timing.beat,
            connected: self.session.is_none(),
        });
        if let Some(confirmed) = self.session.as_ref().map(|session| session.confirmed) {
            // What earlier holders handed to their connections may be lost with them: this one
            // starts from what the server is known to have (and each sender's `after`).
            self.written.clear();
            self.set_written(self.id, confirmed);
        }
        self.set_role(Role::Holder);
        self.push_beat(term, false);
        if self.session.is_none() {
            self.push(GroupOutput::Connect);
        }
    }

    /// The lock was taken from this member (stolen) or its request failed.
    pub fn handle_lock_lost(&mut self, now: Millis) {
        match self.role {
            Role::Holder => {
                self.step_down(now, Role::Electing);
                self.push(GroupOutput::RequestLock { steal: false });
            }
            Role::Electing | Role::Follower if self.stealing => {
                self.stealing = false;
                self.last_heard = now;
                self.push(GroupOutput::RequestLock { steal: false });
            }
            _ => {}
        }
    }

    /// The holder's socket opened.
    pub fn handle_socket_open(&mut self, now: Millis) {
        self.lapse(now);
        if let Some(holding) = self.holding.as_mut() {
            holding.socket_open = true;
            self.announce_if_writable(now);
        }
    }

    /// The holder's socket closed or was lost (its connection machine reconnects).
    pub fn handle_socket_closed(&mut self, now: Millis) {
        self.lapse(now);
        if let Some(holding) = self.holding.as_mut() {
            holding.socket_open = false;
            if holding.announced_open {
                holding.announced_open = false;
                let term = holding.term;
                self.push_beat(term, false);
            }
        }
    }

    /// The holder's socket received a data message, numbered `seq` by the server (acknowledged
    /// delivery; 0 in plain): the driver dispatches it and posts it, with its payload. A holder
    /// past its lease steps down first and does neither: a newer holder may be receiving the
    /// same message, which it posts, and every instance gets it once.
    pub fn handle_socket_message(&mut self, now: Millis, seq: u64) {
        self.lapse(now);
        if let Some(holding) = self.holding {
            let mut epoch = 0;
            if let Some(session) = self.session.as_mut() {
                // Dispatched already from the previous holder's post.
                if seq <= session.received {
                    return;
                }
                session.received = seq;
                epoch = session.epoch;
            }
            self.push(GroupOutput::Deliver);
            self.push(GroupOutput::Post(Post::Inbound {
                term: holding.term,
                seq,
                epoch,
            }));
        }
    }

    /// Acknowledged delivery: the holder's connection was welcomed into incarnation `epoch`,
    /// the server having the session's messages up to `ack` (before its `open`, which is
    /// [`Member::handle_socket_open`]). Settles the member's own numbers and tells the group.
    pub fn handle_welcome(&mut self, now: Millis, epoch: u64, ack: u64) {
        self.lapse(now);
        let Some(term) = self.holding() else {
            return;
        };
        if self.session.is_some() {
            self.welcomed(term, epoch, ack);
            self.push(GroupOutput::Post(Post::Welcome { term, epoch, ack }));
        }
    }

    /// Acknowledged delivery: the server refused the hello of the holder's connection because it
    /// acknowledged fewer of the server's messages than an earlier connection had (4501 before
    /// the welcome). The group cannot continue its session then: every member that heard those
    /// messages is gone or frozen, and this one joined after them. It starts a new session, and
    /// every member reports the loss (`Unconfirmed`, `SessionLost`) as it hears of it.
    pub fn handle_session_refused(&mut self, now: Millis) {
        self.lapse(now);
        if self.holding.is_none() || self.session.is_none() {
            return;
        }
        self.at_epoch(0);
        self.push(GroupOutput::Disconnect);
        self.push(GroupOutput::Connect);
    }

    /// Acknowledged delivery: the server acknowledged the session's messages up to `upto` on the
    /// holder's connection.
    pub fn handle_socket_acked(&mut self, now: Millis, upto: u64) {
        self.lapse(now);
        let Some(term) = self.holding() else {
            return;
        };
        if self.session.is_some() {
            self.acked(term, upto);
            self.push(GroupOutput::Post(Post::Acked { term, upto }));
        }
    }

    /// Acknowledged delivery: the holder's connection is about to write `owner`'s message `seq`
    /// as the session's message `wire`. Returns the [`Post::Numbered`] to post **at once**,
    /// before the write (not queued behind the outputs of the step that caused the write).
    pub fn handle_numbered(&mut self, owner: TabId, seq: u64, wire: u64) -> Option<Post> {
        let term = self.holding()?;
        self.session.as_ref()?;
        if owner == self.id {
            self.numbered(term, seq, wire);
        }
        Some(Post::Numbered {
            term,
            owner,
            seq,
            wire,
        })
    }

    /// A post from another member arrived on the channel.
    pub fn handle_post(&mut self, now: Millis, post: Post) {
        if self.role == Role::Left {
            return;
        }
        self.lapse(now);
        match post {
            Post::Hello { from, doubting } => {
                if let Some(holding) = self.holding {
                    self.push_beat(holding.term, holding.announced_open);
                } else if doubting && from < self.id {
                    self.rival = Some(now);
                }
            }
            Post::Beat {
                term,
                open,
                epoch,
                received,
            } => {
                let newer = self.known.is_none_or(|known| term > known);
                self.heard_beat(now, term, open);
                if self.known == Some(term) && self.holding.is_none() {
                    self.heard_position(epoch, received, None);
                    if newer {
                        self.answer_position(term);
                    }
                }
            }
            Post::Position {
                term,
                epoch,
                received,
                welcomed,
            } => {
                let settling = self
                    .holding
                    .is_some_and(|holding| holding.term == term && !holding.connected);
                if settling {
                    self.heard_position(epoch, received, Some(welcomed));
                }
            }
            Post::Send {
                term,
                from,
                seq,
                after,
            } => self.forwarded(now, term, from, seq, after),
            Post::Sent { owner, upto, .. } => self.confirmed(owner, upto),
            Post::Inbound { term, seq, epoch } => {
                if self.known.is_some_and(|known| term < known) {
                    // Acknowledged delivery: the server's message all the same, which the new
                    // holder's connection is not sent again if the old one acknowledged it.
                    // A new holder still settling (not yet connected) needs them too: its hello
                    // names the last it has.
                    if self.fresh_inbound(epoch, seq, false) {
                        self.push(GroupOutput::Deliver);
                    }
                    return;
                }
                // A newer holder's message, before its beat: it is the holder now (a holder steps
                // down), and its messages are the ones to dispatch.
                if self.known != Some(term) {
                    self.heard_beat(now, term, false);
                }
                if self.holding.is_some() {
                    return;
                }
                if self.session.is_none() || self.fresh_inbound(epoch, seq, true) {
                    self.push(GroupOutput::Deliver);
                }
            }
            Post::Numbered {
                term,
                owner,
                seq,
                wire,
            } => {
                if owner == self.id {
                    self.numbered(term, seq, wire);
                }
            }
            Post::Welcome { term, epoch, ack } => {
                if self.known.is_some_and(|known| term < known) {
                    return;
                }
                self.welcomed(term, epoch, ack);
            }
            Post::Acked { term, upto } => self.acked(term, upto),
        }
    }

    /// The timer fired.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.lapse(now);
        match self.role {
            Role::Holder => {
                let Some(mut holding) = self.holding else {
                    return;
                };
                if now >= holding.next_beat {
                    holding.lease_until = now + self.timing.lease;
                    holding.next_beat = now + self.timing.beat;
                    self.holding = Some(holding);
                    self.push_beat(holding.term, holding.announced_open);
                }
                if !holding.connected && now >= holding.settled_at {
                    holding.connected = true;
                    self.holding = Some(holding);
                    self.push(GroupOutput::Connect);
                }
                self.announce_if_writable(now);
            }
            Role::Electing | Role::Follower => {
                if self.stealing {
                    return;
                }
                match self.doubting_until {
                    Some(until) if now > until + self.timing.confirm => {
                        // The timer ran late: this tab was frozen itself during the confirm, and
                        // its timers may run before the beats that arrived meanwhile (Chromium
                        // resumed from a pause does). Confirm again, after hearing them.
                        self.doubting_until = Some(now + self.timing.confirm);
                        self.push(GroupOutput::Post(Post::Hello {
                            from: self.id,
                            doubting: true,
                        }));
                    }
                    Some(until) if now >= until => {
                        // A lower member doubts too: its steal's beat comes first.
                        let yield_until = self
                            .rival
                            .take()
                            .map(|heard| heard + 2 * self.timing.confirm);
                        if let Some(wait) = yield_until.filter(|&wait| now < wait) {
                            self.doubting_until = Some(wait);
                            return;
                        }
                        self.doubting_until = None;
                        self.stealing = true;
                        self.push(GroupOutput::RequestLock { steal: true });
                    }
                    None if now >= self.last_heard + self.timing.takeover => {
                        // The silence may be this tab's own freeze: hear the backlog (and the
                        // holder's answer) before taking the lock away.
                        self.doubting_until = Some(now + self.timing.confirm);
                        self.push(GroupOutput::Post(Post::Hello {
                            from: self.id,
                            doubting: true,
                        }));
                    }
                    _ => {}
                }
            }
            Role::Left => {}
        }
    }

    /// The instance closes or its page goes away: stop holding, stop everything.
    pub fn leave(&mut self, now: Millis) {
        if self.role == Role::Holder {
            self.step_down(now, Role::Left);
        } else {
            self.set_role(Role::Left);
        }
        self.push(GroupOutput::ReleaseLock);
    }

    /// A holder frozen or throttled past its lease steps down at its first input after it,
    /// whatever that input is (a post, a socket event, its timer): someone may hold a newer term,
    /// and nothing of the old one counts any more.
    fn lapse(&mut self, now: Millis) {
        if self
            .holding
            .is_some_and(|holding| now >= holding.lease_until)
        {
            self.step_down(now, Role::Electing);
            self.push(GroupOutput::ReleaseLock);
            self.push(GroupOutput::RequestLock { steal: false });
        }
    }

    /// Whether the holder may write now: socket open, settled, within its lease.
    fn writable(&self, now: Millis) -> bool {
        self.holding.is_some_and(|holding| {
            holding.socket_open && now >= holding.settled_at && now < holding.lease_until
        })
    }

    fn announce_if_writable(&mut self, now: Millis) {
        if !self.writable(now) {
            return;
        }
        if let Some(holding) = self.holding.as_mut() {
            if !holding.announced_open {
                holding.announced_open = true;
                let term = holding.term;
                self.push_beat(term, true);
            }
        }
        self.write_own(now);
    }

    fn heard_beat(&mut self, now: Millis, term: Term, open: bool) {
        if self.known.is_some_and(|known| term < known) {
            return;
        }
        let newer = self.known != Some(term);
        if newer {
            self.known = Some(term);
            if self.role == Role::Holder {
                self.step_down(now, Role::Follower);
                self.push(GroupOutput::ReleaseLock);
                self.push(GroupOutput::RequestLock { steal: false });
            } else if self.stealing {
                // Someone else took over first: queue behind it instead of taking it away.
                self.stealing = false;
                self.push(GroupOutput::RequestLock { steal: false });
            }
            self.holder_open = false;
        }
        if self.role == Role::Holder {
            return;
        }
        self.set_role(Role::Follower);
        self.last_heard = now;
        self.doubting_until = None;
        self.rival = None;
        let reopened = open && !self.holder_open;
        self.holder_open = open;
        if reopened {
            let pending: Vec<u64> = self.unconfirmed.iter().copied().collect();
            for seq in pending {
                self.post_send(seq);
            }
        }
    }

    fn forwarded(&mut self, now: Millis, term: Term, from: TabId, seq: u64, after: u64) {
        if self.holding.map(|holding| holding.term) != Some(term) || !self.writable(now) {
            return;
        }
        let written = self.written_of(from).max(after);
        let acked = self.session.is_some();
        if seq <= written {
            self.set_written(from, written);
            // Acknowledged delivery: handed to the connection, which confirms it once the server
            // has it (`Post::Acked`).
            if !acked {
                self.push(GroupOutput::Post(Post::Sent {
                    term,
                    owner: from,
                    upto: written,
                }));
            }
        } else if seq == written + 1 {
            self.set_written(from, seq);
            self.push(GroupOutput::Write { owner: from, seq });
            if !acked {
                self.push(GroupOutput::Post(Post::Sent {
                    term,
                    owner: from,
                    upto: seq,
                }));
            }
        }
        // A gap: an earlier one was not taken; the sender resends all on the next opening.
    }

    fn confirmed(&mut self, owner: TabId, upto: u64) {
        if upto > self.written_of(owner) {
            self.set_written(owner, upto);
        }
        if owner == self.id {
            self.release_written();
        }
    }

    /// The holder writes its own unconfirmed messages, in order.
    fn write_own(&mut self, now: Millis) {
        let Some(holding) = self.holding else {
            return;
        };
        if !self.writable(now) {
            return;
        }
        let mut written = self.written_of(self.id);
        let mut wrote = false;
        for &seq in &self.unconfirmed {
            if seq == written + 1 {
                self.outputs.push_back(GroupOutput::Write {
                    owner: self.id,
                    seq,
                });
                written = seq;
                wrote = true;
            }
        }
        if self.session.is_some() {
            // Confirmed once the server has them (`handle_socket_acked`).
            self.set_written(self.id, written);
            return;
        }
        if wrote {
            self.set_written(self.id, written);
            self.push(GroupOutput::Post(Post::Sent {
                term: holding.term,
                owner: self.id,
                upto: written,
            }));
        }
        self.release_written();
    }

    fn release_written(&mut self) {
        let written = self.written_of(self.id);
        while let Some(&seq) = self.unconfirmed.front() {
            if seq > written {
                break;
            }
            self.unconfirmed.pop_front();
            self.push(GroupOutput::Written { seq });
        }
    }

    fn post_send(&mut self, seq: u64) {
        if let Some(term) = self.known {
            let after = self
                .session
                .as_ref()
                .map_or_else(|| self.written_of(self.id), |session| session.confirmed);
            self.push(GroupOutput::Post(Post::Send {
                term,
                from: self.id,
                seq,
                after,
            }));
        }
    }

    /// Acknowledged delivery: whether the server's message `seq` of incarnation `epoch` is one
    /// this member has not dispatched (a new holder's connection may be sent again what the
    /// last one received, and the last one's posts may come after the new one's beat); if so it
    /// counts as received. A member that knows no incarnation yet learns it from the current
    /// holder's message (`current`).
    fn fresh_inbound(&mut self, epoch: u64, seq: u64, current: bool) -> bool {
        if current && self.session.as_ref().is_some_and(|s| s.epoch == 0) {
            self.at_epoch(epoch);
        }
        let Some(session) = self.session.as_mut() else {
            return false;
        };
        if seq <= session.received || epoch != session.epoch {
            return false;
        }
        session.received = seq;
        true
    }

    /// Another member said where the session stands: incarnation `epoch`, with the server's
    /// messages received up to `received` (not dispatched here: their posts may still be on
    /// their way, or came before this member joined; but a hello of this member names them).
    /// Incarnations have no order, so a member changes its own only by a welcome (a newer
    /// term's, [`Post::Welcome`]), except one that knows none (it joined late, from a beat), or
    /// a settling holder hearing from a follower that heard a later welcome (`welcomed`: that
    /// welcome's term count): a holder frozen for long must not start a new session because
    /// it slept through the last welcome.
    fn heard_position(&mut self, epoch: u64, received: u64, welcomed: Option<u64>) {
        let Some(session) = self.session.as_ref() else {
            return;
        };
        let ours = session.welcomed.map_or(0, |term| term.count);
        let later = welcomed.is_some_and(|count| count > ours);
        if epoch != 0 && epoch != session.epoch && (session.epoch == 0 || later) {
            self.at_epoch(epoch);
            if let (Some(session), Some(count)) = (self.session.as_mut(), welcomed) {
                // Only the count is known of that term: the lowest term of that count.
                session.welcomed = Some(Term {
                    count,
                    holder: TabId(0),
                });
            }
        }
        if let Some(session) = self.session.as_mut().filter(|s| s.epoch == epoch) {
            session.heard = session.heard.max(received);
        }
    }

    /// A follower answers a new term's first beat with where the session stands, as it knows it.
    fn answer_position(&mut self, term: Term) {
        let (Some((epoch, received)), Some(session)) = (self.session_position(), &self.session)
        else {
            return;
        };
        let welcomed = session.welcomed.map_or(0, |term| term.count);
        self.push(GroupOutput::Post(Post::Position {
            term,
            epoch,
            received,
            welcomed,
        }));
    }

    /// The holder's beat, with where its session stands (acknowledged delivery).
    fn push_beat(&mut self, term: Term, open: bool) {
        let (epoch, received) = self.session_position().unwrap_or((0, 0));
        self.push(GroupOutput::Post(Post::Beat {
            term,
            open,
            epoch,
            received,
        }));
    }

    /// The group's session is at incarnation `epoch`. A change from a known one means the
    /// server lost the session: the member's messages numbered in it may or may not have
    /// arrived, and are dropped and reported; those never numbered go into the new one.
    fn at_epoch(&mut self, epoch: u64) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if session.epoch == epoch {
            return;
        }
        // A change to 0 is a session given up (`handle_session_refused`): lost all the same.
        let known = session.epoch != 0;
        let lost = core::mem::take(&mut session.numbered);
        session.epoch = epoch;
        session.received = 0;
        session.heard = 0;
        if !known {
            // A member that joined late numbered nothing in a session it did not know.
            return;
        }
        let lost: Vec<u64> = lost.iter().map(|numbering| numbering.seq).collect();
        self.forget_unconfirmed(&lost);
        for &seq in &lost {
            self.push(GroupOutput::Unconfirmed { seq });
        }
        if let Some(&last) = lost.iter().max() {
            self.confirmed_upto(last);
        }
        self.push(GroupOutput::SessionLost {
            unconfirmed: lost.len() as u32,
        });
    }

    /// A holder of `term` numbered the member's own message `seq` as the session's `wire`. A
    /// number given by a term older than the last welcome is no longer news: that welcome
    /// settled what the older terms had written (see the module's header).
    fn numbered(&mut self, term: Term, seq: u64, wire: u64) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if session.welcomed.is_some_and(|welcomed| term < welcomed)
            || !self.unconfirmed.contains(&seq)
        {
            return;
        }
        match session.numbered.iter_mut().find(|n| n.seq == seq) {
            Some(numbering) if numbering.term > term => {}
            Some(numbering) => *numbering = Numbering { seq, wire, term },
            None => session.numbered.push(Numbering { seq, wire, term }),
        }
    }

    /// A holder of `term` was welcomed into incarnation `epoch` with the server having the
    /// session's messages up to `ack`. The member's numbers given by older terms are settled:
    /// up to `ack` the server has them (confirmed), above it they never arrived and cannot any
    /// more (the server fenced the older connections: 4409), so they are sent again, as new. Its
    /// numbers of `term` itself (a holder's reconnect) are that connection's to send again.
    fn welcomed(&mut self, term: Term, epoch: u64, ack: u64) {
        let stale = self
            .session
            .as_ref()
            .is_none_or(|session| session.welcomed.is_some_and(|welcomed| term < welcomed));
        if stale {
            return;
        }
        self.at_epoch(epoch);
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.welcomed = Some(term);
        session.numbered.retain(|n| n.term == term || n.wire <= ack);
        self.acked_numbers(|n| n.wire <= ack);
    }

    /// The server acknowledged the session's messages up to `upto`, numbered by `term`.
    fn acked(&mut self, term: Term, upto: u64) {
        self.acked_numbers(|n| n.term == term && n.wire <= upto);
    }

    /// Confirms the member's own numbered messages that `at_server` says the server has.
    fn acked_numbers(&mut self, at_server: impl Fn(&Numbering) -> bool) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let mut confirmed = Vec::new();
        session.numbered.retain(|n| {
            let gone = at_server(n);
            if gone {
                confirmed.push(n.seq);
            }
            !gone
        });
        if let Some(&last) = confirmed.iter().max() {
            self.confirmed_upto(last);
        }
        self.forget_unconfirmed(&confirmed);
        for seq in confirmed {
            self.push(GroupOutput::Written { seq });
        }
    }

    /// Takes `seqs` out of the member's unconfirmed messages (every numbered one is among them).
    fn forget_unconfirmed(&mut self, seqs: &[u64]) {
        self.unconfirmed.retain(|seq| !seqs.contains(seq));
    }

    /// The member's own messages up to `seq` are confirmed or reported lost (acknowledged
    /// delivery): they need no writing any more, and a holder goes on after them.
    fn confirmed_upto(&mut self, seq: u64) {
        if let Some(session) = self.session.as_mut() {
            session.confirmed = session.confirmed.max(seq);
        }
        if seq > self.written_of(self.id) {
            self.set_written(self.id, seq);
        }
    }

    fn step_down(&mut self, now: Millis, role: Role) {
        if self.holding.take().is_some() {
            self.push(GroupOutput::Disconnect);
        }
        self.holder_open = false;
        self.stealing = false;
        self.doubting_until = None;
        self.last_heard = now;
        self.set_role(role);
    }

    fn written_of(&self, owner: TabId) -> u64 {
        self.written
            .iter()
            .find(|(member, _)| *member == owner)
            .map_or(0, |&(_, upto)| upto)
    }

    fn set_written(&mut self, owner: TabId, upto: u64) {
        match self.written.iter_mut().find(|(member, _)| *member == owner) {
            Some(entry) => entry.1 = upto,
            None => self.written.push((owner, upto)),
        }
    }

    fn set_role(&mut self, role: Role) {
        if self.role != role {
            self.role = role;
            self.push(GroupOutput::RoleChange(role));
        }
    }

    fn push(&mut self, output: GroupOutput) {
        self.outputs.push_back(output);
    }
}
