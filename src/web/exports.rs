//! `WebDriver`: the wasm side of one `ResilientWebSocket`, the exports the JS class calls (with
//! the `js-face` feature), and the typed methods behind them that the Rust face calls too.

use super::abi::Attribute;
#[cfg(feature = "js-face")]
use super::abi::Stat;
#[cfg(feature = "js-face")]
use super::attempt::{attempt_failed, open_socket};
use super::events::notice_peer_closing;
use super::hooks::Hooks;
#[cfg(feature = "js-face")]
use super::host::Host;
use super::payloads::Payloads;
use super::pump::pump;
#[cfg(feature = "js-face")]
use super::pump::report;
use super::sink::Sink;
use super::state::{state, state_mut, Inner};
use super::timer::DeadlineTimer;
use super::{env, js, Shared};
#[cfg(feature = "js-face")]
use super::{error, options};
#[cfg(feature = "js-face")]
use crate::machine::{validate, Generation};
use crate::machine::{CloseError, Config, ConnectionState, Machine, MsgId, SendError, Stats};
use alloc::rc::Rc;
#[cfg(feature = "js-face")]
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
#[cfg(feature = "js-face")]
use js_sys::{Array, Float64Array};
use wasm_bindgen::prelude::*;

/// The wasm side of one `ResilientWebSocket`. Not meant to be used directly: `js/` wraps it.
/// (Without the `js-face` feature it is no export, only the Rust face's driver.)
#[cfg_attr(feature = "js-face", wasm_bindgen)]
pub struct WebDriver {
    pub(super) inner: Shared,
}

