//! Connection attempts: from the core's `Connect` to a browser socket with its handlers, through
//! the JS class's URL and protocols providers when there are any.

use super::abi::Kind;
use super::direct;
use super::events;
use super::pump::{emit, pump, report, Deferred};
use super::socket::Socket;
use super::state::{state, state_mut};
use super::{env, js, Shared};
use crate::machine::Generation;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// Starts attempt `gen`: straight to the socket with fixed URL and protocols, or through the JS
/// class, which calls the providers (possibly async) and answers with `WebDriver::open`. The
/// providers are user code, so their call waits its turn behind the events before it; by then the
/// close that caused this attempt has been converted, and `ctx.lastClose` is that close.
pub(super) fn connect(rc: &Shared, gen: Generation) {
    let has_provider = {
        let mut inner = state_mut(rc);
        inner.pending = Some(gen);
        let attempt = inner.attempts_since_open;
        inner.attempts_since_open += 1;
        if inner.has_provider {
            inner.deferred.push(Deferred::Provide { gen, attempt });
        }
        inner.has_provider
    };
    if !has_provider {
        open_socket(rc, gen);
    }
}

/// Asks the JS class to call the providers for attempt `gen`, unless it was abandoned meanwhile.
pub(super) fn provide(rc: &Shared, gen: Generation, attempt: u32) {
    let last_close = {
        let inner = state(rc);
        if inner.pending != Some(gen) {
            return;
        }
        inner.last_close.clone()
    };
    emit(
        rc,
        Kind::Provide,
        JsValue::from(gen.0),
        JsValue::from(attempt),
        last_close,
    );
}

/// Constructs the browser socket of `gen`. The constructor may be the user's, so it runs with no
/// borrow held.
pub(super) fn open_socket(rc: &Shared, gen: Generation) {
    let (constructor, args, previous) = {
        let mut inner = state_mut(rc);
        let args = Array::of2(&inner.url, &inner.protocols);
        (inner.hooks.constructor.clone(), args, inner.socket.take())
    };
    // Drop the previous socket (detaching its handlers) before the new one exists.
    drop(previous);
    match Reflect::construct(&constructor, &args) {
        Ok(ws) => {
            let ws: WebSocket = ws.unchecked_into();
            let (wanted, binary_type) = {
                let inner = state(rc);
                let binary_type = if inner.acked() {
                    JsValue::from_str("arraybuffer")
                } else {
                    inner.binary_type.clone()
                };
                (inner.pending == Some(gen), binary_type)
            };
            if !wanted {
                // A user constructor re-entered and abandoned this attempt meanwhile.
                let _ = ws.close();
                return;
            }
            js::set(&ws, "binaryType", &binary_type);
            let weak = Shared::downgrade(rc);
            let mut socket = Socket::attach(gen, ws, move |gen, event| {
                events::on_socket(&weak, gen, event)
            });
            socket.direct = direct::listen(rc, &socket);
            let previous = state_mut(rc).socket.replace(socket);
            drop(previous);
        }
        Err(error) => {
            // The constructor threw (an override that failed): reported, then handled as a
            // failed attempt, as the browser reports an unreachable server.
            report(rc, error);
            attempt_failed(rc, gen);
        }
    }
}

/// Attempt `gen` failed without a socket that will report it: the core hears what a socket that
/// failed its handshake reports (error, then close 1006).
pub(super) fn attempt_failed(rc: &Shared, gen: Generation) {
    let now = env::now();
    {
        let mut inner = state_mut(rc);
        inner.machine.handle_error(now, gen);
        inner.machine.handle_close(now, gen, 1006, "", false, None);
    }
    pump(rc);
}
