//! The user's hooks: `shouldReconnect`, the heartbeat's message and pong, the replay filter.
//!
//! Each is user code, so each runs with no borrow of the driver held (it may call back in), and
//! an exception it throws is reported (as the browser reports one from an event handler) and
//! handled the way that loses nothing: the default verdict, no pong, the message kept.

#[cfg(feature = "js-face")]
use super::abi::HookSlot;
use super::pump::report;
use super::state::{state, state_mut};
use super::{env, js, Shared};
#[cfg(feature = "js-face")]
use crate::machine::HeartbeatConfig;
use crate::machine::{Generation, Millis, ReadyState, Verdict};
use alloc::vec::Vec;
#[cfg(feature = "js-face")]
use js_sys::Array;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::CloseEvent;

/// The options that are JS values or functions, kept by the driver beside the core's `Config`.
pub(crate) struct Hooks {
    /// `reconnect.shouldReconnect(closeEvent)`.
    pub(crate) should_reconnect: Option<Function>,
    /// `heartbeat.message`: the payload, or a function returning it.
    pub(crate) heartbeat_message: JsValue,
    /// `heartbeat.pong`: the string a pong equals, or a predicate over the message data.
    pub(crate) heartbeat_pong: JsValue,
    /// `heartbeat.exposePongs`: pongs are dispatched as `message` events too.
    pub(crate) expose_pongs: bool,
    /// `buffer.replay` when it is a function.
    pub(crate) replay_filter: Option<Function>,
    /// `WebSocket`: the constructor to drive.
    pub(crate) constructor: Function,
    /// A share group's connection with acknowledged delivery: `numbered(id, seq)` before a
    /// message's frame is written, `released(id)` when the server acknowledged it.
    #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
    pub(crate) numbered: Option<Function>,
    /// The same connection's `released(id)`.
    #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
    pub(crate) released: Option<Function>,
}

impl Hooks {
    /// The hooks from the array `readOptions` builds (slots of [`HookSlot`]); `undefined` in a
    /// slot is the option's default.
    #[cfg(feature = "js-face")]
    pub(crate) fn from_array(hooks: &Array, expose_pongs: bool) -> Hooks {
        let at = |slot: HookSlot| hooks.get(slot as u32);
        Hooks {
            should_reconnect: at(HookSlot::ShouldReconnect).dyn_into().ok(),
            heartbeat_message: or_default(
                at(HookSlot::HeartbeatMessage),
                HeartbeatConfig::DEFAULT_MESSAGE,
            ),
            heartbeat_pong: or_default(at(HookSlot::HeartbeatPong), HeartbeatConfig::DEFAULT_PONG),
            expose_pongs,
            replay_filter: at(HookSlot::ReplayFilter).dyn_into().ok(),
            // The class checked that it is a function.
            constructor: at(HookSlot::WebSocket).unchecked_into(),
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            numbered: at(HookSlot::Numbered).dyn_into().ok(),
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            released: at(HookSlot::Released).dyn_into().ok(),
        }
    }
}

/// `value`, or the string `default` when it is `undefined`.
#[cfg(feature = "js-face")]
fn or_default(value: JsValue, default: &str) -> JsValue {
    if value.is_undefined() {
        JsValue::from_str(default)
    } else {
        value
    }
}

/// Whether an inbound message is the heartbeat's pong (never with heartbeat off or pongs exposed).
/// A pong predicate is user code, so it runs before the core is borrowed.
pub(super) fn is_pong(rc: &Shared, data: &JsValue) -> bool {
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

/// The heartbeat's payload: `heartbeat.message`, or what its function returns (`None` when it
/// threw, which is reported).
pub(super) fn heartbeat_message(rc: &Shared) -> Option<JsValue> {
    let message = state(rc).hooks.heartbeat_message.clone();
    match message.dyn_ref::<Function>() {
        Some(make) => match make.call0(&JsValue::UNDEFINED) {
            Ok(message) => Some(message),
            Err(error) => {
                report(rc, error);
                None
            }
        },
        None => Some(message),
    }
}

/// Asks the user's `shouldReconnect` about a close the core will decide on (not after the user's
/// own `close()`, which is terminal regardless).
pub(super) fn should_reconnect(
    rc: &Shared,
    gen: Generation,
    event: &CloseEvent,
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

/// Replays the queue after the `open` handlers ran, asking the user's filter (with no borrow
/// held) about each candidate first.
pub(super) fn replay(rc: &Shared, gen: Generation) {
    super::events::notice_peer_closing(rc);
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
