//! `GroupMember`: the share group's machine ([`crate::machine::group`]) as js/share.js drives it
//! (`share: true`, API.md §7; the `share` feature, in the acked build only).
//!
//! The machine is sans-IO and so is this export: js/share.js owns the Web Lock, the
//! `BroadcastChannel`, the timer and the holder's connection, and calls in with the time. Posts
//! cross as numbers (a [`GroupPost`] kind, then the term, then the post's own fields), which the
//! channel carries as they are, so that no post is parsed in JS. Ids and counts are integers below
//! 2^53: the driver draws member ids of 53 bits, and term counts are wall-clock milliseconds.

use super::abi::{GroupEffect, GroupPost, GroupRole};
use crate::machine::group::{GroupOutput, GroupTiming, Member, Post, Role, TabId, Term};
use crate::machine::Millis;
use wasm_bindgen::prelude::*;

/// The numbers of a post: its kind, the term's count and holder, then up to three fields.
const POST_LEN: usize = 6;

/// One member of a share group. Not meant to be used directly: js/share.js wraps it.
#[wasm_bindgen]
pub struct GroupMember {
    member: Member,
}

/// A time from `performance.now()` as the machine's milliseconds (negative or NaN: 0).
fn millis(now: f64) -> Millis {
    now as Millis
}

fn term(count: f64, holder: f64) -> Term {
    Term {
        count: count as u64,
        holder: TabId(holder as u64),
    }
}

/// A post from its numbers; `None` for anything else (a post of another version of the module,
/// or garbage that another script posted on the channel).
fn decode(numbers: &[f64]) -> Option<Post> {
    let field = |i: usize| numbers.get(i).copied().unwrap_or(f64::NAN);
    if numbers.len() != POST_LEN || numbers.iter().any(|n| !(n.is_finite() && *n >= 0.0)) {
        return None;
    }
    let kind = GroupPost::from_number(field(0) as u32)?;
    let term = term(field(1), field(2));
    Some(match kind {
        GroupPost::Hello => Post::Hello {
            from: TabId(field(3) as u64),
            doubting: field(4) != 0.0,
        },
        GroupPost::Beat => Post::Beat {
            term,
            open: field(3) != 0.0,
            epoch: field(4) as u64,
            received: field(5) as u64,
        },
        GroupPost::Send => Post::Send {
            term,
            from: TabId(field(3) as u64),
            seq: field(4) as u64,
            after: field(5) as u64,
        },
        GroupPost::Sent => Post::Sent {
            term,
            owner: TabId(field(3) as u64),
            upto: field(4) as u64,
        },
        GroupPost::Inbound => Post::Inbound {
            term,
            seq: field(3) as u64,
            epoch: field(4) as u64,
        },
        GroupPost::Numbered => Post::Numbered {
            term,
            owner: TabId(field(3) as u64),
            seq: field(4) as u64,
            wire: field(5) as u64,
        },
        GroupPost::Welcome => Post::Welcome {
            term,
            epoch: field(3) as u64,
            ack: field(4) as u64,
        },
        GroupPost::Position => Post::Position {
            term,
            epoch: field(3) as u64,
            received: field(4) as u64,
            welcomed: field(5) as u64,
        },
        GroupPost::Acked => Post::Acked {
            term,
            upto: field(3) as u64,
        },
    })
}

fn encode(post: Post, out: &mut [f64]) {
    let (kind, term, fields) = match post {
        Post::Hello { from, doubting } => {
            (GroupPost::Hello, None, [from.0, u64::from(doubting), 0])
        }
        Post::Beat {
            term,
            open,
            epoch,
            received,
        } => (
            GroupPost::Beat,
            Some(term),
            [u64::from(open), epoch, received],
        ),
        Post::Send {
            term,
            from,
            seq,
            after,
        } => (GroupPost::Send, Some(term), [from.0, seq, after]),
        Post::Sent { term, owner, upto } => (GroupPost::Sent, Some(term), [owner.0, upto, 0]),
        Post::Inbound { term, seq, epoch } => (GroupPost::Inbound, Some(term), [seq, epoch, 0]),
        Post::Numbered {
            term,
            owner,
            seq,
            wire,
        } => (GroupPost::Numbered, Some(term), [owner.0, seq, wire]),
        Post::Welcome { term, epoch, ack } => (GroupPost::Welcome, Some(term), [epoch, ack, 0]),
        Post::Position {
            term,
            epoch,
            received,
            welcomed,
        } => (GroupPost::Position, Some(term), [epoch, received, welcomed]),
        Post::Acked { term, upto } => (GroupPost::Acked, Some(term), [upto, 0, 0]),
    };
    let (count, holder) = term.map_or((0, 0), |term| (term.count, term.holder.0));
    let numbers = [kind as u64, count, holder, fields[0], fields[1], fields[2]];
    for (slot, number) in out.iter_mut().zip(numbers) {
        *slot = number as f64;
    }
}

