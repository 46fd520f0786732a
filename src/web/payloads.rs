//! The payloads of the messages the core knows only by id.

use crate::machine::MsgId;
use alloc::collections::VecDeque;
use wasm_bindgen::JsValue;

/// Each payload beside its id, until the core transmits or drops the message.
///
/// Not a hash map: the core hands out ids in increasing order, so appending keeps them sorted, and
/// it takes them back oldest first (replay, `drop-oldest`) or newest first (a send while open,
/// `drop-newest`), so nearly every removal is at an end of the deque. A binary search finds an id
/// anywhere all the same.
#[derive(Default)]
pub(crate) struct Payloads(VecDeque<(MsgId, JsValue)>);

impl Payloads {
    /// Keeps the payload of `id`, the newest id the core has handed out.
    pub(crate) fn insert(&mut self, id: MsgId, data: JsValue) {
        self.0.push_back((id, data));
    }

    /// The payload of `id`, if kept.
    pub(crate) fn get(&self, id: MsgId) -> Option<&JsValue> {
        let at = self.position(id)?;
        self.0.get(at).map(|(_, data)| data)
    }

    /// Takes the payload of `id` out, if kept.
    pub(crate) fn remove(&mut self, id: MsgId) -> Option<JsValue> {
        let at = self.position(id)?;
        self.0.remove(at).map(|(_, data)| data)
    }

    fn position(&self, id: MsgId) -> Option<usize> {
        self.0.binary_search_by_key(&id, |&(id, _)| id).ok()
    }
}
