//! The Rust face: [`ResilientWebSocket`] for Rust web apps (Leptos, Yew, Dioxus, plain
//! wasm-bindgen), with the crate feature `rust-face`.
//!
//! It is the JS class's twin on the same driver and the same core: the same reconnection with
//! backoff and jitter, heartbeat, queue and replay, page-lifecycle and network handling, and
//! (with the `acked` feature, on by default) acknowledged delivery, configured by the same
//! [`Config`] (whose serde form is the JS options object, so an app can load it from its own
//! configuration). What differs is only where the driver's reports go: here they become
//! [`Event`]s, handed to callbacks ([`ResilientWebSocket::on`]) and to streams
//! ([`ResilientWebSocket::events`], a [`futures_core::Stream`]).
//!
//! Typed messages travel as JSON made and read by the browser's `JSON` through
//! serde-wasm-bindgen ([`ResilientWebSocket::send_json`], [`Message::json`]): no JSON library
//! enters the module.
//!
//! Dropping the handle closes the socket (code 1000) and detaches every listener and stream, as
//! gloo's types clean up after themselves.
//!
//! # Example
//!
//! A chat client that shows its connection state and reads typed messages:
//!
//! ```
//! use resilient_websocket::machine::{Config, ConnectionState, HeartbeatConfig};
//! use resilient_websocket::{Event, ResilientWebSocket};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Chat {
//!     user: String,
//!     text: String,
//! }
//!
//! async fn chat(show_state: impl Fn(ConnectionState) + 'static) -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Config {
//!         heartbeat: Some(HeartbeatConfig::default()),
//!         ..Config::default()
//!     };
//!     let ws = ResilientWebSocket::builder("wss://chat.example.com/room/1")
//!         .protocols(["chat.v1"])
//!         .config(config)
//!         .connect()?;
//!
//!     // Callbacks: every event, in order, as it happens.
//!     ws.on(move |event| {
//!         if let Event::StateChange { to, .. } = event {
//!             show_state(*to);
//!         }
//!     });
//!
//!     // Queued while connecting, sent once the socket opens (and replayed after a reconnect
//!     // if it was still queued when the connection dropped).
//!     ws.send_json(&Chat { user: "ada".into(), text: "hello".into() })?;
//!
//!     // A stream: the same events, for async code.
//!     let mut events = ws.events();
//!     while let Some(event) = events.next().await {
//!         match event {
//!             Event::Message(message) => {
//!                 let chat: Chat = message.json()?;
//!                 println!("{}: {}", chat.user, chat.text);
//!             }
//!             Event::Close(close) => println!("closed with {}; now {:?}", close.code, ws.ready_state()),
//!             Event::GiveUp => break,
//!             _ => {}
//!         }
//!     }
//!     println!("{:?}", ws.stats());
//!     Ok(())
//!     // `ws` is dropped here: the socket closes and the listeners are let go of.
//! }
//! ```
//!
//! (The example is compiled by `cargo test --doc --features rust-face`, natively: the function
//! is never called there, since the browser it needs is not. The same flows run in browsers in
//! `tests/rust_face.rs`.)
//!
//! # Reentrancy
//!
//! Callbacks run one event at a time, with no borrow of the driver or of the listener lists
//! held, so they may call anything on the handle: `send_*` from [`Event::Open`] goes out before
//! the queue is replayed; `close` from a callback takes effect at once, and the events it causes
//! come after the other callbacks of the current event ran. Callbacks are `Fn`: keep mutable state
//! in a `Cell` or `RefCell` of your own (or a framework's signal).
//!
//! A callback that needs the handle should hold it weakly (an `Rc<ResilientWebSocket>` captured
//! by its own callback is a cycle that keeps the socket open forever).

mod address;
mod builder;
mod dispatch;
mod error;
mod event;

pub use self::builder::Builder;
pub use self::dispatch::{EventStream, ListenerId};
pub use self::error::{CloseError, JsonError, OpenError, SendError};
pub use self::event::{CloseFrame, Event, Message};
pub use crate::machine::{Config, ConfigError, ConnectionState, DropReason, ReadyState, Stats};

use self::dispatch::Dispatch;
use crate::web::abi::Attribute;
use crate::web::WebDriver;
use alloc::rc::Rc;
use alloc::string::String;
use core::fmt;
use js_sys::{JsString, Uint8Array};
use serde::Serialize;
use wasm_bindgen::JsValue;

/// A WebSocket that keeps its connection up: see the [module docs](self).
pub struct ResilientWebSocket {
    driver: WebDriver,
    dispatch: Rc<Dispatch>,
}

impl ResilientWebSocket {
    /// Connects to `url` with the default [`Config`]: no heartbeat, reconnection with backoff
    /// forever. A relative URL resolves against the document; `http(s):` means `ws(s):`.
    pub fn new(url: &str) -> Result<ResilientWebSocket, OpenError> {
        Builder::new(url).connect()
    }

    /// Options for a connection to `url`: subprotocols, a [`Config`], the heartbeat's messages.
    pub fn builder(url: &str) -> Builder {
        Builder::new(url)
    }

