//! The driver: the only code that touches the browser.
//!
//! It turns browser events into the core's `handle_*` calls, performs the core's outputs, and
//! hands events to the JS class through one `emit(kind, a, b, c)` callback. The core lives in a
//! `RefCell`; every borrow is released before any JS that a user controls runs (event handlers,
//! hooks such as `shouldReconnect` or the replay filter, a `WebSocket` constructor override or its
//! methods), so user code may call back into the driver from anywhere. Events reach JS one at a
//! time, in the core's order, after the step that caused them is fully drained: a handler that
//! calls back in never sees a later event before the other listeners of the current one ran.

mod acked;
mod env;
mod error;
mod js;
mod options;
mod payloads;
mod socket;
mod timer;

use crate::machine::{validate, wire};
use crate::machine::{
    ConnectionState, Event, Generation, Machine, Millis, Output, ReadyState, Verdict,
};
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Ref, RefCell, RefMut};
use env::{PageEvent, PageListeners};
use js::Kind;
use js_sys::{Array, Float64Array, Function, Object, Reflect};
use options::Hooks;
use payloads::Payloads;
use socket::{Direct, Socket, SocketEvent};
use timer::DeadlineTimer;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// Everything the driver owns. Socket closures, listeners and the timer hold only a `Weak` to it,
/// so dropping the driver frees it all: there is no reference cycle to leak.
struct Inner {
    machine: Machine,
    hooks: Hooks,
    emit: Function,
    /// The URL of the current or last attempt (fixed unless a provider supplies one per attempt),
    /// a JS string.
    url: JsValue,
    /// An array of strings.
    protocols: JsValue,
    /// The JS class calls the URL or protocols provider before each attempt.
    has_provider: bool,
    /// The attempt whose socket is being set up (its provider may still be pending).
    pending: Option<Generation>,
    socket: Option<Socket>,
    /// `'blob'` or `'arraybuffer'`.
    binary_type: JsValue,
    /// `protocol` and `extensions` of the last socket that opened (JS strings); kept after it is
    /// gone.
    protocol: JsValue,
    extensions: JsValue,
    /// Attempts since the last open, for the providers' `ctx.attempt`.
    attempts_since_open: u32,
    /// The last close, for the providers' `ctx.lastClose`.
    last_close: JsValue,
    /// `delivery: 'acked'`: payloads travel in envelopes and sockets always receive array buffers.
    acked: bool,
    /// The acked session's id and key, made when the core starts a session.
    tokens: Option<acked::SessionTokens>,
    /// Payloads of the messages the core knows by id, until it transmits (plain), releases
    /// (acked) or drops them.
    payloads: Payloads,
    /// The data of the message being handled, dispatched when the core emits `Event::Message`.
    inbound: Option<JsValue>,
    timer: DeadlineTimer,
    heartbeat: bool,
    network: bool,
    page_lifecycle: bool,
    /// Registered while the connection is not terminally closed.
    listeners: Option<PageListeners>,
    /// User-visible work (events, the replay with its filter) in the core's order, waiting for the
    /// outermost [`pump`] to hand it to JS.
    deferred: Vec<Deferred>,
    /// A [`pump`] is running further up the stack; a nested one only drains the core.
    pumping: bool,
    /// The socket that reported an `error`, handed to the core with its `close`, which the browser
    /// fires right after it: so, as natively, `readyState` during `error` is already the state
    /// after the close (`CLOSED`, or `CONNECTING` when a reconnect follows).
    errored: Option<Generation>,
}

/// The driver's state, borrowed. Every borrow goes through these two.
fn state(rc: &RefCell<Inner>) -> Ref<'_, Inner> {
    rc.try_borrow().unwrap_or_else(|_| borrow_failed())
}

fn state_mut(rc: &RefCell<Inner>) -> RefMut<'_, Inner> {
    rc.try_borrow_mut().unwrap_or_else(|_| borrow_failed())
}

/// A borrow that fails is a bug of the driver (user code runs with no borrow held). In wasm it
/// traps, as `RefCell`'s own panic would with `panic = "abort"`, but without that panic's message,
/// whose formatting code would otherwise stay in the module (0.1 KB gzipped).
fn borrow_failed() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("the driver's state is already borrowed");
}

/// Work for user code that [`pump`] defers until the core is drained, so that user code never
/// runs in the middle of another event's dispatch, and always sees the state after the core's step.
enum Deferred {
    /// `emit(kind, a, b, c)`, converted when the core emitted it (the data it names is current then).
    Emit(Kind, JsValue, JsValue, JsValue),
    /// The replay of the queue after the `open` handlers ran.
    Replay(Generation),
    /// The call of the URL and protocols providers for an attempt.
    Provide { gen: Generation, attempt: u32 },
}

