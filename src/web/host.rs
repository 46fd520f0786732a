//! The JS class as the driver sees it: typed imports, so that no property name crosses the
//! boundary as a string and the glue wasm-bindgen writes for each is a plain call or property
//! access. (The Rust face has no class: only the direct listener's type is needed without the
//! `js-face` feature, by the driver's code that the direct path shares.)

#[cfg(feature = "js-face")]
use super::abi::Kind;
use wasm_bindgen::prelude::*;
#[cfg(feature = "js-face")]
use web_sys::WebSocket;

#[cfg(feature = "js-face")]
#[wasm_bindgen]
extern "C" {
    /// The object the JS class hands the driver's constructor: where the driver reports, and who
    /// installs the direct `message` listener on a new socket.
    #[derive(Clone)]
    pub type Host;
    /// `host.emit(kind, a, b, c)`: an event to dispatch, or a request (see [`Kind`]).
    #[wasm_bindgen(method, catch, js_name = emit)]
    fn emit_raw(
        this: &Host,
        kind: u8,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
    ) -> Result<JsValue, JsValue>;
    /// `host.listen(ws, handler, pong)`: puts the class's listener in front of the driver's
    /// `handler` as `ws.onmessage` and returns it (see [`super::direct`]), or returns `undefined`
    /// to keep every message on the driver's path.
    #[wasm_bindgen(method, catch)]
    pub fn listen(
        this: &Host,
        ws: &WebSocket,
        handler: &JsValue,
        pong: &JsValue,
    ) -> Result<Option<DirectListener>, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The listener that `Host::listen` installs: it dispatches a message event itself while
    /// `open` is true, and records in `at` the `timeStamp` of the last one; `writable` lets the
    /// class's `send()` hand payloads to the socket itself.
    pub type DirectListener;
    /// `listener.open = open`: whether it may dispatch messages itself.
    #[wasm_bindgen(method, setter)]
    pub fn set_open(this: &DirectListener, open: bool);
    /// `listener.writable = writable`: whether `send()` may hand payloads to the socket itself.
    #[wasm_bindgen(method, setter)]
    pub fn set_writable(this: &DirectListener, writable: bool);
    /// `listener.at`: the `timeStamp` of the last message it dispatched.
    #[wasm_bindgen(method, getter)]
    pub fn at(this: &DirectListener) -> f64;
}

#[cfg(feature = "js-face")]
impl Host {
    /// Reports `kind` with its arguments; what the class answers (the `provide` request's
    /// nothing) is not needed.
    pub(crate) fn emit(&self, kind: Kind, a: &JsValue, b: &JsValue, c: &JsValue) {
        // The JS class dispatches with EventTarget, which reports a throwing handler itself and
        // does not rethrow; an error here would be a bug in the class, and must not abort the
        // driver.
        let _ = self.emit_raw(kind as u8, a, b, c);
    }
}
