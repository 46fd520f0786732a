//! The Rust face's errors: typed, with `Display`, where the JS class throws `DOMException`s.

use crate::machine;
use alloc::string::String;
use core::fmt;

/// Why [`Builder::connect`](super::Builder::connect) (or
/// [`ResilientWebSocket::new`](super::ResilientWebSocket::new)) refused its arguments: the checks
/// of the browser's own `WebSocket` constructor, made before anything connects, so that a bad URL
/// fails once here rather than as an endless series of failed attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The URL does not parse, even against the document's base URL (`SyntaxError` natively).
    InvalidUrl(String),
    /// The scheme is not `ws`, `wss`, `http` or `https`.
    UnsupportedScheme(String),
    /// The URL has a fragment (`#…`), which a WebSocket URL must not have.
    Fragment(String),
    /// A subprotocol is not an RFC 2616 token.
    InvalidProtocol(String),
    /// A subprotocol is given twice (compared case-insensitively).
    DuplicateProtocol(String),
    /// This environment has no global `WebSocket` to drive.
    NoWebSocket,
    /// The [`Config`](machine::Config) has a value out of the range the JS face accepts for the
    /// same option (see [`Config::validate`](machine::Config::validate)).
    InvalidConfig(machine::ConfigError),
}

impl From<machine::ConfigError> for OpenError {
    fn from(error: machine::ConfigError) -> Self {
        OpenError::InvalidConfig(error)
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::InvalidUrl(url) => write!(f, "the URL {url:?} is invalid"),
            OpenError::UnsupportedScheme(url) => write!(
                f,
                "the URL {url:?} has a scheme other than 'ws', 'wss', 'http' or 'https'"
            ),
            OpenError::Fragment(url) => {
                write!(f, "the URL {url:?} contains a fragment identifier")
            }
            OpenError::InvalidProtocol(p) => {
                write!(f, "the subprotocol {p:?} is not a valid token")
            }
            OpenError::DuplicateProtocol(p) => {
                write!(f, "the subprotocol {p:?} is specified more than once")
            }
            OpenError::NoWebSocket => write!(f, "this environment has no WebSocket"),
            OpenError::InvalidConfig(error) => write!(f, "invalid config: {error}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::InvalidConfig(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a message was not accepted by `send_text`, `send_binary` or `send_json`. A message that
/// was accepted is sent, or queued and replayed, or reported by an
/// [`Event::Drop`](super::Event::Drop): never lost silently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection is closed for good (after [`close`](super::ResilientWebSocket::close), a
    /// give-up or a terminal close code); `InvalidStateError` in the JS face.
    Closed,
    /// The queue is full and `buffer.overflow` is `throw`; `QuotaExceededError` in the JS face.
    BufferFull,
    /// `send_json`'s value could not be turned into JSON.
    Json(JsonError),
}

impl From<machine::SendError> for SendError {
    fn from(error: machine::SendError) -> Self {
        match error {
            machine::SendError::InvalidState => SendError::Closed,
            machine::SendError::QuotaExceeded => SendError::BufferFull,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed => write!(f, "the connection is closed"),
            SendError::BufferFull => write!(f, "the outbound buffer is full"),
            SendError::Json(error) => write!(f, "the message is not JSON: {error}"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Json(error) => Some(error),
            _ => None,
        }
    }
}

/// Why `close(code, reason)` or `reconnect(code, reason)` refused its arguments (the native
/// `close()`'s checks); nothing was closed then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseError {
    /// The code is neither 1000 nor in 3000–4999 (`InvalidAccessError` in the JS face).
    InvalidCode(u16),
    /// The reason is longer than 123 UTF-8 bytes (`SyntaxError` in the JS face).
    ReasonTooLong,
}

impl CloseError {
    pub(crate) fn from_core(error: machine::CloseError, code: Option<u16>) -> CloseError {
        match error {
            machine::CloseError::InvalidCode => CloseError::InvalidCode(code.unwrap_or_default()),
            machine::CloseError::ReasonTooLong => CloseError::ReasonTooLong,
        }
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::InvalidCode(code) => {
                write!(f, "the close code must be 1000 or in 3000-4999, not {code}")
            }
            CloseError::ReasonTooLong => {
                write!(
                    f,
                    "the close reason must not be longer than 123 UTF-8 bytes"
                )
            }
        }
    }
}

impl std::error::Error for CloseError {}

/// A value that did not make it into or out of JSON: [`Message::json`](super::Message::json)'s
/// input is not JSON or not of the type asked for, or `send_json`'s value has no JSON form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    message: String,
}

impl JsonError {
    pub(crate) fn new(message: impl Into<String>) -> JsonError {
        JsonError {
            message: message.into(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}
