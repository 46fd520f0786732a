//! The third constructor argument, read straight off the JS object.
//!
//! Reading with `Reflect` instead of a serde deserializer keeps the deserialization machinery out
//! of the wasm binary. This file only converts JS types; every range is checked by the core's
//! pure `validate` functions, which name the option in their message. A number option of the
//! wrong JS type is passed on as NaN so that it fails with that same message.

use super::error::option_error;
use crate::machine::validate::{
    self, BufferOptions, HeartbeatOptions, JitterOption, OptionError, ReconnectOptions,
};
use crate::machine::Config;
use js_sys::{Function, Reflect};
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

/// `obj[key]`, or `undefined` when `obj` is not an object. A throwing getter propagates, as it
/// would in the WebIDL dictionary conversion of a native API.
fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if obj.is_object() || obj.is_function() {
        Reflect::get(obj, &JsValue::from_str(key))
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

fn number(obj: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    let value = get(obj, key)?;
    Ok(if value.is_undefined() {
        None
    } else {
        Some(value.as_f64().unwrap_or(f64::NAN))
    })
}

/// A WebIDL `boolean`: absent is `default`, anything else converts by truthiness.
fn boolean(obj: &JsValue, key: &str, default: bool) -> Result<bool, JsValue> {
    let value = get(obj, key)?;
    Ok(if value.is_undefined() {
        default
    } else {
        value.is_truthy()
    })
}

fn function(obj: &JsValue, key: &str, option: &'static str) -> Result<Option<Function>, JsValue> {
    let value = get(obj, key)?;
    if value.is_undefined() {
        Ok(None)
    } else {
        value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| type_error(option, "a function"))
    }
}

/// An object-valued option: absent is `undefined`; anything but an object is refused.
fn object(obj: &JsValue, key: &str, option: &'static str) -> Result<JsValue, JsValue> {
    let value = get(obj, key)?;
    if value.is_undefined() || value.is_object() {
        Ok(value)
    } else {
        Err(type_error(option, "an object"))
    }
}

fn type_error(option: &'static str, expected: &'static str) -> JsValue {
    option_error(OptionError { option, expected })
}

/// Reads and validates `options` (undefined and null mean all defaults).
pub(crate) fn read(options: &JsValue) -> Result<(Config, Hooks), JsValue> {
    if !(options.is_undefined() || options.is_null() || options.is_object()) {
        return Err(type_error("options", "an object"));
    }
    let reconnect = object(options, "reconnect", "reconnect")?;
    let jitter = get(&reconnect, "jitter")?;
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
    let reconnect_config = validate::reconnect_options(&ReconnectOptions {
        min_delay: number(&reconnect, "minDelay")?,
        max_delay: number(&reconnect, "maxDelay")?,
        factor: number(&reconnect, "factor")?,
        jitter,
        max_retries: number(&reconnect, "maxRetries")?,
        connect_timeout: number(&reconnect, "connectTimeout")?,
        min_uptime: number(&reconnect, "minUptime")?,
    })
    .map_err(option_error)?;
    let should_reconnect = function(&reconnect, "shouldReconnect", "reconnect.shouldReconnect")?;

    let heartbeat = get(options, "heartbeat")?;
    let heartbeat_on = match heartbeat.as_bool() {
        Some(on) => on,
        None if heartbeat.is_undefined() => false,
        None if heartbeat.is_object() => true,
        None => return Err(type_error("heartbeat", "a boolean or an object")),
    };
    let heartbeat_config = if heartbeat_on {
        Some(
            validate::heartbeat_options(&HeartbeatOptions {
                interval: number(&heartbeat, "interval")?,
                timeout: number(&heartbeat, "timeout")?,
            })
            .map_err(option_error)?,
        )
    } else {
        None
    };
    let heartbeat_message = match get(&heartbeat, "message")? {
        value if value.is_undefined() => JsValue::from_str("ping"),
        value => value,
    };
    let heartbeat_pong = match get(&heartbeat, "pong")? {
        value if value.is_undefined() => JsValue::from_str("pong"),
        value if value.is_string() || value.is_function() => value,
        _ => return Err(type_error("heartbeat.pong", "a string or a function")),
    };

    let buffer = object(options, "buffer", "buffer")?;
    let overflow = get(&buffer, "overflow")?;
    let overflow_name = overflow.as_string();
    let mut buffer_config = validate::buffer_options(&BufferOptions {
        max_messages: number(&buffer, "maxMessages")?,
        max_bytes: number(&buffer, "maxBytes")?,
        overflow: if overflow.is_undefined() {
            None
        } else {
            Some(overflow_name.as_deref().unwrap_or(""))
        },
        ttl: number(&buffer, "ttl")?,
    })
    .map_err(option_error)?;
    let replay = get(&buffer, "replay")?;
    let replay_filter = replay.dyn_ref::<Function>().cloned();
    buffer_config.replay = replay.is_undefined() || replay_filter.is_some() || replay.is_truthy();

    let constructor = match function(options, "WebSocket", "WebSocket")? {
        Some(constructor) => constructor,
        None => get(&js_sys::global(), "WebSocket")?
            .dyn_into::<Function>()
            .map_err(|_| {
                type_error(
                    "WebSocket",
                    "a WebSocket constructor (this environment has no global WebSocket)",
                )
            })?,
    };

    let delivery = get(options, "delivery")?;
    let delivery_name = delivery.as_string();
    let acked = validate::delivery_options(
        if delivery.is_undefined() {
            None
        } else {
            Some(delivery_name.as_deref().unwrap_or(""))
        },
        number(options, "ackInterval")?,
    )
    .map_err(option_error)?;

    let config = Config {
        reconnect: reconnect_config,
        heartbeat: heartbeat_config,
        buffer: buffer_config,
        network: boolean(options, "network", true)?,
        page_lifecycle: boolean(options, "pageLifecycle", true)?,
        start_closed: boolean(options, "startClosed", false)?,
        acked,
    };
    let hooks = Hooks {
        should_reconnect,
        heartbeat_message,
        heartbeat_pong,
        expose_pongs: boolean(&heartbeat, "exposePongs", false)?,
        replay_filter,
        constructor,
    };
    Ok((config, hooks))
}
