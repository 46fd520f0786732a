//! The bounded FIFO of messages waiting for an open socket. Payloads never enter the core: the
//! driver keeps them beside the ids.

use alloc::collections::VecDeque;

use super::config::BufferConfig;
use super::shared::{Millis, MsgId};

/// One queued message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queued {
    pub(crate) id: MsgId,
    pub(crate) bytes: u64,
    pub(crate) enqueued_at: Millis,
}

/// FIFO with a running byte total, so `bufferedAmount` is O(1).
#[derive(Clone, Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Queued>,
    bytes: u64,
}

impl Outbox {
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether a message of `bytes` fits beside what is queued and `held` other messages of
    /// `held_bytes` (acknowledged delivery's unacknowledged window; zero otherwise).
    pub(crate) fn fits(
        &self,
        held: usize,
        held_bytes: u64,
        bytes: u64,
        cfg: &BufferConfig,
    ) -> bool {
        self.queue.len().saturating_add(held) < cfg.max_messages as usize
            && self.bytes.saturating_add(held_bytes).saturating_add(bytes) <= cfg.max_bytes
    }

    /// Whether a message of `bytes` would fit with the queue empty (beside `held`, as above).
    pub(crate) fn could_ever_fit(
        held: usize,
        held_bytes: u64,
        bytes: u64,
        cfg: &BufferConfig,
    ) -> bool {
        Outbox::default().fits(held, held_bytes, bytes, cfg)
    }

    pub(crate) fn push(&mut self, queued: Queued) {
        self.bytes = self.bytes.saturating_add(queued.bytes);
        self.queue.push_back(queued);
    }

    pub(crate) fn pop_front(&mut self) -> Option<Queued> {
        let queued = self.queue.pop_front()?;
        self.bytes = self.bytes.saturating_sub(queued.bytes);
        Some(queued)
    }

    /// The queued ids, oldest first.
    pub(crate) fn ids(&self) -> impl Iterator<Item = MsgId> + '_ {
        self.queue.iter().map(|queued| queued.id)
    }
}
