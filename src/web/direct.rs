//! The direct paths: most messages in plain mode never cross into wasm.
//!
//! The class's listener sits in front of the driver's `message` closure and dispatches a message
//! event itself while the core has nothing to decide about messages (see
//! `Machine::direct_delivery`), only their time, which it records and the driver reports to the
//! core before an input whose outcome depends on it. Its `writable` does the same for `send()`
//! while the browser reports the socket open (see `Machine::direct_send`).

use super::host::DirectListener;
use super::socket::Socket;
use super::state::{state, Inner};
use super::Shared;
use crate::machine::Millis;
use wasm_bindgen::JsValue;

/// A socket's direct listener, and what the driver last told it.
pub(crate) struct Direct {
    pub(crate) listener: DirectListener,
    /// Whether the listener may deliver at all: not with a pong predicate (user code the core
    /// must call for every message).
    delivers: bool,
    /// The value last written to `open`.
    open: bool,
    /// The value last written to `writable`.
    writable: bool,
    /// The value of `at` last reported to the core.
    reported: f64,
}

/// Asks the class to put its own `message` listener in front of the driver's. Not with
/// acknowledged delivery, where every frame has a header to read and every message sent is
/// numbered. With a pong predicate, which is user code the core must call for every message, the
/// listener delivers nothing itself; `send()` still takes the direct path.
pub(super) fn listen(rc: &Shared, socket: &Socket) -> Option<Direct> {
    let (host, pong) = {
        let inner = state(rc);
        if inner.acked() {
            return None;
        }
        let pong = if inner.heartbeat && !inner.hooks.expose_pongs {
            inner.hooks.heartbeat_pong.clone()
        } else {
            JsValue::UNDEFINED
        };
        (inner.host.clone(), pong)
    };
    let listener = host.listen(&socket.ws, socket.message_handler(), &pong)?;
    Some(Direct {
        listener,
        delivers: !pong.is_function(),
        open: false,
        writable: false,
        reported: 0.0,
    })
}

/// Reports the traffic of directly delivered messages to the core, before an input whose
/// outcome depends on it (a heartbeat deadline, a visibility or network change).
pub(super) fn report_traffic(inner: &mut Inner) {
    let Inner {
        socket, machine, ..
    } = inner;
    let Some(socket) = socket.as_mut() else {
        return;
    };
    let Some(direct) = socket.direct.as_mut() else {
        return;
    };
    let at = direct.listener.at();
    if at > direct.reported {
        direct.reported = at;
        // As env::now() counts: whole milliseconds, truncated.
        machine.handle_direct_traffic(at as Millis, socket.gen);
    }
}

/// Opens or closes the direct paths, in and out, to what the core says now. Each property is
/// written only when it changes: a write crosses into JS.
pub(super) fn update(inner: &mut Inner) {
    let Inner {
        socket, machine, ..
    } = inner;
    let Some(socket) = socket.as_mut() else {
        return;
    };
    let Some(direct) = socket.direct.as_mut() else {
        return;
    };
    let open = direct.delivers && machine.direct_delivery(socket.gen);
    if direct.open != open {
        direct.open = open;
        direct.listener.set_open(open);
    }
    let writable = machine.direct_send(socket.gen);
    if direct.writable != writable {
        direct.writable = writable;
        direct.listener.set_writable(writable);
    }
}

impl Drop for Direct {
    /// The class may still hold the listener of a socket the driver moved on from: it must take
    /// no direct path to it.
    fn drop(&mut self) {
        self.listener.set_open(false);
        self.listener.set_writable(false);
    }
}