fn role_number(role: Role) -> GroupRole {
    match role {
        Role::Electing => GroupRole::Electing,
        Role::Follower => GroupRole::Follower,
        Role::Holder => GroupRole::Holder,
        Role::Left => GroupRole::Left,
    }
}

#[wasm_bindgen]
impl GroupMember {
    /// Joins the group as member `id` (a random integer below 2^53), with the timing that takes
    /// over within `bound` milliseconds (`min(heartbeat.timeout, 2 s)`); `acked`: the group
    /// shares one session of acknowledged delivery.
    #[wasm_bindgen(constructor)]
    pub fn new(id: f64, bound: f64, now: f64, acked: bool) -> GroupMember {
        let (id, timing) = (
            TabId(id as u64),
            GroupTiming::for_bound(millis(bound).max(8)),
        );
        GroupMember {
            member: if acked {
                Member::new_acked(id, timing, millis(now))
            } else {
                Member::new(id, timing, millis(now))
            },
        }
    }

    /// The next effect ([`GroupEffect`]), its numbers written to `out` (at least 6 long).
    pub fn poll(&mut self, out: &mut [f64]) -> u8 {
        let Some(output) = self.member.poll_output() else {
            return GroupEffect::None as u8;
        };
        let mut put = |values: &[f64]| {
            for (slot, value) in out.iter_mut().zip(values) {
                *slot = *value;
            }
        };
        let effect = match output {
            GroupOutput::Post(post) => {
                encode(post, out);
                GroupEffect::Post
            }
            GroupOutput::RequestLock { steal } => {
                put(&[f64::from(u8::from(steal))]);
                GroupEffect::RequestLock
            }
            GroupOutput::ReleaseLock => GroupEffect::ReleaseLock,
            GroupOutput::Connect => {
                // Acked: where the connection continues the group's session (NaN in plain).
                let (epoch, received) = self
                    .member
                    .session_position()
                    .map_or((f64::NAN, f64::NAN), |(e, r)| (e as f64, r as f64));
                put(&[epoch, received]);
                GroupEffect::Connect
            }
            GroupOutput::Disconnect => GroupEffect::Disconnect,
            GroupOutput::Write { owner, seq } => {
                put(&[owner.0 as f64, seq as f64]);
                GroupEffect::Write
            }
            GroupOutput::Deliver => GroupEffect::Deliver,
            GroupOutput::Written { seq } => {
                put(&[seq as f64]);
                GroupEffect::Written
            }
            GroupOutput::RoleChange(role) => {
                put(&[f64::from(role_number(role) as u8)]);
                GroupEffect::Role
            }
            GroupOutput::Unconfirmed { seq } => {
                put(&[seq as f64]);
                GroupEffect::Unconfirmed
            }
            GroupOutput::SessionLost { unconfirmed } => {
                put(&[f64::from(unconfirmed)]);
                GroupEffect::SessionLost
            }
        };
        effect as u8
    }

    /// When to call [`GroupMember::timer`], or NaN.
    pub fn deadline(&self) -> f64 {
        self.member
            .poll_timeout()
            .map_or(f64::NAN, |deadline| deadline as f64)
    }

    /// The local instance sends: the message's number, by which js/share.js keeps its payload.
    pub fn send(&mut self, now: f64) -> f64 {
        self.member.send(millis(now)) as f64
    }

    /// The lock was granted; `wall` is `Date.now()`.
    pub fn granted(&mut self, now: f64, wall: f64) {
        self.member.handle_lock_granted(millis(now), wall as u64);
    }

    /// The lock was stolen, or a request for it failed.
    pub fn lost(&mut self, now: f64) {
        self.member.handle_lock_lost(millis(now));
    }

    /// The holder's connection opened; acked: welcomed into incarnation `epoch`, the server
    /// having the session's messages up to `ack` (NaN both in plain delivery).
    #[wasm_bindgen(js_name = socketOpen)]
    pub fn socket_open(&mut self, now: f64, epoch: f64, ack: f64) {
        if epoch.is_finite() {
            self.member
                .handle_welcome(millis(now), epoch as u64, ack as u64);
        }
        self.member.handle_socket_open(millis(now));
    }

