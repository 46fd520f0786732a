//! One browser `WebSocket` and the closures it calls back into.

use crate::machine::Generation;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

#[wasm_bindgen]
extern "C" {
    /// A `WebSocket` seen through a `send` that takes any payload the browser accepts (string,
    /// ArrayBuffer, ArrayBufferView, Blob), so the payload stays a `JsValue` and is never copied
    /// into wasm memory.
    type AnyPayloadSocket;
    #[wasm_bindgen(method, catch)]
    fn send(this: &AnyPayloadSocket, data: &JsValue) -> Result<(), JsValue>;
}

/// What a socket reports back to the driver, tagged with its generation by the closures.
pub(crate) enum SocketEvent {
    Open,
    Message(JsValue),
    Error,
    /// The browser's own event, handed as it is to a `shouldReconnect` predicate.
    Close(CloseEvent),
}

/// A browser socket that owns its four handler closures.
///
/// Dropping it detaches the handlers before the closures are freed, so a socket the driver has
/// moved on from can never call into freed memory, and nothing is leaked per reconnect.
pub(crate) struct Socket {
    pub(crate) gen: Generation,
    pub(crate) ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Wraps a freshly constructed browser socket and routes its events to `report`.
    pub(crate) fn attach(
        gen: Generation,
        ws: WebSocket,
        report: impl Fn(Generation, SocketEvent) + Clone + 'static,
    ) -> Socket {
        let on_open = {
            let report = report.clone();
            Closure::<dyn FnMut(Event)>::new(move |_: Event| report(gen, SocketEvent::Open))
        };
        let on_message = {
            let report = report.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                report(gen, SocketEvent::Message(e.data()))
            })
        };
        let on_error = {
            let report = report.clone();
            Closure::<dyn FnMut(Event)>::new(move |_: Event| report(gen, SocketEvent::Error))
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            report(gen, SocketEvent::Close(e))
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Socket {
            gen,
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_error: on_error,
            _on_close: on_close,
        }
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
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onerror(None);
        self.ws.set_onclose(None);
    }
}
