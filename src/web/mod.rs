//! The driver: the only code that touches the browser.
//!
//! It turns browser events into the core's `handle_*` calls, performs the core's outputs, and
//! hands events to the JS class through one `emit(kind, a, b, c)` callback. The core lives in a
//! `RefCell`; every borrow is released before any JS that a user controls runs (event handlers,
//! a `WebSocket` constructor override), so a handler may call back into the driver.

mod env;
mod socket;
mod timer;

use crate::machine::{CloseError, Config, Event, Generation, Machine, MsgId, Output, SendError};
use socket::{Socket, SocketEvent};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use timer::DeadlineTimer;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// Everything the driver owns. Socket closures and the timer hold only a `Weak` to it, so
/// dropping the driver frees it all: there is no reference cycle to leak.
struct Inner {
    machine: Machine,
    url: String,
    protocols: js_sys::Array,
    constructor: js_sys::Function,
    emit: js_sys::Function,
    socket: Option<Socket>,
    /// `protocol` and `extensions` of the last socket that opened; kept after it is gone.
    protocol: String,
    extensions: String,
    /// Payloads of the messages the core knows by id, until it transmits or drops them.
    payloads: HashMap<MsgId, JsValue>,
    /// The data of the message being handled, dispatched when the core emits `Event::Message`.
    inbound: Option<JsValue>,
    timer: DeadlineTimer,
}

/// The wasm side of one `ResilientWebSocket`. Not meant to be used directly: `js/` wraps it.
#[wasm_bindgen]
pub struct WebDriver {
    inner: Rc<RefCell<Inner>>,
}

#[wasm_bindgen]
impl WebDriver {
    /// Creates the driver and starts the first connection attempt.
    ///
    /// `url` is absolute (the JS class resolved it), `constructor` is the `WebSocket` class to
    /// drive, and `emit(kind, a, b, c)` receives every event for the user.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: String,
        protocols: js_sys::Array,
        constructor: js_sys::Function,
        emit: js_sys::Function,
    ) -> WebDriver {
        let machine = Machine::new(Config::default(), env::seed(), env::now());
        let inner = Rc::new(RefCell::new(Inner {
            machine,
            url,
            protocols,
            constructor,
            emit,
            socket: None,
            protocol: String::new(),
            extensions: String::new(),
            payloads: HashMap::new(),
            inbound: None,
            timer: DeadlineTimer::default(),
        }));
        pump(&inner);
        WebDriver { inner }
    }

    /// `readyState`.
    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> u8 {
        self.inner.borrow().machine.ready_state() as u8
    }

    /// `connectionState`.
    #[wasm_bindgen(getter, js_name = connectionState)]
    pub fn connection_state(&self) -> String {
        self.inner
            .borrow()
            .machine
            .connection_state()
            .as_str()
            .to_owned()
    }

    /// `url`.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.inner.borrow().url.clone()
    }

    /// `protocol` of the current or last open socket.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        self.inner.borrow().protocol.clone()
    }

    /// `extensions` of the current or last open socket.
    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> String {
        self.inner.borrow().extensions.clone()
    }

    /// `bufferedAmount`: the live socket's plus the bytes waiting in the queue.
    #[wasm_bindgen(getter, js_name = bufferedAmount)]
    pub fn buffered_amount(&self) -> f64 {
        let inner = self.inner.borrow();
        let socket = inner.socket.as_ref().map_or(0, |s| s.ws.buffered_amount());
        f64::from(socket) + inner.machine.queued_bytes() as f64
    }

    /// `send(data)`; `bytes` is the payload's size as the JS class measured it.
    /// Returns the name of the DOMException to throw, or `undefined`.
    pub fn send(&self, data: JsValue, bytes: f64) -> Option<String> {
        let sent = {
            let mut inner = self.inner.borrow_mut();
            let sent = inner.machine.send(env::now(), bytes as u64);
            if let Ok(id) = sent {
                inner.payloads.insert(id, data);
            }
            sent
        };
        pump(&self.inner);
        match sent {
            Ok(_) => None,
            Err(SendError::InvalidState) => Some("InvalidStateError".into()),
            Err(SendError::QuotaExceeded) => Some("QuotaExceededError".into()),
        }
    }

    /// `close(code, reason)`. Returns the name of the DOMException to throw, or `undefined`.
    pub fn close(&self, code: Option<u16>, reason: Option<String>) -> Option<String> {
        let closed = self
            .inner
            .borrow_mut()
            .machine
            .close(env::now(), code, reason.as_deref());
        pump(&self.inner);
        closed.err().map(close_error_name)
    }

    /// `reconnect()`: drop the current socket, if any, and connect now.
    /// Returns the name of the DOMException to throw for a bad code or reason, or `undefined`.
    pub fn reconnect(&self, code: Option<u16>, reason: Option<String>) -> Option<String> {
        let reconnected =
            self.inner
                .borrow_mut()
                .machine
                .reconnect(env::now(), code, reason.as_deref());
        pump(&self.inner);
        reconnected.err().map(close_error_name)
    }
}