#[cfg(feature = "js-face")]
#[wasm_bindgen]
impl WebDriver {
    /// A driver for the arguments the JS class checked and flattened (`js/options.js`);
    /// [`WebDriver::start`] connects.
    ///
    /// `url` is the resolved URL string, or `""` when the JS class holds a URL provider (then
    /// `has_provider` is true and the class answers each `provide` report with
    /// [`WebDriver::open`]). `protocols` is an array of strings (or empty when a protocols provider
    /// is used). `options` are the numbers of `readOptions` (slots of
    /// [`OptionSlot`](super::abi::OptionSlot)), and `hooks` its JS values (slots of
    /// [`HookSlot`](super::abi::HookSlot)). `host` is the class's side of the boundary: its
    /// `emit(kind, a, b, c)` receives every report, its `listen` installs the direct path.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: JsValue,
        protocols: JsValue,
        has_provider: bool,
        options: &Float64Array,
        hooks: Array,
        host: Host,
    ) -> WebDriver {
        let (config, expose_pongs) = options::config(options);
        let hooks = Hooks::from_array(&hooks, expose_pongs);
        WebDriver::with_config(config, hooks, Sink::Js(host), url, protocols, has_provider)
    }

    /// Whether this module carries acknowledged delivery (the `acked` feature). The plain build's
    /// JS class asks before constructing and throws a `TypeError` naming the acked entry for
    /// `delivery: 'acked'`, rather than let such an instance deliver plainly.
    #[wasm_bindgen(js_name = ackedBuild)]
    pub fn acked_build() -> bool {
        cfg!(feature = "acked")
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
    /// JS class holds the driver before the first `provide` report can ask it to open a socket.
    pub fn start(&self) {
        self.begin();
    }

    /// The attributes the JS class forwards, by the number of an [`Attribute`], through one
    /// export (each export costs the module its own glue). `undefined` for another number.
    pub fn attribute(&self, which: u8) -> JsValue {
        let Some(attribute) = Attribute::from_number(which.into()) else {
            return JsValue::UNDEFINED;
        };
        self.read(attribute)
    }

    /// Sets `binaryType` (applied to every socket, including those of later reconnects). Other
    /// values are ignored, as by the native attribute.
    #[wasm_bindgen(js_name = setBinaryType)]
    pub fn set_binary_type(&self, value: JsValue) {
        self.apply_binary_type(value);
    }

    /// `stats`, written into `out` (a `Float64Array`) as numbers at the slots of [`Stat`].
    pub fn stats(&self, out: &Float64Array) {
        let stats = self.counters();
        for &stat in Stat::ALL {
            let value = match stat {
                Stat::Attempts => stats.attempts.into(),
                Stat::Reconnects => stats.reconnects.into(),
                Stat::DowntimeMs => stats.downtime_ms as f64,
                Stat::LastRtt => stats.last_rtt.map_or(f64::NAN, |rtt| rtt as f64),
                Stat::Queued => stats.queued.into(),
                Stat::QueuedBytes => stats.queued_bytes as f64,
                Stat::Dropped => stats.dropped.into(),
                Stat::Replayed => stats.replayed.into(),
                #[cfg(feature = "acked")]
                Stat::Unacked => stats.unacked.into(),
                #[cfg(feature = "acked")]
                Stat::UnackedBytes => stats.unacked_bytes as f64,
                #[cfg(feature = "acked")]
                Stat::Resent => stats.resent.into(),
                // Acknowledged delivery's figures, in a build without it: nothing is ever unacked.
                #[cfg(not(feature = "acked"))]
                Stat::Unacked | Stat::UnackedBytes | Stat::Resent => 0.0,
            };
            out.set_index(stat as u32, value);
        }
    }

    /// `send(data)`; `bytes` is the payload's size as the JS class measured it. Returns the
    /// number of an [`ErrorCode`](super::abi::ErrorCode): 0, or the exception to throw.
    pub fn send(&self, data: JsValue, bytes: f64) -> u8 {
        error::code(
            self.send_payload(data, bytes as u64)
                .map_err(error::send_error),
        ) as u8
    }

    /// `close(code, reason)`: terminal. `code` is a number (clamped here as WebIDL's `[Clamp]
    /// unsigned short`) or absent. Returns as [`WebDriver::send`] does.
    pub fn close(&self, code: Option<f64>, reason: Option<String>) -> u8 {
        let code = code.map(validate::clamp_u16);
        let closed = self.close_with(code, reason.as_deref());
        error::code(closed.map_err(error::close_error)) as u8
    }

    /// `reconnect(code, reason)`: drop the current socket, if any, and connect now. Arguments and
    /// result as for [`WebDriver::close`].
    pub fn reconnect(&self, code: Option<f64>, reason: Option<String>) -> u8 {
        let code = code.map(validate::clamp_u16);
        let reconnected = self.reconnect_with(code, reason.as_deref());
        error::code(reconnected.map_err(error::close_error)) as u8
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

/// What both faces build a driver from, and start it with.
impl WebDriver {
    /// A driver for a validated `config`, reporting to `host`; the JS class's constructor
    /// ([`WebDriver::new`]) and the Rust face's both end here. [`WebDriver::start`] connects.
    pub(crate) fn with_config(
        config: Config,
        hooks: Hooks,
        host: Sink,
        url: JsValue,
        protocols: JsValue,
        has_provider: bool,
    ) -> WebDriver {
        let (heartbeat, network, page_lifecycle) = (
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
            host,
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
            #[cfg(feature = "acked")]
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

    /// Starts the first attempt (unless `start_closed`).
    pub(crate) fn begin(&self) {
        pump(&self.inner);
    }
}

/// The methods both faces call, typed: the exports above turn their results into the numbers of
/// the boundary, the Rust face into Rust errors.
impl WebDriver {
    /// `send(data)` of a payload of `bytes` bytes: sent, queued, or refused.
    pub(crate) fn send_payload(&self, data: JsValue, bytes: u64) -> Result<(), SendError> {
        self.send_message(data, bytes).map(drop)
    }

    /// [`WebDriver::send_payload`], returning the message's id.
    pub(crate) fn send_message(&self, data: JsValue, bytes: u64) -> Result<MsgId, SendError> {
        notice_peer_closing(&self.inner);
        let sent = {
            let mut inner = state_mut(&self.inner);
            let sent = inner.machine.send(env::now(), bytes);
            if let Ok(id) = sent {
                inner.payloads.insert(id, &data);
            }
            sent
        };
        pump(&self.inner);
        sent
    }

    /// `close(code, reason)`: terminal.
    pub(crate) fn close_with(
        &self,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), CloseError> {
        let closed = state_mut(&self.inner)
            .machine
            .close(env::now(), code, reason);
        pump(&self.inner);
        closed
    }

    /// `reconnect(code, reason)`: drop the current socket, if any, and connect now.
    pub(crate) fn reconnect_with(
        &self,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), CloseError> {
        let reconnected = state_mut(&self.inner)
            .machine
            .reconnect(env::now(), code, reason);
        pump(&self.inner);
        reconnected
    }

    /// The core's `connectionState`.
    pub(crate) fn state(&self) -> ConnectionState {
        state(&self.inner).machine.connection_state()
    }

    /// The core's counters now.
    pub(crate) fn counters(&self) -> Stats {
        state(&self.inner).machine.stats(env::now())
    }
}

/// The attributes, typed, for Rust callers (the JS class reads them through `attribute`).
impl WebDriver {
    /// The attribute `which`.
    pub(crate) fn read(&self, which: Attribute) -> JsValue {
        match which {
            Attribute::ReadyState => self.ready_state().into(),
            Attribute::ConnectionState => self.connection_state(),
            Attribute::BufferedAmount => self.buffered_amount().into(),
            Attribute::Acked => state(&self.inner).acked().into(),
            Attribute::Url => state(&self.inner).url.clone(),
            Attribute::Protocol => state(&self.inner).protocol.clone(),
            Attribute::Extensions => state(&self.inner).extensions.clone(),
            Attribute::BinaryType => state(&self.inner).binary_type.clone(),
        }
    }

    /// Sets `binaryType` (applied to every socket, including those of later reconnects). Other
    /// values are ignored, as by the native attribute.
    pub(crate) fn apply_binary_type(&self, value: JsValue) {
        // Compared in JS: no copy of the string into wasm memory.
        if !(value == "blob" || value == "arraybuffer") {
            return;
        }
        let ws = {
            let mut inner = state_mut(&self.inner);
            inner.binary_type = value.clone();
            // Acked sockets keep receiving array buffers; payloads become Blobs when unwrapped.
            inner.live_ws().filter(|_| !inner.acked())
        };
        // The socket may be a user's WebSocket subclass: no borrow is held while it runs.
        if let Some(ws) = ws {
            js::set(&ws, "binaryType", &value);
        }
    }

    /// `readyState`.
    pub fn ready_state(&self) -> u8 {
        state(&self.inner).machine.ready_state() as u8
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> JsValue {
        JsValue::from_str(self.state().as_str())
    }

    /// `bufferedAmount`: the live socket's plus the bytes waiting in the queue; with acked
    /// delivery, the queue plus every byte not yet acknowledged (which includes the socket's).
    pub fn buffered_amount(&self) -> f64 {
        let (ws, queued) = {
            let inner = state(&self.inner);
            let ws = inner.live_ws().filter(|_| !inner.acked());
            (ws, inner.machine.queued_bytes())
        };
        let socket = ws.map_or(0, |ws| ws.buffered_amount());
        f64::from(socket) + queued as f64
    }
}
