//! The third constructor argument, as the JS class hands it over: validated and flattened into
//! numbers by `readOptions` in `js/options.js` (at the slots of [`OptionSlot`]), beside the
//! options that stay JS values (`Hooks`).
//!
//! Reading the JS object from here would cost a call into JS per property and the checks' messages;
//! the class does both. What stays here is filling in the core's defaults, which live in
//! [`Config::default`].

use super::abi::{self, OptionSlot as At};
#[cfg(feature = "acked")]
use crate::machine::AckedConfig;
use crate::machine::{
    BufferConfig, Config, HeartbeatConfig, Jitter, Millis, Overflow, ReconnectConfig,
};
use js_sys::Float64Array;

/// The option at `index`, unless absent. (Read from the JS array where it is, rather than copied
/// into a Rust slice: a slice parameter costs the module wasm-bindgen's allocating conversion.)
fn option(raw: &Float64Array, slot: At) -> Option<f64> {
    Some(raw.get_index(slot as u32)).filter(|x| !x.is_nan())
}

fn millis(raw: &Float64Array, slot: At, default: Millis) -> Millis {
    // Float-to-int casts saturate: Infinity never reaches here, and a huge value stays huge.
    option(raw, slot).map_or(default, |x| x as Millis)
}

fn flag(raw: &Float64Array, slot: At, default: bool) -> bool {
    option(raw, slot).map_or(default, |x| x != 0.0)
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
            min_delay: millis(raw, At::MinDelay, r.min_delay),
            max_delay: millis(raw, At::MaxDelay, r.max_delay),
            factor: option(raw, At::Factor).unwrap_or(r.factor),
            jitter: match option(raw, At::Jitter) {
                None => r.jitter,
                Some(ratio) if ratio >= 0.0 => Jitter::Ratio(ratio),
                // A name is coded as -1 - its number.
                Some(code) => match abi::Jitter::from_number((-1.0 - code) as u32) {
                    Some(abi::Jitter::Full) => Jitter::Full,
                    Some(abi::Jitter::Equal) => Jitter::Equal,
                    Some(abi::Jitter::Decorrelated) => Jitter::Decorrelated,
                    Some(abi::Jitter::None) | None => Jitter::None,
                },
            },
            // `null` is coded as -1.
            first_delay: option(raw, At::FirstDelay)
                .map_or(r.first_delay, |x| (x >= 0.0).then_some(x as Millis)),
            first_jitter: option(raw, At::FirstJitter).unwrap_or(r.first_jitter),
            max_retries: option(raw, At::MaxRetries)
                .map_or(r.max_retries, |x| finite(x).map(|n| n as u32)),
            connect_timeout: millis(raw, At::ConnectTimeout, r.connect_timeout),
            min_uptime: millis(raw, At::MinUptime, r.min_uptime),
        },
        heartbeat: flag(raw, At::Heartbeat, d.heartbeat.is_some()).then(|| HeartbeatConfig {
            interval: millis(raw, At::Interval, heartbeat.interval),
            timeout: millis(raw, At::Timeout, heartbeat.timeout),
        }),
        buffer: BufferConfig {
            // Infinity saturates to the largest value, which is how the config spells "no cap".
            max_messages: option(raw, At::MaxMessages).map_or(b.max_messages, |x| x as u32),
            max_bytes: option(raw, At::MaxBytes).map_or(b.max_bytes, |x| x as u64),
            overflow: match option(raw, At::Overflow) {
                None => b.overflow,
                Some(code) => match abi::Overflow::from_number(code as u32) {
                    Some(abi::Overflow::DropOldest) => Overflow::DropOldest,
                    Some(abi::Overflow::DropNewest) => Overflow::DropNewest,
                    Some(abi::Overflow::Throw) | None => Overflow::Throw,
                },
            },
            ttl: option(raw, At::Ttl).map_or(b.ttl, |x| finite(x).map(|ms| ms as Millis)),
            replay: flag(raw, At::Replay, b.replay),
        },
        network: flag(raw, At::Network, d.network),
        page_lifecycle: flag(raw, At::PageLifecycle, d.page_lifecycle),
        start_closed: flag(raw, At::StartClosed, d.start_closed),
        // A build without the `acked` feature reads `delivery: 'acked'` as plain: its JS class
        // refuses that option with a TypeError before constructing (`WebDriver.ackedBuild()`),
        // so a config asking for acked never reaches this build from it.
        #[cfg(feature = "acked")]
        acked: acked(raw, d.acked),
    };
    (config, flag(raw, At::ExposePongs, false))
}

/// `delivery` and `ackInterval`: the acked options, or `None` for plain delivery.
#[cfg(feature = "acked")]
fn acked(raw: &Float64Array, default: Option<AckedConfig>) -> Option<AckedConfig> {
    option(raw, At::Delivery)
        .map_or(default.is_some(), |code| {
            abi::Delivery::from_number(code as u32) == Some(abi::Delivery::Acked)
        })
        .then(|| AckedConfig {
            ack_interval: millis(raw, At::AckInterval, AckedConfig::default().ack_interval),
        })
}
