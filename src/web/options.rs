//! The third constructor argument, read straight off the JS object.
//!
//! Reading with `Reflect` instead of a serde deserializer keeps the deserialization machinery out
//! of the wasm binary. This file only converts JS types; every range is checked by the core's
//! pure `validate` functions, which name the option in their message. A number option of the
//! wrong JS type is passed on as NaN so that it fails with that same message.

use super::error::option_error;
use super::js;
use crate::machine::validate::{
    self, BufferOptions, HeartbeatOptions, JitterOption, OptionError, ReconnectOptions,
};
use crate::machine::Config;
use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

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

/// Reads option values, keeping the first error: a getter that threw or a value out of range.
///
/// Once there is one, nothing more is read (no further getter runs, as in WebIDL's dictionary
/// conversion, which stops at the first exception) and [`Reader::finish`] returns it. One error
/// slot instead of an early return at every read keeps the reading one straight line of code.
#[derive(Default)]
struct Reader {
    error: Option<JsValue>,
}

impl Reader {
    /// `obj[key]`; `undefined` when `obj` is not an object or an error came first.
    fn get(&mut self, obj: &JsValue, key: &str) -> JsValue {
        if self.error.is_some() {
            return JsValue::UNDEFINED;
        }
        js::get(obj, key).unwrap_or_else(|error| {
            self.error = Some(error);
            JsValue::UNDEFINED
        })
    }

