//! The harness of tests/web_driver.rs and tests/rust_face.rs: the commandable test server
//! (tests/support/wasm-test-server.js) that gives each test a chaos server of its own, and (with the
//! JS face, in [`driver`]) a driver as the JS class constructs it, its events logged as Rust values.

#[cfg(feature = "js-face")]
mod driver;
#[cfg(feature = "js-face")]
pub use driver::*;

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The control API of tests/support/wasm-test-server.js, which scripts/test.sh starts and passes at
/// compile time.
const SERVER: Option<&str> = option_env!("RWS_TEST_SERVER");

/// Slack added to every upper time bound: a loaded machine with two cores shared by three engines
/// delivers timers and socket events late, never early.
pub const TOLERANCE_MS: f64 = 2000.0;

/// Slack subtracted from lower time bounds that compare the page's stamps of two events: the
/// core reads its clock (whole milliseconds, truncated) before the driver hands the event to the
/// test's callback, which stamps it, in the same task.
pub const EARLY_MS: f64 = 50.0;

/// `performance.now()`, the clock the driver gives the core.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .expect("a window with performance")
        .now()
}

/// Waits `ms` milliseconds (a browser timer: never shorter).
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// The browser engine the test runs in, from `navigator.userAgent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
    WebKit,
}

pub fn engine() -> Engine {
    let agent = web_sys::window()
        .expect("a window")
        .navigator()
        .user_agent()
        .expect("navigator.userAgent");
    if agent.contains("Firefox/") {
        Engine::Firefox
    } else if agent.contains("Chrome/") || agent.contains("Chromium/") {
        Engine::Chromium
    } else {
        assert!(agent.contains("AppleWebKit/"), "unknown engine: {agent}");
        Engine::WebKit
    }
}

/// `obj[key]`.
pub fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A request to the control API; panics unless it answers 200. Returns the parsed JSON answer.
async fn request(method: &str, path: &str, body: Option<String>) -> JsValue {
    let base = SERVER.expect(
        "RWS_TEST_SERVER names the control API of tests/support/wasm-test-server.js, which \
         scripts/test.sh starts",
    );
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        // A string body is sent as text/plain: a simple cross-origin request, no preflight.
        init.set_body(&JsValue::from_str(body));
    }
    let url = format!("{base}{path}");
    let window = web_sys::window().expect("a window");
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: fetch failed: {e:?}"));
    let response: web_sys::Response = response.unchecked_into();
    let text = JsFuture::from(response.text().expect("a body"))
        .await
        .expect("the body is read")
        .as_string()
        .unwrap_or_default();
    assert_eq!(
        response.status(),
        200,
        "{method} {url} {}: {text}",
        body.unwrap_or_default()
    );
    js_sys::JSON::parse(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e:?}): {text}"))
}

/// One chaos server of the test server, for one test.
pub struct Server {
    id: String,
    /// `ws://127.0.0.1:PORT/`.
    pub url: String,
}

impl Server {
    /// A chaos server that echoes every message and answers `'ping'` with `'pong'`.
    pub async fn start() -> Server {
        let answer = request("POST", "/servers", Some("{}".into())).await;
        Server {
            id: field(&answer, "id").as_string().expect("an id"),
            url: field(&answer, "url").as_string().expect("a url"),
        }
    }

    /// Commands a fault (see the header of wasm-test-server.js); it has taken effect on return.
    pub async fn fault(&self, name: &str, body: &str) {
        request(
            "POST",
            &format!("/servers/{}/{name}", self.id),
            Some(body.into()),
        )
        .await;
    }

    /// Closes every open connection with a close frame of `code` and `reason`.
    pub async fn close(&self, code: u16, reason: &str) {
        let body = format!(r#"{{"code":{code},"reason":{}}}"#, json_string(reason));
        self.fault("close", &body).await;
    }

    /// What the server saw so far.
    pub async fn record(&self) -> Record {
        Record::from(&request("GET", &format!("/servers/{}", self.id), None).await)
    }

    /// Polls the record until `holds`, for at most `timeout_ms`.
    pub async fn wait(
        &self,
        what: &str,
        timeout_ms: f64,
        holds: impl Fn(&Record) -> bool,
    ) -> Record {
        let deadline = now() + timeout_ms;
        loop {
            let record = self.record().await;
            if holds(&record) {
                return record;
            }
            assert!(
                now() < deadline,
                "the server saw no {what} within {timeout_ms} ms: {record:?}"
            );
            sleep(20).await;
        }
    }

    /// Stops the chaos server for good.
    pub async fn dispose(self) {
        self.fault("dispose", "{}").await;
    }
}

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(text))
        .ok()
        .and_then(|s| s.as_string())
        .expect("a string stringifies")
}

/// One upgrade request the server saw.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// `accepted`, `refused` or `stalled`.
    pub outcome: String,
    /// A stalled handshake whose TCP connection the client closed.
    pub peer_closed: bool,
}

/// One WebSocket connection the server accepted.
#[derive(Clone, Debug)]
pub struct Connection {
    pub open: bool,
    pub silent: bool,
    pub close_code: Option<u16>,
    pub close_reason: Option<String>,
    /// `client`, `server` or `server-terminate`.
    pub closed_by: Option<String>,
}

/// One message the server received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The id of its connection (1, 2, … in the order they were accepted).
    pub connection: u32,
    /// The heartbeat's `'ping'`.
    pub heartbeat: bool,
    /// A text message.
    pub text: Option<String>,
    /// A binary message, in hex.
    pub hex: Option<String>,
}

/// The chaos server's record, as Rust values.
#[derive(Clone, Debug)]
pub struct Record {
    pub attempts: Vec<Attempt>,
    pub connections: Vec<Connection>,
    pub received: Vec<Received>,
}

impl Record {
    fn from(json: &JsValue) -> Record {
        let list = |key: &str| Array::from(&field(json, key)).to_vec();
        let string = |v: &JsValue, key: &str| field(v, key).as_string();
        Record {
            attempts: list("attempts")
                .iter()
                .map(|a| Attempt {
                    outcome: string(a, "outcome").unwrap_or_default(),
                    peer_closed: field(a, "peerClosed").is_truthy(),
                })
                .collect(),
            connections: list("connections")
                .iter()
                .map(|c| Connection {
                    open: field(c, "open").is_truthy(),
                    silent: field(c, "silent").is_truthy(),
                    close_code: field(c, "closeCode").as_f64().map(|x| x as u16),
                    close_reason: string(c, "closeReason"),
                    closed_by: string(c, "closedBy"),
                })
                .collect(),
            received: list("received")
                .iter()
                .map(|m| Received {
                    connection: field(m, "connection").as_f64().unwrap_or(0.0) as u32,
                    heartbeat: field(m, "heartbeat").is_truthy(),
                    text: string(m, "text"),
                    hex: string(m, "hex"),
                })
                .collect(),
        }
    }

    /// Upgrade requests with this outcome.
    pub fn attempts_that(&self, outcome: &str) -> usize {
        self.attempts
            .iter()
            .filter(|a| a.outcome == outcome)
            .count()
    }

    /// The application messages (not heartbeat pings), as text (binary ones as `hex:…`).
    pub fn messages(&self) -> Vec<String> {
        self.received
            .iter()
            .filter(|m| !m.heartbeat)
            .map(|m| match (&m.text, &m.hex) {
                (Some(text), _) => text.clone(),
                (None, Some(hex)) => format!("hex:{hex}"),
                (None, None) => String::new(),
            })
            .collect()
    }

    pub fn pings(&self) -> usize {
        self.received.iter().filter(|m| m.heartbeat).count()
    }
}