/// The wasm side of one `ResilientWebSocket`. Not meant to be used directly: `js/` wraps it.
#[wasm_bindgen]
pub struct WebDriver {
    inner: Rc<RefCell<Inner>>,
}

#[wasm_bindgen]
impl WebDriver {
    /// A driver for the arguments the JS class checked and flattened (`js/options.js`);
    /// [`WebDriver::start`] connects.
    ///
    /// `url` is the resolved URL string, or `""` when the JS class holds a URL provider (then
    /// `has_provider` is true and the class answers each `provide` event with [`WebDriver::open`]).
    /// `protocols` is an array of strings (or empty when a protocols provider is used). `options`
    /// are the numbers of `readOptions`, and `hooks` its JS values: `[shouldReconnect,
    /// heartbeat.message, heartbeat.pong, replay filter, WebSocket]`. `emit(kind, a, b, c)`
    /// receives every event for the user.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: JsValue,
        protocols: JsValue,
        has_provider: bool,
        options: &Float64Array,
        hooks: Array,
        emit: Function,
    ) -> WebDriver {
        let (config, expose_pongs) = options::config(options);
        let hooks = Hooks {
            should_reconnect: hooks.get(0).dyn_into().ok(),
            heartbeat_message: hooks.get(1),
            heartbeat_pong: hooks.get(2),
            expose_pongs,
            replay_filter: hooks.get(3).dyn_into().ok(),
            constructor: hooks.get(4).unchecked_into(),
        };
        let (acked, heartbeat, network, page_lifecycle) = (
            config.acked.is_some(),
            config.heartbeat.is_some(),
            config.network,
            config.page_lifecycle,
        );
        let now = env::now();
        let mut machine = Machine::new(config, env::seed(), now);
        if !env::online() {
            machine.handle_offline(now);
        }
        if env::hidden() {
            machine.handle_visibility(now, false);
        }
        let inner = Rc::new(RefCell::new(Inner {
            machine,
            hooks,
            emit,
            url,
            protocols,
            has_provider,
            pending: None,
            socket: None,
            binary_type: JsValue::from_str("blob"),
            protocol: JsValue::from_str(""),
            extensions: JsValue::from_str(""),
            attempts_since_open: 0,
            last_close: JsValue::NULL,
            acked,
            tokens: None,
            payloads: Payloads::new(),
            inbound: None,
            timer: DeadlineTimer::default(),
            heartbeat,
            network,
            page_lifecycle,
            listeners: None,
            deferred: Vec::new(),
            pumping: false,
            errored: None,
        }));
        WebDriver { inner }
    }

    /// The defaults of `reconnect.minDelay` (`max` false) and `reconnect.maxDelay`, for the one
    /// check across two options that the JS class makes (`minDelay <= maxDelay`).
    #[wasm_bindgen(js_name = defaultDelay)]
    pub fn default_delay(max: bool) -> f64 {
        let defaults = crate::machine::ReconnectConfig::default();
        (if max {
            defaults.max_delay
        } else {
            defaults.min_delay
        }) as f64
    }

    /// Starts the first attempt (unless `startClosed`). Separate from the constructor so that the
    /// JS class holds the driver before the first `provide` event can ask it to open a socket.
    pub fn start(&self) {
        pump(&self.inner);
    }

    /// The attributes the JS class forwards, through one export (each export costs the module its
    /// own glue): 0 `readyState`, 1 `connectionState`, 2 `url`, 3 `protocol`, 4 `extensions`,
    /// 5 `binaryType`, 6 `bufferedAmount`, 7 `acked`.
    pub fn attribute(&self, which: u8) -> JsValue {
        match which {
            0 => self.ready_state().into(),
            1 => self.connection_state(),
            6 => self.buffered_amount().into(),
            7 => state(&self.inner).acked.into(),
            _ => {
                let inner = state(&self.inner);
                match which {
                    2 => &inner.url,
                    3 => &inner.protocol,
                    4 => &inner.extensions,
                    _ => &inner.binary_type,
                }
                .clone()
            }
        }
    }

    /// Sets `binaryType` (applied to every socket, including those of later reconnects). Other
    /// values are ignored, as by the native attribute.
    #[wasm_bindgen(js_name = setBinaryType)]
    pub fn set_binary_type(&self, value: JsValue) {
        // Compared in JS: no copy of the string into wasm memory.
        if !(value == "blob" || value == "arraybuffer") {
            return;
        }
        let ws = {
            let mut inner = state_mut(&self.inner);
            inner.binary_type = value.clone();
            // Acked sockets keep receiving array buffers; payloads become Blobs when unwrapped.
            live_ws(&inner).filter(|_| !inner.acked)
        };
        // The socket may be a user's WebSocket subclass: no borrow is held while it runs.
        if let Some(ws) = ws {
            js::set(&ws, "binaryType", &value);
        }
    }

    /// `stats`, written into `out` (a `Float64Array`) as numbers in the order of the JS class's keys
    /// (`js/class.js`): attempts, reconnects, downtimeMs, lastRtt (NaN before the first round
    /// trip), queued, queuedBytes, dropped, replayed, unacked, unackedBytes, resent.
    pub fn stats(&self, out: &Float64Array) {
        let stats = state(&self.inner).machine.stats(env::now());
        let values = [
            stats.attempts.into(),
            stats.reconnects.into(),
            stats.downtime_ms as f64,
            stats.last_rtt.map_or(f64::NAN, |rtt| rtt as f64),
            stats.queued.into(),
            stats.queued_bytes as f64,
            stats.dropped.into(),
            stats.replayed.into(),
            stats.unacked.into(),
            stats.unacked_bytes as f64,
            stats.resent.into(),
        ];
        for (i, value) in (0..).zip(values) {
            out.set_index(i, value);
        }
    }

    /// `send(data)`; `bytes` is the payload's size as the JS class measured it. Returns 0, or the
    /// code of the error to throw (see `error`).
    pub fn send(&self, data: JsValue, bytes: f64) -> u8 {
        notice_peer_closing(&self.inner);
        let sent = {
            let mut inner = state_mut(&self.inner);
            let sent = inner.machine.send(env::now(), bytes as u64);
            if let Ok(id) = sent {
                inner.payloads.insert(id, &data);
            }
            sent
        };
        pump(&self.inner);
        sent.map_or_else(error::send_error, |_| 0)
    }

    /// `close(code, reason)`: terminal. `code` is a number (clamped here as WebIDL's `[Clamp]
    /// unsigned short`) or absent. Returns 0, or the code of the error to throw (see `error`).
    pub fn close(&self, code: Option<f64>, reason: Option<String>) -> u8 {
        let code = code.map(validate::clamp_u16);
        let closed = state_mut(&self.inner)
            .machine
            .close(env::now(), code, reason.as_deref());
        pump(&self.inner);
        closed.map_or_else(error::close_error, |()| 0)
    }

    /// `reconnect(code, reason)`: drop the current socket, if any, and connect now. Arguments and
    /// result as for [`WebDriver::close`].
    pub fn reconnect(&self, code: Option<f64>, reason: Option<String>) -> u8 {
        let code = code.map(validate::clamp_u16);
        let reconnected =
            state_mut(&self.inner)
                .machine
                .reconnect(env::now(), code, reason.as_deref());
        pump(&self.inner);
        reconnected.map_or_else(error::close_error, |()| 0)
    }

    /// Opens the socket of attempt `gen` with what the providers returned, checked by the JS class
    /// (`undefined` keeps the fixed value). A stale `gen` is ignored: the attempt was abandoned
    /// meanwhile. (A URL or protocols that the native constructor would refuse fail the attempt
    /// through [`WebDriver::fail`] instead.)
    pub fn open(&self, gen: u32, url: JsValue, protocols: JsValue) {
        let gen = Generation(gen);
        {
            let mut inner = state_mut(&self.inner);
            if inner.pending != Some(gen) {
                return;
            }
            if !url.is_undefined() {
                inner.url = url;
            }
            if !protocols.is_undefined() {
                inner.protocols = protocols;
            }
        }
        open_socket(&self.inner, gen);
    }

    /// Attempt `gen` failed before a socket existed (a provider threw or rejected): reported
    /// through `hookerror`, then handled as a connection failure.
    pub fn fail(&self, gen: u32, error: JsValue) {
        let gen = Generation(gen);
        if state(&self.inner).pending != Some(gen) {
            return;
        }
        report(&self.inner, error);
        attempt_failed(&self.inner, gen);
    }
}