/// Drains the core's outputs, performing each with no borrow held across user code, then re-arms
/// the timer. Re-entrant: a handler's `send()` pumps the same queue, and order is kept because
/// every output is taken from the one FIFO.
fn pump(rc: &Rc<RefCell<Inner>>) {
    loop {
        let output = rc.borrow_mut().machine.poll_output();
        match output {
            Some(output) => perform(rc, output),
            None => break,
        }
    }
    let weak = Rc::downgrade(rc);
    let mut inner = rc.borrow_mut();
    let deadline = inner.machine.poll_timeout();
    inner
        .timer
        .set(deadline, env::now(), move || on_timer(&weak));
}

fn on_timer(weak: &Weak<RefCell<Inner>>) {
    if let Some(rc) = weak.upgrade() {
        {
            let mut inner = rc.borrow_mut();
            inner.timer.fired();
            inner.machine.handle_timeout(env::now());
        }
        pump(&rc);
    }
}

fn perform(rc: &Rc<RefCell<Inner>>, output: Output) {
    match output {
        Output::Connect { gen } => connect(rc, gen),
        Output::Transmit { gen, id } => {
            let inner = &mut *rc.borrow_mut();
            let payload = inner.payloads.remove(&id);
            if let (Some(socket), Some(payload)) = (&inner.socket, payload) {
                if socket.gen == gen {
                    // The core transmits only on an open socket, where the browser does not throw.
                    let _ = socket.send(&payload);
                }
            }
        }
        Output::SendHeartbeat { .. } => {}
        Output::CloseSocket {
            gen,
            code,
            reason,
            detach,
        } => {
            let mut inner = rc.borrow_mut();
            if let Some(socket) = inner.socket.as_ref().filter(|s| s.gen == gen) {
                socket.close(code, &reason);
                if detach {
                    // The core already told the user; dropping detaches the handlers.
                    inner.socket = None;
                }
            }
        }
        Output::Replay { gen } => {
            let mut inner = rc.borrow_mut();
            inner.machine.replay(env::now(), gen, &[]);
        }
        Output::Emit(event) => dispatch(rc, event),
    }
}

/// Opens the socket of `gen`. The constructor may be the user's, so it runs with no borrow held.
fn connect(rc: &Rc<RefCell<Inner>>, gen: Generation) {
    let (constructor, args) = {
        let inner = rc.borrow();
        let args = js_sys::Array::of2(&JsValue::from_str(&inner.url), &inner.protocols);
        (inner.constructor.clone(), args)
    };
    // Drop the previous socket (detaching its handlers) before the new one exists.
    rc.borrow_mut().socket = None;
    match js_sys::Reflect::construct(&constructor, &args) {
        Ok(ws) => {
            let ws: WebSocket = ws.unchecked_into();
            let weak = Rc::downgrade(rc);
            let socket = Socket::attach(gen, ws, move |gen, event| on_socket(&weak, gen, event));
            rc.borrow_mut().socket = Some(socket);
        }
        Err(_) => {
            // The constructor threw (bad URL from a provider, or an override that failed): report
            // it as a failed attempt, as the browser reports an unreachable server.
            let now = env::now();
            {
                let mut inner = rc.borrow_mut();
                inner.machine.handle_error(now, gen);
                inner.machine.handle_close(now, gen, 1006, "", false, None);
            }
            pump(rc);
        }
    }
}

