//! The options of a new handle, and the one place where the Rust face builds its driver.

use super::dispatch::Dispatch;
use super::error::OpenError;
use super::{address, event, ResilientWebSocket};
use crate::machine::{Config, HeartbeatConfig};
use crate::web::hooks::Hooks;
use crate::web::js;
use crate::web::sink::Sink;
use crate::web::WebDriver;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};

/// Options for a [`ResilientWebSocket`], from [`ResilientWebSocket::builder`].
///
/// ```
/// # fn build() -> Result<resilient_websocket::ResilientWebSocket, resilient_websocket::OpenError> {
/// use resilient_websocket::machine::{Config, HeartbeatConfig};
/// use resilient_websocket::ResilientWebSocket;
///
/// let config = Config {
///     heartbeat: Some(HeartbeatConfig { interval: 15_000, timeout: 5_000 }),
///     ..Config::default()
/// };
/// ResilientWebSocket::builder("wss://example.com/feed")
///     .protocols(["feed.v2"])
///     .config(config)
///     .heartbeat_messages("ping", "pong")
///     .connect()
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `connect` is called"]
pub struct Builder {
    url: String,
    protocols: Vec<String>,
    config: Config,
    ping: String,
    pong: String,
}

impl Builder {
    pub(crate) fn new(url: &str) -> Builder {
        Builder {
            url: url.into(),
            protocols: Vec::new(),
            config: Config::default(),
            ping: HeartbeatConfig::DEFAULT_MESSAGE.into(),
            pong: HeartbeatConfig::DEFAULT_PONG.into(),
        }
    }

    /// The subprotocols to offer on every attempt (the second argument of `new WebSocket`).
    pub fn protocols<I, S>(mut self, protocols: I) -> Builder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The resilience options (API.md §2); [`Config::default`] when not called. With serde, a
    /// `Config` reads from the same JSON as the JS face's options object.
    pub fn config(mut self, config: Config) -> Builder {
        self.config = config;
        self
    }

    /// The heartbeat's text messages: the ping sent after `heartbeat.interval` of silence, and
    /// the pong that answers it (not reported as a message). `"ping"` and `"pong"` by default.
    /// Only used when the [`Config`] turns the heartbeat on.
    pub fn heartbeat_messages(
        mut self,
        ping: impl Into<String>,
        pong: impl Into<String>,
    ) -> Builder {
        self.ping = ping.into();
        self.pong = pong.into();
        self
    }

    /// Checks the [`Config`]'s ranges ([`Config::validate`]), then the URL and subprotocols as the
    /// browser's `WebSocket` constructor does, and starts connecting (unless `start_closed`). The
    /// socket opens later, with an [`Event::Open`](super::Event::Open); messages sent before then
    /// are queued.
    pub fn connect(self) -> Result<ResilientWebSocket, OpenError> {
        self.config.validate()?;
        let url = address::resolve(&self.url)?;
        address::check_protocols(&self.protocols)?;
        let constructor = js::global("WebSocket")
            .dyn_into::<Function>()
            .map_err(|_| OpenError::NoWebSocket)?;
        let hooks = Hooks {
            should_reconnect: None,
            heartbeat_message: JsValue::from_str(&self.ping),
            heartbeat_pong: JsValue::from_str(&self.pong),
            expose_pongs: false,
            replay_filter: None,
            constructor,
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            numbered: None,
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            released: None,
        };
        let dispatch = Rc::new(Dispatch::default());
        // Weak: the driver lives inside the handle, which owns the dispatch; a report that comes
        // after the handle is gone finds nobody to tell.
        let to = Rc::downgrade(&dispatch);
        let sink = Sink::Rust(Rc::new(move |kind, a, b, c| {
            if let (Some(dispatch), Some(event)) = (to.upgrade(), event::decode(kind, a, b, c)) {
                dispatch.deliver(event);
            }
        }));
        let protocols: Array = self
            .protocols
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect();
        let driver = WebDriver::with_config(
            self.config,
            hooks,
            sink,
            JsValue::from_str(&url),
            protocols.into(),
            false,
        );
        // Binary messages as ArrayBuffers, which `Message::bytes` reads at once (a Blob can only
        // be read asynchronously).
        driver.apply_binary_type(JsValue::from_str("arraybuffer"));
        driver.begin();
        Ok(ResilientWebSocket { driver, dispatch })
    }
}