/// The attributes of [`WebDriver::attribute`], typed, for Rust callers.
impl WebDriver {
    /// `readyState`.
    pub fn ready_state(&self) -> u8 {
        state(&self.inner).machine.ready_state() as u8
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> JsValue {
        JsValue::from_str(state(&self.inner).machine.connection_state().as_str())
    }

    /// `bufferedAmount`: the live socket's plus the bytes waiting in the queue; with acked
    /// delivery, the queue plus every byte not yet acknowledged (which includes the socket's).
    pub fn buffered_amount(&self) -> f64 {
        let (ws, queued) = {
            let inner = state(&self.inner);
            let ws = live_ws(&inner).filter(|_| !inner.acked);
            (ws, inner.machine.queued_bytes())
        };
        let socket = ws.map_or(0, |ws| ws.buffered_amount());
        f64::from(socket) + queued as f64
    }
}

/// The browser socket of attempt `gen`, if it is the live one. A handle (a clone of the JS
/// reference), so that the caller can release the borrow before calling any of its methods: with
/// the `WebSocket` option, they may be user code that calls back into the driver.
fn ws_of(inner: &Inner, gen: Generation) -> Option<WebSocket> {
    inner
        .socket
        .as_ref()
        .filter(|s| s.gen == gen)
        .map(|s| s.ws.clone())
}

/// The live browser socket, whatever its generation (see [`ws_of`]).
fn live_ws(inner: &Inner) -> Option<WebSocket> {
    inner.socket.as_ref().map(|s| s.ws.clone())
}

/// Drains the core's outputs, then hands the events they produced to JS one at a time, in order.
///
/// Side effects (sockets, transmissions, the timer) are performed as soon as the core asks for
/// them; events and the replay are deferred to the outermost `pump`, which delivers each only
/// after the previous one's listeners all returned. A handler that calls `send()`, `close()` or
/// `reconnect()` re-enters here: its own side effects happen at once (a message sent in `onopen`
/// goes out before the replay), and the events it causes queue up behind the one being
/// dispatched, as the browser queues a native socket's events.
fn pump(rc: &Rc<RefCell<Inner>>) {
    let nested = core::mem::replace(&mut state_mut(rc).pumping, true);
    drain(rc);
    if nested {
        return;
    }
    // Taken a batch at a time: work deferred while one batch is handed out lands in the next, so
    // it still comes after everything deferred before it, as from a FIFO.
    loop {
        let batch = core::mem::take(&mut state_mut(rc).deferred);
        if batch.is_empty() {
            break;
        }
        for next in batch {
            match next {
                // A listener's close() cancelled the retry this event announces.
                Deferred::Emit(Kind::Reconnecting, ..)
                    if state(rc).machine.ready_state() == ReadyState::Closed => {}
                Deferred::Emit(Kind::Close, a, b, c) => {
                    emit(rc, Kind::Close, a, b, c);
                    // Its listeners have run (the JS class holds events back only while it
                    // dispatches a directly delivered message, and no loss, so no close that a
                    // close() could find pending, can happen inside that).
                    state_mut(rc).machine.handle_close_dispatched();
                }
                Deferred::Emit(kind, a, b, c) => emit(rc, kind, a, b, c),
                Deferred::Replay(gen) => replay(rc, gen),
                Deferred::Provide { gen, attempt } => provide(rc, gen, attempt),
            }
            drain(rc);
        }
    }
    state_mut(rc).pumping = false;
}

/// Performs every output the core has, with no borrow held across user code (a provider or a
/// `WebSocket` constructor may run), then re-arms the timer and keeps the page listeners
/// registered exactly while the connection is not terminally closed.
fn drain(rc: &Rc<RefCell<Inner>>) {
    loop {
        let output = state_mut(rc).machine.poll_output();
        match output {
            Some(output) => perform(rc, output),
            None => break,
        }
    }
    let weak = Rc::downgrade(rc);
    let mut inner = state_mut(rc);
    update_direct(&mut inner);
    let deadline = inner.machine.poll_timeout();
    let timer_weak = weak.clone();
    inner
        .timer
        .set(deadline, env::now, move || on_timer(&timer_weak));
    let closed = inner.machine.ready_state() == ReadyState::Closed;
    if closed {
        inner.listeners = None;
    } else if inner.listeners.is_none() && (inner.network || inner.page_lifecycle) {
        let listeners = PageListeners::register(inner.network, inner.page_lifecycle, move |e| {
            on_page_event(&weak, e)
        });
        inner.listeners = Some(listeners);
    }
}

fn on_timer(weak: &Weak<RefCell<Inner>>) {
    if let Some(rc) = weak.upgrade() {
        {
            let mut inner = state_mut(&rc);
            inner.timer.fired();
            report_direct_traffic(&mut inner);
            inner.machine.handle_timeout(env::now());
        }
        pump(&rc);
    }
}

fn on_page_event(weak: &Weak<RefCell<Inner>>, event: PageEvent) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let now = env::now();
        let mut inner = state_mut(&rc);
        report_direct_traffic(&mut inner);
        let machine = &mut inner.machine;
        match event {
            PageEvent::Online => machine.handle_online(now),
            PageEvent::Offline => machine.handle_offline(now),
            PageEvent::Visibility => machine.handle_visibility(now, !env::hidden()),
            PageEvent::PageHide => machine.handle_pagehide(now),
            PageEvent::PageShow { persisted } => machine.handle_pageshow(now, persisted),
            PageEvent::Freeze => machine.handle_freeze(now),
            PageEvent::Resume => machine.handle_resume(now),
        }
    }
    pump(&rc);
}

