//! Core errors as the exceptions the native `WebSocket` throws.

use crate::machine::validate::{OptionError, ProtocolError, UrlError};
use crate::machine::{CloseError, SendError};
use wasm_bindgen::JsValue;
use web_sys::DomException;

/// A `DOMException` with the native name. Falls back to a `TypeError` in the (theoretical) case
/// that the environment cannot construct one, rather than panicking.
pub(crate) fn dom_exception(message: &str, name: &str) -> JsValue {
    DomException::new_with_message_and_name(message, name)
        .map(JsValue::from)
        .unwrap_or_else(|_| js_sys::TypeError::new(message).into())
}

/// A `TypeError` naming the option and the accepted range.
pub(crate) fn option_error(error: OptionError) -> JsValue {
    js_sys::TypeError::new(&error.message()).into()
}

pub(crate) fn url_error(error: UrlError) -> JsValue {
    dom_exception(error.message(), "SyntaxError")
}

pub(crate) fn protocol_error(error: ProtocolError) -> JsValue {
    dom_exception(error.message(), "SyntaxError")
}

pub(crate) fn send_error(error: SendError) -> JsValue {
    match error {
        SendError::InvalidState => dom_exception(
            "The connection is closed for good; the message cannot be delivered.",
            "InvalidStateError",
        ),
        SendError::QuotaExceeded => {
            dom_exception("The outbound buffer is full.", "QuotaExceededError")
        }
    }
}

pub(crate) fn close_error(error: CloseError) -> JsValue {
    match error {
        CloseError::InvalidCode => dom_exception(
            "The close code must be either 1000, or between 3000 and 4999.",
            "InvalidAccessError",
        ),
        CloseError::ReasonTooLong => dom_exception(
            "The close reason must not be greater than 123 UTF-8 bytes.",
            "SyntaxError",
        ),
    }
}