    fn number(&mut self, obj: &JsValue, key: &str) -> Option<f64> {
        let value = self.get(obj, key);
        if value.is_undefined() {
            None
        } else {
            Some(value.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// A WebIDL `boolean`: absent is `default`, anything else converts by truthiness.
    fn boolean(&mut self, obj: &JsValue, key: &str, default: bool) -> bool {
        let value = self.get(obj, key);
        if value.is_undefined() {
            default
        } else {
            value.is_truthy()
        }
    }

    fn function(&mut self, obj: &JsValue, key: &str, option: &'static str) -> Option<Function> {
        let value = self.get(obj, key);
        if value.is_undefined() {
            return None;
        }
        let function = value.dyn_into::<Function>().ok();
        if function.is_none() {
            self.fail(option, "a function");
        }
        function
    }

    /// An object-valued option: absent is `undefined`; anything but an object is refused.
    fn object(&mut self, obj: &JsValue, key: &str, option: &'static str) -> JsValue {
        let value = self.get(obj, key);
        if !(value.is_undefined() || value.is_object()) {
            self.fail(option, "an object");
        }
        value
    }

    /// Keeps a validated value, or records why it is not one (then the value is never used).
    fn check<T: Default>(&mut self, validated: Result<T, OptionError>) -> T {
        validated.unwrap_or_else(|error| {
            self.fail(error.option, error.expected);
            T::default()
        })
    }

    fn fail(&mut self, option: &'static str, expected: &'static str) {
        if self.error.is_none() {
            self.error = Some(option_error(OptionError { option, expected }));
        }
    }

    fn finish<T>(self, value: T) -> Result<T, JsValue> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// Reads and validates `options` (undefined and null mean all defaults).
pub(crate) fn read(options: &JsValue) -> Result<(Config, Hooks), JsValue> {
    let mut r = Reader::default();
    if !(options.is_undefined() || options.is_null() || options.is_object()) {
        r.fail("options", "an object");
    }
    let reconnect = r.object(options, "reconnect", "reconnect");
    let jitter = r.get(&reconnect, "jitter");
    let jitter_name = jitter.as_string();
    let jitter = if jitter.is_undefined() {
        None
    } else if let Some(name) = jitter_name.as_deref() {
        Some(JitterOption::Name(name))
    } else if let Some(ratio) = jitter.as_f64() {
        Some(JitterOption::Ratio(ratio))
    } else {
        Some(JitterOption::Other)
    };
    let raw = ReconnectOptions {
        min_delay: r.number(&reconnect, "minDelay"),
        max_delay: r.number(&reconnect, "maxDelay"),
        factor: r.number(&reconnect, "factor"),
        jitter,
        max_retries: r.number(&reconnect, "maxRetries"),
        connect_timeout: r.number(&reconnect, "connectTimeout"),
        min_uptime: r.number(&reconnect, "minUptime"),
    };
    let reconnect_config = r.check(validate::reconnect_options(&raw));
    let should_reconnect = r.function(&reconnect, "shouldReconnect", "reconnect.shouldReconnect");

    let heartbeat = r.get(options, "heartbeat");
    let heartbeat_on = match heartbeat.as_bool() {
        Some(on) => on,
        None => {
            if !(heartbeat.is_undefined() || heartbeat.is_object()) {
                r.fail("heartbeat", "a boolean or an object");
            }
            heartbeat.is_object()
        }
    };
    let heartbeat_config = if heartbeat_on {
        let raw = HeartbeatOptions {
            interval: r.number(&heartbeat, "interval"),
            timeout: r.number(&heartbeat, "timeout"),
        };
        Some(r.check(validate::heartbeat_options(&raw)))
    } else {
        None
    };
    let mut heartbeat_message = r.get(&heartbeat, "message");
    if heartbeat_message.is_undefined() {
        heartbeat_message = JsValue::from_str("ping");
    }
    let mut heartbeat_pong = r.get(&heartbeat, "pong");
    if heartbeat_pong.is_undefined() {
        heartbeat_pong = JsValue::from_str("pong");
    } else if !(heartbeat_pong.is_string() || heartbeat_pong.is_function()) {
        r.fail("heartbeat.pong", "a string or a function");
    }

    let buffer = r.object(options, "buffer", "buffer");
    let overflow = r.get(&buffer, "overflow");
    let overflow_name = overflow.as_string();
    let raw = BufferOptions {
        max_messages: r.number(&buffer, "maxMessages"),
        max_bytes: r.number(&buffer, "maxBytes"),
        overflow: if overflow.is_undefined() {
            None
        } else {
            Some(overflow_name.as_deref().unwrap_or(""))
        },
        ttl: r.number(&buffer, "ttl"),
    };
    let mut buffer_config = r.check(validate::buffer_options(&raw));
    let replay = r.get(&buffer, "replay");
    let replay_filter = replay.dyn_ref::<Function>().cloned();
    buffer_config.replay = replay.is_undefined() || replay_filter.is_some() || replay.is_truthy();

    // Kept as it is while an error is recorded: then it is never used.
    let mut constructor = r.get(options, "WebSocket");
    let mut expected = "a function";
    if constructor.is_undefined() && r.error.is_none() {
        constructor = js::global("WebSocket");
        expected = "a WebSocket constructor (this environment has no global WebSocket)";
    }
    if !constructor.is_function() {
        r.fail("WebSocket", expected);
    }

    let delivery = r.get(options, "delivery");
    let delivery_name = delivery.as_string();
    let ack_interval = r.number(options, "ackInterval");
    let acked = r.check(validate::delivery_options(
        if delivery.is_undefined() {
            None
        } else {
            Some(delivery_name.as_deref().unwrap_or(""))
        },
        ack_interval,
    ));

    let config = Config {
        reconnect: reconnect_config,
        heartbeat: heartbeat_config,
        buffer: buffer_config,
        network: r.boolean(options, "network", true),
        page_lifecycle: r.boolean(options, "pageLifecycle", true),
        start_closed: r.boolean(options, "startClosed", false),
        acked,
    };
    let hooks = Hooks {
        should_reconnect,
        heartbeat_message,
        heartbeat_pong,
        expose_pongs: r.boolean(&heartbeat, "exposePongs", false),
        replay_filter,
        constructor: constructor.unchecked_into(),
    };
    r.finish((config, hooks))
}
