//! Where the driver's reports go: the JS class (the npm package's face) or, with the `rust-face`
//! feature, a Rust closure (the Rust face, `crate::client`).
//!
//! One driver serves both faces; only the destination of its reports differs. An enum rather than
//! a trait object: without `rust-face` it has the one variant, so the JS build calls the class's
//! `emit` directly, with no vtable and not a byte more than before the Rust face existed.

use super::abi::Kind;
use super::host::DirectListener;
#[cfg(feature = "js-face")]
use super::host::Host;
#[cfg(feature = "rust-face")]
use alloc::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::WebSocket;

/// A Rust receiver of the driver's reports, with the arguments of [`Host::emit`]. Called with no
/// borrow of the driver held, one report at a time, in the core's order (see `pump`).
#[cfg(feature = "rust-face")]
pub(crate) type RustSink = Rc<dyn Fn(Kind, &JsValue, &JsValue, &JsValue)>;

/// The destination of the driver's reports.
#[derive(Clone)]
pub(crate) enum Sink {
    /// The JS class: `host.emit(kind, a, b, c)`, and its direct `message` listener.
    #[cfg(feature = "js-face")]
    Js(Host),
    /// The Rust face: every message takes the driver's path (there is no JS listener to put in
    /// front of it), and every report goes to the closure.
    #[cfg(feature = "rust-face")]
    Rust(RustSink),
}

impl Sink {
    /// Reports `kind` with its arguments.
    pub(crate) fn emit(&self, kind: Kind, a: &JsValue, b: &JsValue, c: &JsValue) {
        match self {
            #[cfg(feature = "js-face")]
            Sink::Js(host) => host.emit(kind, a, b, c),
            #[cfg(feature = "rust-face")]
            Sink::Rust(report) => report(kind, a, b, c),
        }
    }

    /// Asks for a direct `message` listener on `ws` (see `super::direct`); `None` keeps every
    /// message on the driver's path. (The Rust face never installs one, so without the JS face
    /// the arguments go unread.)
    #[cfg_attr(not(feature = "js-face"), allow(unused_variables))]
    pub(crate) fn listen(
        &self,
        ws: &WebSocket,
        handler: &JsValue,
        pong: &JsValue,
    ) -> Option<DirectListener> {
        match self {
            #[cfg(feature = "js-face")]
            Sink::Js(host) => host.listen(ws, handler, pong).ok()?,
            #[cfg(feature = "rust-face")]
            Sink::Rust(_) => None,
        }
    }
}
