//! The payloads of the messages the core knows only by id.

use crate::machine::MsgId;
use alloc::collections::VecDeque;
use wasm_bindgen::JsValue;

/// Each payload beside its id, until the core transmits or drops the message.
///
/// Not a hash map: the core hands out ids in increasing order, so appending keeps them sorted and
/// a binary search finds any of them. It takes them back oldest first (replay, `drop-oldest`) or
/// newest first (a send while open, `drop-newest`), so nearly every removal is at an end of the
/// deque; one from the middle leaves an empty slot behind, which goes once it reaches an end.
#[derive(Default)]
pub(crate) struct Payloads(VecDeque<(MsgId, Option<JsValue>)>);

impl Payloads {
    /// Keeps the payload of `id`, the newest id the core has handed out.
    pub(crate) fn insert(&mut self, id: MsgId, data: JsValue) {
        self.0.push_back((id, Some(data)));
    }

    /// The payload of `id`, if kept.
    pub(crate) fn get(&self, id: MsgId) -> Option<&JsValue> {
        self.0.get(self.position(id)?)?.1.as_ref()
    }

    /// Takes the payload of `id` out, if kept.
    pub(crate) fn remove(&mut self, id: MsgId) -> Option<JsValue> {
        let data = self.0.get_mut(self.position(id)?)?.1.take();
        while self.0.front().is_some_and(|(_, data)| data.is_none()) {
            self.0.pop_front();
        }
        while self.0.back().is_some_and(|(_, data)| data.is_none()) {
            self.0.pop_back();
        }
        data
    }

    fn position(&self, id: MsgId) -> Option<usize> {
        self.0.binary_search_by_key(&id, |&(id, _)| id).ok()
    }
}