    /// Sends a text message: at once while open, else queued and sent in order once
    /// (re)connected.
    pub fn send_text(&self, text: &str) -> Result<(), SendError> {
        // The queue counts UTF-8 bytes, which is what a Rust string's length is.
        self.send(JsValue::from_str(text), text.len())
    }

    /// Sends a binary message (copied once, into a JS buffer the socket sends from), as
    /// [`send_text`](Self::send_text) does.
    pub fn send_binary(&self, bytes: &[u8]) -> Result<(), SendError> {
        self.send(Uint8Array::from(bytes).into(), bytes.len())
    }

    /// Sends `value` as a JSON text message, made by serde-wasm-bindgen and the browser's
    /// `JSON.stringify` (maps become objects; a `u64` beyond 2^53 is an error).
    pub fn send_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), SendError> {
        let json = serde_wasm_bindgen::Serializer::json_compatible();
        let value = value
            .serialize(&json)
            .map_err(|error| SendError::Json(JsonError::new(error.to_string())))?;
        let text: JsString = js_sys::JSON::stringify(&value)
            .map_err(|_| SendError::Json(JsonError::new("JSON.stringify threw")))?;
        // `undefined` (a value with no JSON form) stringifies to `undefined`, not to a string.
        if !JsValue::from(&text).is_string() {
            return Err(SendError::Json(JsonError::new(
                "the value has no JSON form",
            )));
        }
        let bytes = String::from(&text).len();
        self.send(text.into(), bytes)
    }

    fn send(&self, data: JsValue, bytes: usize) -> Result<(), SendError> {
        Ok(self.driver.send_payload(data, bytes as u64)?)
    }

    /// Closes for good: no reconnection follows; messages still queued are reported by
    /// [`Event::Drop`]. `code` must be 1000 or in 3000–4999 and `reason` at most 123 UTF-8 bytes,
    /// as for the browser's `close()`.
    pub fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), CloseError> {
        self.driver
            .close_with(code, reason)
            .map_err(|error| CloseError::from_core(error, code))
    }

    /// Drops the current socket (if any, with `code` and `reason`) and connects now, with the
    /// backoff reset; also reopens after [`close`](Self::close), a give-up or `start_closed`.
    pub fn reconnect(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), CloseError> {
        self.driver
            .reconnect_with(code, reason)
            .map_err(|error| CloseError::from_core(error, code))
    }

    /// The WHATWG `readyState`: `Connecting` through every reconnect cycle, `Closed` only when
    /// closed for good.
    pub fn ready_state(&self) -> ReadyState {
        self.driver.state().ready_state()
    }

    /// The finer state: connecting, open, reconnecting, offline, closing or closed.
    pub fn connection_state(&self) -> ConnectionState {
        self.driver.state()
    }

    /// The counters: attempts, reconnects, downtime, the last round trip, the queue, drops and
    /// replays.
    pub fn stats(&self) -> Stats {
        self.driver.counters()
    }

    /// Bytes not yet handed to the network: the socket's plus the queue's.
    pub fn buffered_amount(&self) -> u64 {
        self.driver.buffered_amount() as u64
    }

    /// The resolved URL (`ws:` or `wss:`).
    pub fn url(&self) -> String {
        self.attribute(Attribute::Url)
    }

    /// The subprotocol of the current (or last) open socket; empty before the first open.
    pub fn protocol(&self) -> String {
        self.attribute(Attribute::Protocol)
    }

    fn attribute(&self, which: Attribute) -> String {
        self.driver.read(which).as_string().unwrap_or_default()
    }

    /// Calls `callback` with every event from now on, until [`off`](Self::off) or the handle is
    /// dropped.
    pub fn on(&self, callback: impl Fn(&Event) + 'static) -> ListenerId {
        self.dispatch.add(Rc::new(callback))
    }

    /// Calls `callback` with every message from now on (a shorthand of [`on`](Self::on)).
    pub fn on_message(&self, callback: impl Fn(&Message) + 'static) -> ListenerId {
        self.on(move |event| {
            if let Event::Message(message) = event {
                callback(message);
            }
        })
    }

    /// Removes a callback; false if it was not registered.
    pub fn off(&self, listener: ListenerId) -> bool {
        self.dispatch.remove(listener)
    }

    /// A stream of every event from now on; it ends when the handle is dropped.
    pub fn events(&self) -> EventStream {
        self.dispatch.stream()
    }
}

impl Drop for ResilientWebSocket {
    /// Detaches every listener first (no callback runs for the close that follows), then closes
    /// with 1000; the driver, dropped next, lets go of the socket's handlers, the timer and the
    /// page listeners.
    fn drop(&mut self) {
        self.dispatch.detach();
        if self.ready_state() != ReadyState::Closed {
            // 1000 and no reason pass the checks.
            let _ = self.driver.close_with(Some(1000), None);
        }
    }
}

impl fmt::Debug for ResilientWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResilientWebSocket")
            .field("url", &self.url())
            .field("connection_state", &self.connection_state())
            .finish()
    }
}
