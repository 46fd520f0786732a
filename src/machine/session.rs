//! The client half of acknowledged delivery: sequence numbers, cumulative acks and the window of
//! messages sent but not yet acknowledged (PROTOCOL.md).
//!
//! A message is numbered when it is first handed to a socket, not when `send()` queues it: until
//! then the queue's own rules (caps, ttl, the replay filter) may still drop it, and a dropped
//! message must not leave a hole in the numbering. Once numbered it stays in the window until the
//! server acknowledges it, and every reconnect resends what the server says it lacks.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::shared::{Millis, MsgId};
use super::wire::{Violation, MAX_SEQ};

/// A message in the window: transmitted at least once, not yet acknowledged.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFlight {
    pub(crate) id: MsgId,
    pub(crate) seq: u64,
    pub(crate) bytes: u64,
}

/// After this many messages received and not yet acknowledged, the ack goes out at once instead
/// of waiting for `ackInterval`: it bounds what the server must keep during a burst.
pub(crate) const ACK_EVERY: u64 = 256;

/// What a welcome meant for the window.
pub(crate) enum Welcomed {
    /// The server continued the session: `released` are acknowledged by the welcome, `resend`
    /// must go again, in order.
    Resumed {
        released: Vec<InFlight>,
        resend: Vec<InFlight>,
    },
    /// The server started a new session. `lost` is true when there was one to continue: the
    /// messages of `unconfirmed` were sent but may never have arrived, and messages the server
    /// had sent and not yet resent are gone.
    Fresh {
        lost: bool,
        unconfirmed: Vec<InFlight>,
    },
}

/// Sequence and ack state of one session.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Counts sessions: the driver makes a new id and key when it changes.
    pub(crate) number: u32,
    ack_interval: Millis,
    /// A welcome arrived at least once: the server holds state for this session.
    established: bool,
    /// The epoch of the last welcome (0 before the first), named in the next hello.
    pub(crate) epoch: u64,
    next_seq: u64,
    window: VecDeque<InFlight>,
    window_bytes: u64,
    /// The highest server sequence number received without a gap.
    received: u64,
    /// The last ack value sent to the server.
    ack_sent: u64,
    ack_due: Option<Millis>,
    /// Taken over from another tab of a share group ([`Session::adopt`]): its window stayed with
    /// the group's members, so the first welcome decides where numbering goes on.
    #[cfg(feature = "share")]
    adopted: bool,
}

impl Session {
    pub(crate) fn new(ack_interval: Millis) -> Session {
        Session {
            number: 1,
            ack_interval,
            established: false,
            epoch: 0,
            next_seq: 1,
            window: VecDeque::new(),
            window_bytes: 0,
            received: 0,
            ack_sent: 0,
            ack_due: None,
            #[cfg(feature = "share")]
            adopted: false,
        }
    }

    /// Continues the session that another tab of a share group held (`share` with acknowledged
    /// delivery): incarnation `epoch` (0: none welcomed yet), of which the group received the
    /// server's messages up to `received`. The window is empty: the messages the server may
    /// lack are the members' to send again, after the welcome said what it has. That welcome's
    /// ack is then the last number used, whatever this tab heard of the numbering.
    #[cfg(feature = "share")]
    pub(crate) fn adopt(&mut self, epoch: u64, received: u64) {
        *self = Session {
            number: self.number,
            established: epoch != 0,
            epoch,
            received,
            ack_sent: received,
            adopted: true,
            ..Session::new(self.ack_interval)
        };
    }

    /// The highest of our messages the server has acknowledged (in the current incarnation).
    #[cfg(feature = "share")]
    pub(crate) fn acked(&self) -> u64 {
        self.window
            .front()
            .map_or(self.next_seq, |m| m.seq)
            .saturating_sub(1)
    }

    /// Ends this session and starts the next one (after a terminal close, before reopening).
    /// Returns the messages still unacknowledged, which the caller reports.
    pub(crate) fn restart(&mut self) -> Vec<InFlight> {
        // Collected from an iterator rather than drained: the whole session is replaced below.
        let unconfirmed = self.window.iter().copied().collect();
        *self = Session {
            number: self.number.wrapping_add(1),
            ..Session::new(self.ack_interval)
        };
        unconfirmed
    }

    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    pub(crate) fn window_len(&self) -> usize {
        self.window.len()
    }

