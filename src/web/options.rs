//! The third constructor argument, as the JS class hands it over: validated and flattened into
//! numbers by `readOptions` in `js/options.js`, beside the options that stay JS values ([`Hooks`]).
//!
//! Reading the JS object from here would cost a call into JS per property and the checks' messages;
//! the class does both. What stays here is filling in the core's defaults, which live in
//! [`Config::default`].

use crate::machine::{
    AckedConfig, BufferConfig, Config, HeartbeatConfig, Jitter, Millis, Overflow, ReconnectConfig,
};
use js_sys::{Float64Array, Function};
use wasm_bindgen::JsValue;

/// The options that are JS values or functions, kept by the driver beside the core's [`Config`].
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
}

/// The positions in the array `readOptions` builds; the order is that of its array literal.
/// Milliseconds are already rounded up; NaN means absent (the default applies).
mod at {
    pub(super) const MIN_DELAY: u32 = 0;
    pub(super) const MAX_DELAY: u32 = 1;
    pub(super) const FACTOR: u32 = 2;
    /// A ratio in [0, 1], or -1 - the index of a name (full, equal, decorrelated, none).
    pub(super) const JITTER: u32 = 3;
    /// An integer, or Infinity.
    pub(super) const MAX_RETRIES: u32 = 4;
    pub(super) const CONNECT_TIMEOUT: u32 = 5;
    pub(super) const MIN_UPTIME: u32 = 6;
    /// 1 or 0.
    pub(super) const HEARTBEAT: u32 = 7;
    pub(super) const INTERVAL: u32 = 8;
    pub(super) const TIMEOUT: u32 = 9;
    /// An integer, or Infinity (no cap).
    pub(super) const MAX_MESSAGES: u32 = 10;
    /// An integer, or Infinity (no cap).
    pub(super) const MAX_BYTES: u32 = 11;
    /// The index of throw, drop-oldest, drop-newest.
    pub(super) const OVERFLOW: u32 = 12;
    /// Milliseconds, or Infinity.
    pub(super) const TTL: u32 = 13;
    /// 1 or 0; 1 also for a filter function.
    pub(super) const REPLAY: u32 = 14;
    pub(super) const NETWORK: u32 = 15;
    pub(super) const PAGE_LIFECYCLE: u32 = 16;
    pub(super) const START_CLOSED: u32 = 17;
    /// The index of plain, acked.
    pub(super) const DELIVERY: u32 = 18;
    pub(super) const ACK_INTERVAL: u32 = 19;
    pub(super) const EXPOSE_PONGS: u32 = 20;
}

/// The option at `index`, unless absent. (Read from the JS array where it is, rather than copied
/// into a Rust slice: a slice parameter costs the module wasm-bindgen's allocating conversion.)
fn option(raw: &Float64Array, index: u32) -> Option<f64> {
    Some(raw.get_index(index)).filter(|x| !x.is_nan())
}

fn millis(raw: &Float64Array, index: u32, default: Millis) -> Millis {
    // Float-to-int casts saturate: Infinity never reaches here, and a huge value stays huge.
    option(raw, index).map_or(default, |x| x as Millis)
}

fn flag(raw: &Float64Array, index: u32, default: bool) -> bool {
    option(raw, index).map_or(default, |x| x != 0.0)
}

/// `Infinity` as `None`, else the value.
fn finite(x: f64) -> Option<f64> {
    (x != f64::INFINITY).then_some(x)
}

/// The core's [`Config`] from the validated numbers, and `heartbeat.exposePongs`.
pub(crate) fn config(raw: &Float64Array) -> (Config, bool) {
    let d = Config::default();
    let (r, b) = (d.reconnect, d.buffer);
    let heartbeat = HeartbeatConfig::default();
    let config = Config {
        reconnect: ReconnectConfig {
            min_delay: millis(raw, at::MIN_DELAY, r.min_delay),
            max_delay: millis(raw, at::MAX_DELAY, r.max_delay),
            factor: option(raw, at::FACTOR).unwrap_or(r.factor),
            jitter: match option(raw, at::JITTER) {
                None => r.jitter,
                Some(ratio) if ratio >= 0.0 => Jitter::Ratio(ratio),
                Some(-1.0) => Jitter::Full,
                Some(-2.0) => Jitter::Equal,
                Some(-3.0) => Jitter::Decorrelated,
                Some(_) => Jitter::None,
            },
            max_retries: option(raw, at::MAX_RETRIES)
                .map_or(r.max_retries, |x| finite(x).map(|n| n as u32)),
            connect_timeout: millis(raw, at::CONNECT_TIMEOUT, r.connect_timeout),
            min_uptime: millis(raw, at::MIN_UPTIME, r.min_uptime),
        },
        heartbeat: flag(raw, at::HEARTBEAT, d.heartbeat.is_some()).then(|| HeartbeatConfig {
            interval: millis(raw, at::INTERVAL, heartbeat.interval),
            timeout: millis(raw, at::TIMEOUT, heartbeat.timeout),
        }),
        buffer: BufferConfig {
            // Infinity saturates to the largest value, which is how the config spells "no cap".
            max_messages: option(raw, at::MAX_MESSAGES).map_or(b.max_messages, |x| x as u32),
            max_bytes: option(raw, at::MAX_BYTES).map_or(b.max_bytes, |x| x as u64),
            overflow: match option(raw, at::OVERFLOW) {
                None => b.overflow,
                Some(1.0) => Overflow::DropOldest,
                Some(2.0) => Overflow::DropNewest,
                Some(_) => Overflow::Throw,
            },
            ttl: option(raw, at::TTL).map_or(b.ttl, |x| finite(x).map(|ms| ms as Millis)),
            replay: flag(raw, at::REPLAY, b.replay),
        },
        network: flag(raw, at::NETWORK, d.network),
        page_lifecycle: flag(raw, at::PAGE_LIFECYCLE, d.page_lifecycle),
        start_closed: flag(raw, at::START_CLOSED, d.start_closed),
        acked: flag(raw, at::DELIVERY, d.acked.is_some()).then(|| AckedConfig {
            ack_interval: millis(raw, at::ACK_INTERVAL, AckedConfig::default().ack_interval),
        }),
    };
    (config, flag(raw, at::EXPOSE_PONGS, false))
}
