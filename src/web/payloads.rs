//! The payloads of the messages the core knows only by id.

use crate::machine::MsgId;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A JS `Map` from a message id (a number: ids stay far below 2^53) to its payload, kept until
    /// the core transmits (plain), releases (acked) or drops the message. The payloads are JS
    /// values either way, so a JS map costs the module only these calls, where a Rust collection
    /// would cost its code.
    #[wasm_bindgen(js_name = Map)]
    pub(crate) type Payloads;
    #[wasm_bindgen(constructor, js_class = Map)]
    pub(crate) fn new() -> Payloads;
    #[wasm_bindgen(method, js_class = Map, js_name = set)]
    fn set_id(this: &Payloads, id: f64, data: &JsValue);
    #[wasm_bindgen(method, js_class = Map, js_name = get)]
    fn get_id(this: &Payloads, id: f64) -> JsValue;
    #[wasm_bindgen(method, js_class = Map, js_name = delete)]
    fn delete_id(this: &Payloads, id: f64);
}

impl Payloads {
    /// Keeps the payload of `id`.
    pub(crate) fn insert(&self, id: MsgId, data: &JsValue) {
        self.set_id(id.0 as f64, data);
    }

    /// The payload of `id`, if kept (a payload is never `undefined`).
    pub(crate) fn get(&self, id: MsgId) -> Option<JsValue> {
        Some(self.get_id(id.0 as f64)).filter(|data| !data.is_undefined())
    }

    /// Takes the payload of `id` out, if kept.
    pub(crate) fn remove(&self, id: MsgId) -> Option<JsValue> {
        let data = self.get(id);
        self.delete_id(id.0 as f64);
        data
    }
}