    pub(crate) fn window_bytes(&self) -> u64 {
        self.window_bytes
    }

    pub(crate) fn ack_due(&self) -> Option<Millis> {
        self.ack_due
    }

    /// Numbers a message about to be transmitted and keeps it until acknowledged. Returns
    /// `(seq, ack)` for its envelope; the ack it carries counts as sent.
    pub(crate) fn number(&mut self, id: MsgId, bytes: u64) -> (u64, u64) {
        let seq = self.next_seq;
        // 2^53 messages at a million a second is 285 years: saturating is enough.
        self.next_seq = (seq + 1).min(MAX_SEQ);
        self.window.push_back(InFlight { id, seq, bytes });
        self.window_bytes = self.window_bytes.saturating_add(bytes);
        (seq, self.piggyback())
    }

    /// The ack an outgoing frame carries; the standalone ack is no longer due.
    pub(crate) fn piggyback(&mut self) -> u64 {
        self.ack_sent = self.received;
        self.ack_due = None;
        self.received
    }

    /// The server's welcome. `ack` is the last of our messages it has.
    pub(crate) fn on_welcome(
        &mut self,
        ack: u64,
        resumed: bool,
        epoch: u64,
    ) -> Result<Welcomed, Violation> {
        if resumed && epoch != self.epoch {
            // The server may resume only the incarnation we named.
            return Err(Violation::Malformed);
        }
        #[cfg(feature = "share")]
        let adopted = core::mem::take(&mut self.adopted);
        if !resumed {
            let lost = self.established;
            let unconfirmed = self.window.iter().copied().collect();
            let number = self.number;
            *self = Session::new(self.ack_interval);
            self.number = number;
            self.established = true;
            self.epoch = epoch;
            return Ok(Welcomed::Fresh { lost, unconfirmed });
        }
        #[cfg(feature = "share")]
        if adopted {
            // Nothing was numbered here yet: the server's last is where numbering goes on.
            self.next_seq = self.next_seq.max(ack.saturating_add(1)).min(MAX_SEQ);
        }
        // A resumed session may not have fewer of our messages than it acknowledged before: those
        // are gone from the window, and resending the rest would leave a gap.
        let oldest_kept = self.window.front().map_or(self.next_seq, |m| m.seq);
        if ack.saturating_add(1) < oldest_kept {
            return Err(Violation::SeqOutOfRange);
        }
        let released = self.release(ack)?;
        self.established = true;
        // The ack in the hello told the server what we have; nothing is owed until new data.
        self.ack_sent = self.received;
        self.ack_due = None;
        Ok(Welcomed::Resumed {
            released,
            resend: self.window.iter().copied().collect(),
        })
    }

    /// A cumulative ack from the server: releases what it covers. Returns the released messages.
    pub(crate) fn release(&mut self, ack: u64) -> Result<Vec<InFlight>, Violation> {
        if ack >= self.next_seq {
            return Err(Violation::AckUnsent);
        }
        let mut released = Vec::new();
        while self.window.front().is_some_and(|m| m.seq <= ack) {
            if let Some(message) = self.window.pop_front() {
                self.window_bytes = self.window_bytes.saturating_sub(message.bytes);
                released.push(message);
            }
        }
        Ok(released)
    }

    /// A data frame numbered `seq`: `Ok(true)` to deliver it, `Ok(false)` for a duplicate.
    pub(crate) fn on_data(&mut self, now: Millis, seq: u64) -> Result<bool, Violation> {
        if seq > self.received.saturating_add(1) {
            return Err(Violation::SeqOutOfRange);
        }
        let fresh = seq == self.received + 1;
        if fresh {
            self.received = seq;
        }
        // A duplicate means the server missed an ack: owe one either way.
        if self.received.saturating_sub(self.ack_sent) >= ACK_EVERY {
            self.ack_due = Some(now);
        } else if self.ack_due.is_none() {
            self.ack_due = Some(now.saturating_add(self.ack_interval));
        }
        Ok(fresh)
    }

    /// The standalone ack to send at `now`, if one is due.
    pub(crate) fn take_due_ack(&mut self, now: Millis) -> Option<u64> {
        if self.ack_due.is_some_and(|due| due <= now) {
            Some(self.piggyback())
        } else {
            None
        }
    }
}