fn perform(rc: &Rc<RefCell<Inner>>, output: Output) {
    match output {
        Output::Connect { gen } => connect(rc, gen),
        Output::Transmit { gen, id } => {
            let (ws, payload) = {
                let inner = state(rc);
                let payload = inner.payloads.remove(id);
                (ws_of(&inner, gen), payload)
            };
            if let (Some(ws), Some(payload)) = (ws, payload) {
                // The core transmits only on an open socket, where the browser does not throw.
                let _ = socket::send(&ws, &payload);
            }
        }
        Output::TransmitAcked { gen, id, seq, ack } => {
            let (ws, payload) = {
                let inner = state(rc);
                (ws_of(&inner, gen), inner.payloads.get(id))
            };
            if let (Some(ws), Some(payload)) = (ws, payload) {
                let _ = socket::send(&ws, &acked::envelope(&payload, seq, ack));
            }
        }
        Output::Release { id } => {
            state(rc).payloads.remove(id);
        }
        Output::SendHello {
            gen,
            session,
            epoch,
            ack,
        } => {
            let hello = acked::hello(&mut state_mut(rc).tokens, session, epoch, ack);
            send_control(rc, gen, &hello);
        }
        Output::SendAck { gen, ack } => send_control(rc, gen, &wire::ack_frame(ack)),
        Output::SendPong { gen } => send_control(rc, gen, wire::PONG),
        Output::SendHeartbeat { gen } => send_heartbeat(rc, gen),
        Output::CloseSocket {
            gen,
            code,
            reason,
            detach,
        } => {
            let (ws, detached) = {
                let inner = &mut *state_mut(rc);
                let ws = ws_of(inner, gen);
                if inner.pending == Some(gen) {
                    // Abandoned while its provider was pending: a late answer must not open it.
                    inner.pending = None;
                    if ws.is_none() && !detach {
                        // The user's close() while the providers run: no socket will ever report
                        // this close, so report it now, as a native socket closed while
                        // CONNECTING reports its failed handshake (error, then close 1006).
                        let now = env::now();
                        inner.machine.handle_error(now, gen);
                        inner.machine.handle_close(now, gen, 1006, "", false, None);
                    }
                }
                // The core already told the user of a detached close: dropping the socket
                // detaches its handlers.
                let detached = if detach && ws.is_some() {
                    inner.socket.take()
                } else {
                    None
                };
                (ws, detached)
            };
            if let Some(ws) = ws {
                socket::close(&ws, code, &reason);
            }
            drop(detached);
        }
        Output::Replay { gen } => state_mut(rc).deferred.push(Deferred::Replay(gen)),
        Output::Emit(event) => {
            let inner = &mut *state_mut(rc);
            let (kind, a, b, c) = convert(inner, event);
            inner.deferred.push(Deferred::Emit(kind, a, b, c));
        }
    }
}

