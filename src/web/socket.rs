//! One browser `WebSocket` and the closures it calls back into.

use super::direct::Direct;
use super::js::{self, Handler};
use crate::machine::Generation;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, WebSocket};

#[wasm_bindgen]
extern "C" {
    /// A `WebSocket` seen through a `send` that takes any payload the browser accepts (string,
    /// ArrayBuffer, ArrayBufferView, Blob), so the payload stays a `JsValue` and is never copied
    /// into wasm memory.
    type AnyPayloadSocket;
    #[wasm_bindgen(method, catch)]
    fn send(this: &AnyPayloadSocket, data: &JsValue) -> Result<(), JsValue>;
    /// A `message` event seen through its `data` getter: a plain property read, with no property
    /// name to decode on every message (as `Reflect.get` with a `&str` key would).
    type SocketMessage;
    #[wasm_bindgen(method, getter)]
    fn data(this: &SocketMessage) -> JsValue;
}

/// What a socket reports back to the driver, tagged with its generation by the closures.
pub(crate) enum SocketEvent {
    Open,
    Message(JsValue),
    Error,
    /// The browser's own event, handed as it is to a `shouldReconnect` predicate.
    Close(CloseEvent),
}

/// The socket's event handler attributes, in the order of [`Socket`]'s handlers.
const HANDLERS: [&str; 4] = ["onopen", "onmessage", "onerror", "onclose"];

/// A browser socket that owns its four handler closures.
///
/// Dropping it detaches the handlers before the closures are freed, so a socket the driver has
/// moved on from can never call into freed memory, and nothing is leaked per reconnect.
pub(crate) struct Socket {
    pub(crate) gen: Generation,
    pub(crate) ws: WebSocket,
    handlers: [Handler; 4],
    /// Plain delivery: the class's listener in front of the `message` closure (dropped after
    /// the handlers are detached).
    pub(crate) direct: Option<Direct>,
}

impl Socket {
    /// Wraps a freshly constructed browser socket and routes its events to `report`.
    pub(crate) fn attach(
        gen: Generation,
        ws: WebSocket,
        report: impl Fn(Generation, SocketEvent) + Clone + 'static,
    ) -> Socket {
        // One closure type for all four handlers (and the same signature as every other handler
        // of the driver), so wasm-bindgen emits its glue once.
        let handler = |index: usize| {
            let report = report.clone();
            Handler::new(move |event: JsValue| {
                report(
                    gen,
                    match index {
                        0 => SocketEvent::Open,
                        1 => SocketEvent::Message(event.unchecked_ref::<SocketMessage>().data()),
                        2 => SocketEvent::Error,
                        _ => SocketEvent::Close(event.unchecked_into()),
                    },
                )
            })
        };
        let handlers = [handler(0), handler(1), handler(2), handler(3)];
        for (name, handler) in HANDLERS.iter().zip(&handlers) {
            js::set(&ws, name, handler.as_ref());
        }
        Socket {
            gen,
            ws,
            handlers,
            direct: None,
        }
    }

    /// The closure that hands `message` events to the driver.
    pub(crate) fn message_handler(&self) -> &JsValue {
        self.handlers[1].as_ref()
    }
}

/// Hands a payload to the browser. The browser throws only when the socket is not open, which the
/// core rules out; the error is returned rather than unwrapped all the same (a user's `WebSocket`
/// subclass may throw anything).
///
/// Free functions on a `WebSocket` handle rather than methods of [`Socket`], so the driver calls
/// them after releasing its borrow of the `Socket`'s owner.
pub(crate) fn send(ws: &WebSocket, data: &JsValue) -> Result<(), JsValue> {
    ws.unchecked_ref::<AnyPayloadSocket>().send(data)
}

/// Starts the closing handshake. Handlers stay attached so the real `close` event is reported.
pub(crate) fn close(ws: &WebSocket, code: u16, reason: &str) {
    // The core validated code and reason, and closing an already closing socket is a no-op, so the
    // browser has nothing to throw here; ignoring the Result cannot hide a lost message.
    let _ = ws.close_with_code_and_reason(code, reason);
}

impl Drop for Socket {
    fn drop(&mut self) {
        for name in HANDLERS {
            js::set(&self.ws, name, &JsValue::NULL);
        }
    }
}
