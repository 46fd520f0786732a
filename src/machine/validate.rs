//! The arguments of `close()` and `reconnect()`, checked as the native `close()` checks them, and
//! the ranges of a [`Config`] made in Rust.
//!
//! (The JS face's constructor checks its URL, subprotocols and options in the JS class,
//! `js/options.js`, before anything reaches the driver, so that the messages stay out of the wasm
//! module; [`config`] makes the same range checks, with the same messages, for the Rust face,
//! whose `Config` is built or deserialized in Rust.)

#[cfg(feature = "acked")]
use super::config::AckedConfig;
use super::config::{Config, HeartbeatConfig, Jitter, ReconnectConfig};
use super::shared::CloseError;
use core::fmt;

/// Checks the arguments of `close(code, reason)` and `reconnect(code, reason)`: `code` 1000 or
/// 3000–4999 (else `InvalidAccessError`), `reason` at most 123 UTF-8 bytes (else `SyntaxError`).
pub fn close_args(code: Option<u16>, reason: Option<&str>) -> Result<(), CloseError> {
    if code.is_some_and(|code| code != 1000 && !(3000..=4999).contains(&code)) {
        return Err(CloseError::InvalidCode);
    }
    if reason.is_some_and(|reason| reason.len() > 123) {
        return Err(CloseError::ReasonTooLong);
    }
    Ok(())
}

/// WebIDL `[Clamp] unsigned short`, the conversion the native `close(code)` applies to a JS
/// number: NaN is 0, out-of-range values clamp, fractions round half to even.
pub fn clamp_u16(x: f64) -> u16 {
    if x.is_nan() {
        return 0;
    }
    let x = x.clamp(0.0, 65535.0);
    let floor = x.floor();
    let rounded = match x - floor {
        d if d > 0.5 => floor + 1.0,
        d if d < 0.5 => floor,
        _ if floor % 2.0 == 0.0 => floor,
        _ => floor + 1.0,
    };
    rounded as u16
}

/// A [`Config`] field out of the range the JS face accepts for the same option: the option by its
/// JS name (API.md §2) and what it must be, in the words of the JS face's `TypeError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigError {
    option: &'static str,
    expected: &'static str,
}

impl ConfigError {
    /// The option, as the JS options object names it (`reconnect.factor`, `heartbeat.interval`…).
    pub fn option(&self) -> &'static str {
        self.option
    }

    /// What its value must be (`a finite number >= 1`…).
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be {}", self.option, self.expected)
    }
}

impl std::error::Error for ConfigError {}

/// `js/options.js`'s words for a duration that must be positive.
const POSITIVE: &str = "a finite number > 0";
/// The same for a ratio.
const RATIO: &str = "a number in [0, 1]";

/// `Err` naming `option` unless `ok`.
fn check(ok: bool, option: &'static str, expected: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError { option, expected })
    }
}

/// Checks `config` as `js/options.js` checks the options it stands for, in the same order, and
/// fails with the first problem. What the Rust types already rule out (a negative or fractional
/// duration or count) needs no check; a duration too large for a timer saturates, as the JS face's
/// `Infinity` does.
pub fn config(config: &Config) -> Result<(), ConfigError> {
    reconnect(&config.reconnect)?;
    if let Some(HeartbeatConfig { interval, timeout }) = config.heartbeat {
        check(interval > 0, "heartbeat.interval", POSITIVE)?;
        check(timeout > 0, "heartbeat.timeout", POSITIVE)?;
    }
    #[cfg(feature = "acked")]
    if let Some(AckedConfig { ack_interval }) = config.acked {
        check(ack_interval > 0, "ackInterval", POSITIVE)?;
    }
    Ok(())
}

fn reconnect(r: &ReconnectConfig) -> Result<(), ConfigError> {
    check(
        r.min_delay <= r.max_delay,
        "reconnect.maxDelay",
        "a finite number >= reconnect.minDelay",
    )?;
    check(
        r.factor.is_finite() && r.factor >= 1.0,
        "reconnect.factor",
        "a finite number >= 1",
    )?;
    check(
        !matches!(r.jitter, Jitter::Ratio(ratio) if !(0.0..=1.0).contains(&ratio)),
        "reconnect.jitter",
        "'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]",
    )?;
    check(
        (0.0..=1.0).contains(&r.first_jitter),
        "reconnect.firstJitter",
        RATIO,
    )?;
    check(r.connect_timeout > 0, "reconnect.connectTimeout", POSITIVE)
}