    /// The holder's connection closed (it reconnects by itself); acked, `refused`: the server
    /// refused its hello (4501 before the welcome), and the member starts a new session.
    #[wasm_bindgen(js_name = socketClosed)]
    pub fn socket_closed(&mut self, now: f64, refused: bool) {
        if refused {
            self.member.handle_session_refused(millis(now));
        } else {
            self.member.handle_socket_closed(millis(now));
        }
    }

    /// The holder's connection received a message, numbered `seq` by the server (acked; 0 in
    /// plain delivery).
    #[wasm_bindgen(js_name = socketMessage)]
    pub fn socket_message(&mut self, now: f64, seq: f64) {
        self.member.handle_socket_message(millis(now), seq as u64);
    }

    /// Acked: the server acknowledged the session's messages up to `upto`.
    #[wasm_bindgen(js_name = socketAcked)]
    pub fn socket_acked(&mut self, now: f64, upto: f64) {
        self.member.handle_socket_acked(millis(now), upto as u64);
    }

    /// Acked: the holder's connection is about to write member `owner`'s message `seq` as the
    /// session's `wire`. Writes into `out` the post to make at once, before the write, and
    /// returns true; false when there is none (not holding).
    pub fn numbered(&mut self, owner: f64, seq: f64, wire: f64, out: &mut [f64]) -> bool {
        match self
            .member
            .handle_numbered(TabId(owner as u64), seq as u64, wire as u64)
        {
            Some(post) => {
                encode(post, out);
                true
            }
            None => false,
        }
    }

    /// Acked: whether the member's own message `seq` was numbered in the group's session (on a
    /// close it may or may not arrive: `'unconfirmed'`).
    #[wasm_bindgen(js_name = isNumbered)]
    pub fn is_numbered(&self, seq: f64) -> bool {
        self.member.is_numbered(seq as u64)
    }

    /// A post arrived on the channel, as its numbers; false when they are not a post (ignored).
    pub fn post(&mut self, now: f64, numbers: &[f64]) -> bool {
        match decode(numbers) {
            Some(post) => {
                self.member.handle_post(millis(now), post);
                true
            }
            None => false,
        }
    }

    /// The deadline of [`GroupMember::deadline`] passed.
    pub fn timer(&mut self, now: f64) {
        self.member.handle_timeout(millis(now));
    }

    /// The instance closed or its page went away.
    pub fn leave(&mut self, now: f64) {
        self.member.leave(millis(now));
    }

    /// Whether the local instance's socket shows open (`Member::group_open`).
    pub fn open(&self) -> bool {
        self.member.group_open()
    }

    /// The member's id.
    pub fn id(&self) -> f64 {
        self.member.id().0 as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_round_trip_through_their_numbers() {
        let term = Term {
            count: 1_764_650_000_123,
            holder: TabId((1 << 53) - 1),
        };
        let posts = [
            Post::Hello {
                from: TabId(5),
                doubting: false,
            },
            Post::Hello {
                from: TabId(6),
                doubting: true,
            },
            Post::Beat {
                term,
                open: true,
                epoch: 0,
                received: 0,
            },
            Post::Beat {
                term,
                open: false,
                epoch: (1 << 53) - 1,
                received: 77,
            },
            Post::Send {
                term,
                from: TabId(7),
                seq: 3,
                after: 2,
            },
            Post::Sent {
                term,
                owner: TabId(9),
                upto: 40,
            },
            Post::Inbound {
                term,
                seq: 0,
                epoch: 0,
            },
            Post::Inbound {
                term,
                seq: 12,
                epoch: 3,
            },
            Post::Numbered {
                term,
                owner: TabId(9),
                seq: 41,
                wire: 1_000,
            },
            Post::Welcome {
                term,
                epoch: 5_000_000_000,
                ack: 999,
            },
            Post::Position {
                term,
                epoch: 8,
                received: 13,
                welcomed: 1_764_650_000_000,
            },
            Post::Acked { term, upto: 1_001 },
        ];
        for post in posts {
            let mut out = [f64::NAN; POST_LEN];
            encode(post, &mut out);
            assert_eq!(decode(&out), Some(post), "{post:?} as {out:?}");
        }
    }

    #[test]
    fn what_is_not_a_post_is_refused() {
        for numbers in [
            &[][..],
            &[1.0, 2.0, 3.0][..],
            &[9.0, 0.0, 0.0, 0.0, 0.0, 0.0][..],
            &[1.0, f64::NAN, 0.0, 0.0, 0.0, 0.0][..],
            &[1.0, -1.0, 0.0, 0.0, 0.0, 0.0][..],
        ] {
            assert_eq!(decode(numbers), None, "{numbers:?}");
        }
    }
}
