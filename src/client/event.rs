//! The events of the Rust face, decoded from the driver's reports (the same `(kind, a, b, c)` the
//! JS class receives, `crate::web::abi::Kind`), and the messages they carry.

use super::error::JsonError;
use crate::machine::{ConnectionState, DropReason, Millis};
use crate::web::abi::Kind;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{ArrayBuffer, Uint8Array};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string as it is (js-sys's takes a `&str`, which would copy the text
    /// into wasm memory and back).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// Something that happened to the connection, in the order it happened: what the JS class
/// dispatches as DOM events (API.md §1 and §4), as one Rust enum.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A socket opened: the first connection or a reconnection. Listeners run before the queue
    /// is replayed, so a message sent from here goes first.
    Open,
    /// A data message arrived (the heartbeat's pongs are not reported).
    Message(Message),
    /// An underlying socket closed.
    /// [`ResilientWebSocket::ready_state`](super::ResilientWebSocket::ready_state) tells whether a
    /// reconnect follows (`Connecting`) or not (`Closed`).
    Close(CloseFrame),
    /// An underlying socket failed; its [`Event::Close`] follows.
    Error,
    /// The [`ConnectionState`] changed.
    StateChange {
        /// The previous state.
        from: ConnectionState,
        /// The new state.
        to: ConnectionState,
    },
    /// An automatic reconnection was scheduled.
    Reconnecting {
        /// 1 for the first retry after a reset, counting up while attempts fail.
        attempt: u32,
        /// Milliseconds until the attempt starts.
        delay_ms: Millis,
    },
    /// Retries are exhausted, or the close code was terminal: closed for good.
    GiveUp,
    /// A message left the queue without being sent.
    Drop {
        /// The message, as it was handed to `send_*`.
        message: Message,
        /// Why.
        reason: DropReason,
    },
    /// A heartbeat round trip completed.
    Heartbeat {
        /// Milliseconds from the ping to the first inbound traffic after it.
        rtt_ms: Millis,
    },
    /// Acknowledged delivery: the server started a new session instead of resuming ours; the
    /// messages it had not confirmed were reported by [`Event::Drop`] just before. (The `acked`
    /// feature.)
    #[cfg(feature = "acked")]
    SessionLost {
        /// How many of our messages were unconfirmed.
        unconfirmed: u32,
    },
}

/// The close of one underlying socket, as the browser reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code (1006 when the connection was lost without a close frame).
    pub code: u16,
    /// The close reason.
    pub reason: String,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
}

/// A message's payload, as the browser holds it: text, or bytes. Kept as the JS value until asked
/// for, so that a message only looked at as JSON is never copied into Rust as text first.
#[derive(Clone, Debug)]
pub struct Message {
    data: JsValue,
}

impl Message {
    pub(crate) fn new(data: JsValue) -> Message {
        Message { data }
    }

    /// Whether it is a text message.
    pub fn is_text(&self) -> bool {
        self.data.is_string()
    }

    /// The text of a text message; `None` for a binary one.
    pub fn text(&self) -> Option<String> {
        self.data.as_string()
    }

    /// The bytes of a binary message; `None` for a text one.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        // Sockets of the Rust face receive binary messages as ArrayBuffers (`binaryType`), and a
        // dropped message is what `send_binary` handed over, a Uint8Array.
        if let Some(buffer) = self.data.dyn_ref::<ArrayBuffer>() {
            return Some(Uint8Array::new(buffer).to_vec());
        }
        self.data.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
    }

    /// A text message parsed as JSON into `T`, by the browser's `JSON.parse` and
    /// serde-wasm-bindgen (no JSON parser in the module).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        if !self.is_text() {
            return Err(JsonError::new("a binary message is not JSON text"));
        }
        let value = parse(&self.data).map_err(|error| {
            JsonError::new(
                error
                    .dyn_ref::<js_sys::Error>()
                    .map_or_else(|| String::from("not JSON"), |error| error.message().into()),
            )
        })?;
        serde_wasm_bindgen::from_value(value).map_err(|error| JsonError::new(error.to_string()))
    }

    /// The payload as the browser holds it (a JS string, an `ArrayBuffer` or a `Uint8Array`).
    pub fn as_js(&self) -> &JsValue {
        &self.data
    }
}

/// Every connection state, to read the driver's names back.
const STATES: [ConnectionState; 6] = [
    ConnectionState::Connecting,
    ConnectionState::Open,
    ConnectionState::Reconnecting,
    ConnectionState::Offline,
    ConnectionState::Closing,
    ConnectionState::Closed,
];

/// Every drop reason, to read the driver's names back.
const DROP_REASONS: &[DropReason] = &[
    DropReason::Closed,
    DropReason::Overflow,
    DropReason::Expired,
    DropReason::Filtered,
    DropReason::GaveUp,
    #[cfg(feature = "acked")]
    DropReason::Unconfirmed,
];

fn state_named(name: &JsValue) -> Option<ConnectionState> {
    STATES.into_iter().find(|state| *name == state.as_str())
}

fn number(value: &JsValue) -> f64 {
    value.as_f64().unwrap_or_default()
}

/// The event a report of the driver stands for; `None` for the reports that are requests to the
/// JS class (`provide`: the Rust face has no providers) or that the Rust face has no hook to
/// raise (`hookerror`: its hooks are plain strings; the only user code left is the browser's
/// `WebSocket` constructor, whose refusals [`super::address`] rules out first, and whose
/// failure is reported as a failed attempt anyway).
pub(crate) fn decode(kind: Kind, a: &JsValue, b: &JsValue, c: &JsValue) -> Option<Event> {
    Some(match kind {
        Kind::Open => Event::Open,
        Kind::Message => Event::Message(Message::new(a.clone())),
        Kind::Close => Event::Close(CloseFrame {
            code: number(a) as u16,
            reason: b.as_string().unwrap_or_default(),
            was_clean: c.is_truthy(),
        }),
        Kind::Error => Event::Error,
        Kind::StateChange => Event::StateChange {
            from: state_named(a)?,
            to: state_named(b)?,
        },
        Kind::Reconnecting => Event::Reconnecting {
            attempt: number(a) as u32,
            delay_ms: number(b) as Millis,
        },
        Kind::GiveUp => Event::GiveUp,
        Kind::Drop => Event::Drop {
            message: Message::new(a.clone()),
            reason: DROP_REASONS
                .iter()
                .copied()
                .find(|reason| *b == reason.as_str())?,
        },
        Kind::Heartbeat => Event::Heartbeat {
            rtt_ms: number(a) as Millis,
        },
        #[cfg(feature = "acked")]
        Kind::SessionLost => Event::SessionLost {
            unconfirmed: number(a) as u32,
        },
        #[cfg(not(feature = "acked"))]
        Kind::SessionLost => return None,
        Kind::Provide | Kind::HookError => return None,
    })
}
