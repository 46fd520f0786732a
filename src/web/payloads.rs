//! The payloads of the messages the core knows only by id.

use crate::machine::MsgId;
use alloc::collections::VecDeque;
use wasm_bindgen::JsValue;

/// Each payload in the slot of its id, until the core transmits or drops the message.
///
/// Not a hash map: the core hands out ids one after the other and the driver keeps every one, so
/// slot `i` holds id `first + i`. A removal empties its slot; empty slots at the front go at once.
/// The core takes ids back oldest first (replay, `drop-oldest`), so the deque stays as long as
/// the queue; a message sent while open (or dropped as the newest) is usually alone in it, and
/// otherwise leaves an empty slot that goes with the queued ones before it.
#[derive(Default)]
pub(crate) struct Payloads {
    slots: VecDeque<Option<JsValue>>,
    /// The id of the first slot.
    first: u64,
}

impl Payloads {
    /// Keeps the payload of `id`, the newest id the core has handed out.
    pub(crate) fn insert(&mut self, id: MsgId, data: JsValue) {
        if self.slots.is_empty() {
            self.first = id.0;
        }
        // Ids only grow; should one ever be skipped, its slot stays empty.
        while self.first + (self.slots.len() as u64) < id.0 {
            self.slots.push_back(None);
        }
        self.slots.push_back(Some(data));
    }

    /// The payload of `id`, if kept.
    pub(crate) fn get(&self, id: MsgId) -> Option<&JsValue> {
        self.slots.get(self.index(id)?)?.as_ref()
    }

    /// Takes the payload of `id` out, if kept.
    pub(crate) fn remove(&mut self, id: MsgId) -> Option<JsValue> {
        let data = self.slots.get_mut(self.index(id)?)?.take();
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.first += 1;
        }
        data
    }

    fn index(&self, id: MsgId) -> Option<usize> {
        usize::try_from(id.0.checked_sub(self.first)?).ok()
    }
}