/// Starts attempt `gen`: straight to the socket with fixed URL and protocols, or through the JS
/// class, which calls the providers (possibly async) and answers with [`WebDriver::open`]. The
/// providers are user code, so their call waits its turn behind the events before it; by then the
/// close that caused this attempt has been converted, and `ctx.lastClose` is that close.
fn connect(rc: &Rc<RefCell<Inner>>, gen: Generation) {
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
fn provide(rc: &Rc<RefCell<Inner>>, gen: Generation, attempt: u32) {
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
fn open_socket(rc: &Rc<RefCell<Inner>>, gen: Generation) {
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
                let binary_type = if inner.acked {
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
            let weak = Rc::downgrade(rc);
            let mut socket =
                Socket::attach(gen, ws, move |gen, event| on_socket(&weak, gen, event));
            socket.direct = listen(rc, &socket);
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

/// Asks the class to put its own `message` listener in front of the driver's (see [`Direct`]).
/// Not with acknowledged delivery, where every frame has a header to read and every message sent
/// is numbered. With a pong predicate, which is user code the core must call for every message,
/// the listener delivers nothing itself; `send()` still takes the direct path.
fn listen(rc: &Rc<RefCell<Inner>>, socket: &Socket) -> Option<Direct> {
    let (emit, pong, delivers) = {
        let inner = state(rc);
        if inner.acked {
            return None;
        }
        let pong = if inner.heartbeat && !inner.hooks.expose_pongs {
            inner.hooks.heartbeat_pong.clone()
        } else {
            JsValue::UNDEFINED
        };
        let delivers = !pong.is_function();
        (inner.emit.clone(), pong, delivers)
    };
    let listener = js::call_emit(
        &emit,
        Kind::Listen,
        &socket.ws,
        socket.message_handler(),
        &pong,
    )
    .ok()
    .filter(JsValue::is_function)?;
    Some(Direct {
        listener,
        delivers,
        open: false,
        writable: false,
        reported: 0.0,
    })
}

/// Reports the traffic of directly delivered messages to the core, before an input whose
/// outcome depends on it (a heartbeat deadline, a visibility or network change).
fn report_direct_traffic(inner: &mut Inner) {
    let Inner {
        socket, machine, ..
    } = inner;
    let Some(socket) = socket.as_mut() else {
        return;
    };
    let Some(direct) = socket.direct.as_mut() else {
        return;
    };
    if let Some(at) = js::field(&direct.listener, "at").as_f64() {
        if at > direct.reported {
            direct.reported = at;
            // As env::now() counts: whole milliseconds, truncated.
            machine.handle_direct_traffic(at as Millis, socket.gen);
        }
    }
}

/// Opens or closes the direct paths, in and out, to what the core says now.
fn update_direct(inner: &mut Inner) {
    let Inner {
        socket, machine, ..
    } = inner;
    if let Some(socket) = socket.as_mut() {
        if let Some(direct) = socket.direct.as_mut() {
            let open = direct.delivers && machine.direct_delivery(socket.gen);
            mirror(&direct.listener, "open", &mut direct.open, open);
            let writable = machine.direct_send(socket.gen);
            mirror(&direct.listener, "writable", &mut direct.writable, writable);
        }
    }
}

/// Writes `value` to the listener's property `name` unless `written`, the value last written,
/// already is it: a property write crosses into JS.
fn mirror(listener: &JsValue, name: &str, written: &mut bool, value: bool) {
    if *written != value {
        *written = value;
        js::set(listener, name, &JsValue::from_bool(value));
    }
}

fn attempt_failed(rc: &Rc<RefCell<Inner>>, gen: Generation) {
    let now = env::now();
    {
        let mut inner = state_mut(rc);
        inner.machine.handle_error(now, gen);
        inner.machine.handle_close(now, gen, 1006, "", false, None);
    }
    pump(rc);
}

/// Sends a frame of the acked protocol (hello, ack, ping, pong) on `gen` if it is open.
fn send_control(rc: &Rc<RefCell<Inner>>, gen: Generation, frame: &str) {
    let ws = ws_of(&state(rc), gen);
    if let Some(ws) = ws.filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        let _ = socket::send(&ws, &JsValue::from_str(frame));
    }
}

fn send_heartbeat(rc: &Rc<RefCell<Inner>>, gen: Generation) {
    if state(rc).acked {
        return send_control(rc, gen, wire::PING);
    }
    let message = state(rc).hooks.heartbeat_message.clone();
    let message = match message.dyn_ref::<Function>() {
        Some(make) => match make.call0(&JsValue::UNDEFINED) {
            Ok(message) => message,
            Err(error) => return report(rc, error),
        },
        None => message,
    };
    let ws = ws_of(&state(rc), gen);
    // A socket the server is closing would discard the ping with a console warning; its close
    // event is on the way, and a dead close handshake is still caught by the pong deadline.
    if let Some(ws) = ws.filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        if let Err(error) = socket::send(&ws, &message) {
            report(rc, error);
        }
    }
}

/// Tells the core if the live socket stopped accepting data before its `close` event: once the
/// server has started the closing handshake, the browser's socket reads CLOSING and discards what
/// it is handed (it only logs a warning). Called before anything is handed to the socket, so that
/// such messages stay queued for the next connection instead. The socket's `readyState` is read
/// with no borrow held (it may be a user's WebSocket subclass).
fn notice_peer_closing(rc: &Rc<RefCell<Inner>>) {
    let live = {
        let inner = state(rc);
        inner.socket.as_ref().map(|s| (s.ws.clone(), s.gen))
    };
    if let Some((ws, gen)) = live {
        if ws.ready_state() >= WebSocket::CLOSING {
            state_mut(rc).machine.handle_peer_closing(env::now(), gen);
        }
    }
}

/// Replays the queue after the `open` handlers ran, asking the user's filter (with no borrow
/// held) about each candidate first.
fn replay(rc: &Rc<RefCell<Inner>>, gen: Generation) {
    notice_peer_closing(rc);
    let filter = state(rc).hooks.replay_filter.clone();
    let mut rejected = Vec::new();
    if let Some(filter) = filter {
        let mut candidates = Vec::new();
        {
            let mut inner = state_mut(rc);
            for id in inner.machine.replay_candidates(env::now(), gen) {
                let data = inner.payloads.get(id);
                candidates.push((id, data.unwrap_or(JsValue::UNDEFINED)));
            }
        }
        for (id, data) in candidates {
            match filter.call1(&JsValue::UNDEFINED, &data) {
                Ok(keep) if keep.is_truthy() => {}
                Ok(_) => rejected.push(id),
                Err(error) => {
                    // A filter that throws keeps the message: nothing is dropped on a bug.
                    report(rc, error);
                }
            }
        }
    }
    state_mut(rc).machine.replay(env::now(), gen, &rejected);
}

fn on_socket(weak: &Weak<RefCell<Inner>>, gen: Generation, event: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    match event {
        SocketEvent::Open => {
            // Read with no borrow held: the socket may be a user's WebSocket subclass.
            let ws = ws_of(&state(&rc), gen);
            let opened = ws.map(|ws| (js::field(&ws, "protocol"), js::field(&ws, "extensions")));
            let mut inner = state_mut(&rc);
            inner.pending = None;
            inner.attempts_since_open = 0;
            inner.machine.handle_open(env::now(), gen);
            let accepted = inner.machine.connection_state() == ConnectionState::Open;
            if let (true, Some((protocol, extensions))) = (accepted, opened) {
                inner.protocol = protocol;
                inner.extensions = extensions;
            }
        }
        SocketEvent::Message(data) if state(&rc).acked => {
            let mut inner = state_mut(&rc);
            let as_blob = inner.binary_type == "blob";
            let (frame, payload) = acked::open(&data, as_blob);
            inner.inbound = payload;
            inner.machine.handle_frame(env::now(), gen, frame);
        }
        SocketEvent::Message(data) => {
            let is_pong = is_pong(&rc, &data);
            let mut inner = state_mut(&rc);
            inner.inbound = Some(data);
            inner.machine.handle_message(env::now(), gen, is_pong);
        }
        SocketEvent::Error => {
            // Every engine fires `error` with the socket already CLOSED and its `close` next,
            // except WebKit for a port the fetch standard blocks: `error` with the socket still
            // CONNECTING, and no `close` ever. Fail that attempt now, as the others do.
            let stuck =
                ws_of(&state(&rc), gen).is_some_and(|ws| ws.ready_state() == WebSocket::CONNECTING);
            if stuck {
                return attempt_failed(&rc, gen);
            }
            state_mut(&rc).errored = Some(gen);
            return;
        }
        SocketEvent::Close(event) => {
            let verdict = should_reconnect(&rc, gen, &event);
            let mut inner = state_mut(&rc);
            if inner.pending == Some(gen) {
                inner.pending = None;
            }
            if inner.errored.take() == Some(gen) {
                inner.machine.handle_error(env::now(), gen);
            }
            inner.machine.handle_close(
                env::now(),
                gen,
                event.code(),
                &event.reason(),
                event.was_clean(),
                verdict,
            );
        }
    }
    pump(&rc);
    // A pong, or a message the core ignored, was not dispatched: let go of its data.
    state_mut(&rc).inbound = None;
}

/// Whether an inbound message is the heartbeat's pong (never with heartbeat off or pongs exposed).
/// A pong predicate is user code, so it runs before the core is borrowed.
fn is_pong(rc: &Rc<RefCell<Inner>>, data: &JsValue) -> bool {
    let pong = {
        let inner = state(rc);
        if inner.hooks.expose_pongs || !inner.heartbeat {
            return false;
        }
        inner.hooks.heartbeat_pong.clone()
    };
    match pong.dyn_ref::<Function>() {
        Some(matches) => match matches.call1(&JsValue::UNDEFINED, data) {
            Ok(answer) => answer.is_truthy(),
            Err(error) => {
                report(rc, error);
                false
            }
        },
        None => *data == pong,
    }
}

/// Asks the user's `shouldReconnect` about a close the core will decide on (not after the user's
/// own `close()`, which is terminal regardless).
fn should_reconnect(
    rc: &Rc<RefCell<Inner>>,
    gen: Generation,
    event: &web_sys::CloseEvent,
) -> Option<Verdict> {
    let predicate = {
        let inner = state(rc);
        let current = inner.socket.as_ref().is_some_and(|s| s.gen == gen);
        if !current || inner.machine.ready_state() == ReadyState::Closing {
            return None;
        }
        inner.hooks.should_reconnect.clone()?
    };
    let answer = match predicate.call1(&JsValue::UNDEFINED, event) {
        Ok(answer) => answer,
        Err(error) => {
            report(rc, error);
            return Some(Verdict::Default);
        }
    };
    if let Some(reconnect) = answer.as_bool() {
        return Some(if reconnect {
            Verdict::Reconnect
        } else {
            Verdict::Stop
        });
    }
    let delay = js::get(&answer, "delay")
        .ok()
        .and_then(|d| d.as_f64())
        .filter(|d| d.is_finite() && *d >= 0.0);
    Some(delay.map_or(Verdict::Default, |d| {
        Verdict::ReconnectAfter(d.ceil() as Millis)
    }))
}

/// Hands an exception thrown by user code (a hook or provider) to the JS class, which reports it
/// the way the browser reports an exception in an event handler, without stopping the driver.
fn report(rc: &Rc<RefCell<Inner>>, error: JsValue) {
    emit(
        rc,
        Kind::HookError,
        error,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
}

/// One core event as the arguments of `emit`, taken when the core emits it: the payload of a
/// message or a drop, and the last close (for the providers' `ctx`), are those of that moment.
fn convert(inner: &mut Inner, event: Event) -> (Kind, JsValue, JsValue, JsValue) {
    const NONE: JsValue = JsValue::UNDEFINED;
    match event {
        // `protocol` and `extensions` were read from the socket when it opened.
        Event::Open { .. } => (Kind::Open, NONE, NONE, NONE),
        Event::Message => {
            let data = inner.inbound.take().unwrap_or(NONE);
            (Kind::Message, data, NONE, NONE)
        }
        Event::Error => (Kind::Error, NONE, NONE, NONE),
        Event::Close {
            code,
            reason,
            was_clean,
        } => {
            let (code, reason, was_clean) = (
                JsValue::from(code),
                JsValue::from_str(&reason),
                JsValue::from_bool(was_clean),
            );
            let close = Object::new();
            js::set(&close, "code", &code);
            js::set(&close, "reason", &reason);
            js::set(&close, "wasClean", &was_clean);
            inner.last_close = close.into();
            (Kind::Close, code, reason, was_clean)
        }
        Event::StateChange { from, to } => (
            Kind::StateChange,
            JsValue::from_str(from.as_str()),
            JsValue::from_str(to.as_str()),
            NONE,
        ),
        Event::Reconnecting { attempt, delay } => (
            Kind::Reconnecting,
            JsValue::from(attempt),
            JsValue::from_f64(delay as f64),
            NONE,
        ),
        Event::GiveUp => (Kind::GiveUp, NONE, NONE, NONE),
        Event::Drop { id, reason } => {
            let data = inner.payloads.remove(id).unwrap_or(NONE);
            (Kind::Drop, data, JsValue::from_str(reason.as_str()), NONE)
        }
        Event::Heartbeat { rtt } => (Kind::Heartbeat, JsValue::from_f64(rtt as f64), NONE, NONE),
        Event::SessionLost { unconfirmed } => {
            (Kind::SessionLost, JsValue::from(unconfirmed), NONE, NONE)
        }
    }
}

fn emit(rc: &Rc<RefCell<Inner>>, kind: Kind, a: JsValue, b: JsValue, c: JsValue) {
    let emit = state(rc).emit.clone();
    // The JS class dispatches with EventTarget, which reports a throwing handler itself and does
    // not rethrow; an error here would be a bug in the class, and must not abort the driver.
    let _ = js::call_emit(&emit, kind, &a, &b, &c);
}
