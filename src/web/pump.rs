//! The event pump: drains the core after every input, performs its outputs, and hands the events
//! they produced to JS one at a time, in order.

use super::abi::Kind;
#[cfg(feature = "acked")]
use super::acked;
use super::attempt;
use super::direct;
use super::hooks;
use super::socket;
use super::state::{state, state_mut, Inner};
use super::{env, events, js, Shared};
use crate::machine::{Event, Generation, Output, ReadyState};
use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// Work for user code that [`pump`] defers until the core is drained, so that user code never
/// runs in the middle of another event's dispatch, and always sees the state after the core's step.
pub(super) enum Deferred {
    /// `emit(kind, a, b, c)`, converted when the core emitted it (the data it names is current then).
    Emit(Kind, JsValue, JsValue, JsValue),
    /// The replay of the queue after the `open` handlers ran.
    Replay(Generation),
    /// The call of the URL and protocols providers for an attempt.
    Provide { gen: Generation, attempt: u32 },
}

/// Drains the core's outputs, then hands the events they produced to JS one at a time, in order.
///
/// Side effects (sockets, transmissions, the timer) are performed as soon as the core asks for
/// them; events and the replay are deferred to the outermost `pump`, which delivers each only
/// after the previous one's listeners all returned. A handler that calls `send()`, `close()` or
/// `reconnect()` re-enters here: its own side effects happen at once (a message sent in `onopen`
/// goes out before the replay), and the events it causes queue up behind the one being
/// dispatched, as the browser queues a native socket's events.
pub(super) fn pump(rc: &Shared) {
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
                Deferred::Replay(gen) => hooks::replay(rc, gen),
                Deferred::Provide { gen, attempt } => attempt::provide(rc, gen, attempt),
            }
            drain(rc);
        }
    }
    state_mut(rc).pumping = false;
}

/// Performs every output the core has, with no borrow held across user code (a provider or a
/// `WebSocket` constructor may run), then re-arms the timer and keeps the page listeners
/// registered exactly while the connection is not terminally closed.
fn drain(rc: &Shared) {
    loop {
        let output = state_mut(rc).machine.poll_output();
        match output {
            Some(output) => perform(rc, output),
            None => break,
        }
    }
    let weak = Shared::downgrade(rc);
    let mut inner = state_mut(rc);
    direct::update(&mut inner);
    let deadline = inner.machine.poll_timeout();
    let timer_weak = weak.clone();
    inner
        .timer
        .set(deadline, env::now, move || events::on_timer(&timer_weak));
    let closed = inner.machine.ready_state() == ReadyState::Closed;
    if closed {
        inner.listeners = None;
    } else if inner.listeners.is_none() && (inner.network || inner.page_lifecycle) {
        let listeners =
            env::PageListeners::register(inner.network, inner.page_lifecycle, move |e| {
                events::on_page_event(&weak, e)
            });
        inner.listeners = Some(listeners);
    }
}

fn perform(rc: &Shared, output: Output) {
    match output {
        Output::Connect { gen } => attempt::connect(rc, gen),
        Output::Transmit { gen, id } => {
            let (ws, payload) = {
                let inner = state(rc);
                let payload = inner.payloads.remove(id);
                (inner.ws_of(gen), payload)
            };
            if let (Some(ws), Some(payload)) = (ws, payload) {
                // The core transmits only on an open socket, where the browser does not throw.
                let _ = socket::send(&ws, &payload);
            }
        }
        #[cfg(feature = "acked")]
        output @ (Output::TransmitAcked { .. }
        | Output::Release { .. }
        | Output::SendHello { .. }
        | Output::SendAck { .. }
        | Output::SendPong { .. }) => acked::perform(rc, output),
        Output::SendHeartbeat { gen } => send_heartbeat(rc, gen),
        Output::CloseSocket {
            gen,
            code,
            reason,
            detach,
        } => {
            let (ws, detached) = {
                let inner = &mut *state_mut(rc);
                let ws = inner.ws_of(gen);
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

fn send_heartbeat(rc: &Shared, gen: Generation) {
    // With acknowledged delivery the heartbeat is the protocol's own ping.
    #[cfg(feature = "acked")]
    if state(rc).acked() {
        return acked::send_ping(rc, gen);
    }
    let Some(message) = hooks::heartbeat_message(rc) else {
        return;
    };
    let ws = state(rc).ws_of(gen);
    // A socket the server is closing would discard the ping with a console warning; its close
    // event is on the way, and a dead close handshake is still caught by the pong deadline.
    if let Some(ws) = ws.filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        if let Err(error) = socket::send(&ws, &message) {
            report(rc, error);
        }
    }
}

/// One core event as the arguments of `emit`, taken when the core emits it: the payload of a
/// message or a drop, and the last close (for the providers' `ctx`), are those of that moment.
fn convert(inner: &mut Inner, event: Event) -> (Kind, JsValue, JsValue, JsValue) {
    const NONE: JsValue = JsValue::UNDEFINED;
    match event {
        // `protocol` and `extensions` were read from the socket when it opened. A share group's
        // connection tells its group the incarnation and how far the server has its messages.
        Event::Open { .. } => {
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            if let Some((epoch, acked, _)) = inner.machine.session_position() {
                let (epoch, acked) = (
                    JsValue::from_f64(epoch as f64),
                    JsValue::from_f64(acked as f64),
                );
                return (Kind::Open, NONE, epoch, acked);
            }
            (Kind::Open, NONE, NONE, NONE)
        }
        Event::Message => {
            let data = inner.inbound.take().unwrap_or(NONE);
            // A share group's connection posts the server's number with the message.
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            if let Some((_, _, received)) = inner.machine.session_position() {
                return (
                    Kind::Message,
                    data,
                    JsValue::from_f64(received as f64),
                    NONE,
                );
            }
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
        #[cfg(feature = "acked")]
        Event::SessionLost { unconfirmed } => {
            (Kind::SessionLost, JsValue::from(unconfirmed), NONE, NONE)
        }
    }
}

/// Hands a report to the JS class (or the Rust face), with no borrow held while it runs.
pub(super) fn emit(rc: &Shared, kind: Kind, a: JsValue, b: JsValue, c: JsValue) {
    let host = state(rc).host.clone();
    host.emit(kind, &a, &b, &c);
}

/// Hands an exception thrown by user code (a hook or provider) to the JS class, which reports it
/// the way the browser reports an exception in an event handler, without stopping the driver.
pub(super) fn report(rc: &Shared, error: JsValue) {
    emit(
        rc,
        Kind::HookError,
        error,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
}