fn on_socket(weak: &Weak<RefCell<Inner>>, gen: Generation, event: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let now = env::now();
        let mut inner = rc.borrow_mut();
        match event {
            SocketEvent::Open => inner.machine.handle_open(now, gen),
            SocketEvent::Message(data) => {
                inner.inbound = Some(data);
                inner.machine.handle_message(now, gen, false);
            }
            SocketEvent::Error => inner.machine.handle_error(now, gen),
            SocketEvent::Close {
                code,
                reason,
                was_clean,
            } => inner
                .machine
                .handle_close(now, gen, code, &reason, was_clean, None),
        }
    }
    pump(&rc);
}

/// Hands one core event to the JS class. The borrow ends before `emit` runs user handlers.
fn dispatch(rc: &Rc<RefCell<Inner>>, event: Event) {
    let undefined = JsValue::UNDEFINED;
    let (emit, kind, a, b, c) = {
        let mut inner = rc.borrow_mut();
        let emit = inner.emit.clone();
        let (kind, a, b, c): (&str, JsValue, JsValue, JsValue) = match event {
            Event::Open { gen } => {
                let opened = inner.socket.as_ref().filter(|s| s.gen == gen);
                let (protocol, extensions) =
                    opened.map_or_else(Default::default, |s| (s.ws.protocol(), s.ws.extensions()));
                inner.protocol = protocol;
                inner.extensions = extensions;
                ("open", undefined.clone(), undefined.clone(), undefined)
            }
            Event::Message => {
                let data = inner.inbound.take().unwrap_or(JsValue::UNDEFINED);
                ("message", data, undefined.clone(), undefined)
            }
            Event::Error => ("error", undefined.clone(), undefined.clone(), undefined),
            Event::Close {
                code,
                reason,
                was_clean,
            } => (
                "close",
                JsValue::from(code),
                JsValue::from(reason),
                JsValue::from(was_clean),
            ),
            Event::StateChange { from, to } => (
                "statechange",
                JsValue::from_str(from.as_str()),
                JsValue::from_str(to.as_str()),
                undefined,
            ),
            Event::Reconnecting { attempt, delay } => (
                "reconnecting",
                JsValue::from(attempt),
                JsValue::from(delay as f64),
                undefined,
            ),
            Event::GiveUp => ("giveup", undefined.clone(), undefined.clone(), undefined),
            Event::Drop { id, reason } => {
                let data = inner.payloads.remove(&id).unwrap_or(JsValue::UNDEFINED);
                ("drop", data, JsValue::from_str(reason.as_str()), undefined)
            }
            Event::Heartbeat { rtt } => (
                "heartbeat",
                JsValue::from(rtt as f64),
                undefined.clone(),
                undefined,
            ),
        };
        (emit, kind, a, b, c)
    };
    let args = js_sys::Array::of4(&JsValue::from_str(kind), &a, &b, &c);
    // The JS class dispatches with EventTarget, which reports a throwing handler itself and does
    // not rethrow; an error here would be a bug in the class, and must not abort the driver.
    let _ = emit.apply(&JsValue::NULL, &args);
}

fn close_error_name(error: CloseError) -> String {
    match error {
        CloseError::InvalidCode => "InvalidAccessError".into(),
        CloseError::ReasonTooLong => "SyntaxError".into(),
    }
}
