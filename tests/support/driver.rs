//! The JS face's side of the harness: a driver as the JS class constructs it, its events logged as
//! Rust values.

use super::{now, sleep};
use js_sys::{Array, Float64Array, Function, Object, Reflect};
use resilient_websocket::abi::{HookSlot, Jitter, Kind, OptionSlot};
use resilient_websocket::host::Host;
use resilient_websocket::WebDriver;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// An argument of `emit`, converted at once: the log holds no JS value it does not need, so that
/// the leak test counts only what the driver holds.
#[derive(Clone)]
pub enum Arg {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// An object (a Blob, an ArrayBuffer, `lastClose`).
    Js(JsValue),
}

impl Arg {
    fn from(value: JsValue) -> Arg {
        if value.is_undefined() {
            Arg::Undefined
        } else if value.is_null() {
            Arg::Null
        } else if let Some(b) = value.as_bool() {
            Arg::Bool(b)
        } else if let Some(x) = value.as_f64() {
            Arg::Num(x)
        } else if let Some(s) = value.as_string() {
            Arg::Str(s)
        } else {
            Arg::Js(value)
        }
    }

    pub fn num(&self) -> f64 {
        match self {
            Arg::Num(x) => *x,
            other => panic!("not a number: {other:?}"),
        }
    }

    pub fn str(&self) -> &str {
        match self {
            Arg::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    pub fn bool(&self) -> bool {
        match self {
            Arg::Bool(b) => *b,
            other => panic!("not a boolean: {other:?}"),
        }
    }

    pub fn js(&self) -> &JsValue {
        match self {
            Arg::Js(v) => v,
            other => panic!("not an object: {other:?}"),
        }
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Undefined => write!(f, "undefined"),
            Arg::Null => write!(f, "null"),
            Arg::Bool(b) => write!(f, "{b}"),
            Arg::Num(x) => write!(f, "{x}"),
            Arg::Str(s) => write!(f, "{s:?}"),
            Arg::Js(v) => write!(f, "{v:?}"),
        }
    }
}

/// One call of the driver's `emit(kind, a, b, c)`, stamped with `performance.now()`.
#[derive(Clone)]
pub struct Emitted {
    pub kind: &'static str,
    pub at: f64,
    pub a: Arg,
    pub b: Arg,
    pub c: Arg,
}

impl fmt::Debug for Emitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0} {}({:?}, {:?}, {:?})",
            self.at, self.kind, self.a, self.b, self.c
        )
    }
}

pub type Log = Rc<RefCell<Vec<Emitted>>>;

/// The host's `emit`: `Fn`, not `FnMut`, since the driver calls it re-entrantly (a `provide`
/// answered at once opens a socket, whose attempt may report at once).
type EmitClosure = Closure<dyn Fn(JsValue, JsValue, JsValue, JsValue)>;
/// The host's `listen`: it answers `undefined`, so every message takes the driver's own path
/// (the JS class's direct path is tested end to end).
type ListenClosure = Closure<dyn Fn(JsValue, JsValue, JsValue) -> JsValue>;

/// The third constructor argument, as `readOptions` flattens it: NaN is the default.
#[derive(Clone)]
pub struct Options {
    raw: [f64; OptionSlot::ALL.len()],
    should_reconnect: Option<Function>,
    provider: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            raw: [f64::NAN; OptionSlot::ALL.len()],
            should_reconnect: None,
            provider: false,
        }
    }
}

impl Options {
    pub fn set(mut self, slot: OptionSlot, value: f64) -> Self {
        self.raw[slot as usize] = value;
        self
    }

    /// Exact delays: `reconnect: { minDelay: min, maxDelay: max, factor: 1, jitter: 'none' }`,
    /// so every backoff delay is `min`, the first retry's too: `readOptions` codes the
    /// `firstDelay` left out beside a `minDelay` as `null`, -1.
    pub fn delays(self, min: f64, max: f64) -> Self {
        self.set(OptionSlot::MinDelay, min)
            .set(OptionSlot::MaxDelay, max)
            .set(OptionSlot::Factor, 1.0)
            // A jitter name is coded as -1 - its number.
            .set(OptionSlot::Jitter, -1.0 - f64::from(Jitter::None as u8))
            .set(OptionSlot::FirstDelay, -1.0)
    }

    pub fn heartbeat(self, interval: f64, timeout: f64) -> Self {
        self.set(OptionSlot::Heartbeat, 1.0)
            .set(OptionSlot::Interval, interval)
            .set(OptionSlot::Timeout, timeout)
    }

    /// `reconnect.shouldReconnect`.
    pub fn should_reconnect(mut self, hook: Function) -> Self {
        self.should_reconnect = Some(hook);
        self
    }

    /// A URL provider (`new ResilientWebSocket(() => url)`): the driver asks for each attempt with
    /// a `provide` event, which carries the attempt's generation.
    pub fn provider(mut self) -> Self {
        self.provider = true;
        self
    }
}

/// A driver as `new ResilientWebSocket(url, [], options)` makes it, with its events logged.
pub struct Client {
    pub driver: Rc<WebDriver>,
    pub log: Log,
    _host: (EmitClosure, ListenClosure),
}

impl Client {
    /// Constructs and starts a driver for `url`.
    pub fn new(url: &str, options: Options) -> Client {
        clear_page_overrides();
        let log: Log = Rc::default();
        let sink = log.clone();
        let handle: Rc<RefCell<Weak<WebDriver>>> = Rc::default();
        let driver_handle = handle.clone();
        let provided_url = url.to_owned();
        let emit = EmitClosure::new(move |kind: JsValue, a, b, c| {
            let kind = kind
                .as_f64()
                .and_then(|k| Kind::from_number(k as u32))
                .map_or("(not a kind number)", Kind::js_name);
            let (a, b, c) = (Arg::from(a), Arg::from(b), Arg::from(c));
            let provide = (kind == "provide").then(|| a.num() as u32);
            sink.borrow_mut().push(Emitted {
                kind,
                at: now(),
                a,
                b,
                c,
            });
            // As the JS class answers a URL provider that returns at once.
            if let Some(gen) = provide {
                let driver = driver_handle.borrow().upgrade();
                if let Some(driver) = driver {
                    driver.open(gen, provided_url.as_str().into(), JsValue::UNDEFINED);
                }
            }
        });
        let websocket = Reflect::get(&js_sys::global(), &"WebSocket".into())
            .expect("the browser has a global WebSocket");
        let hooks = Array::new_with_length(HookSlot::ALL.len() as u32);
        let should_reconnect = options.should_reconnect.clone();
        hooks.set(
            HookSlot::ShouldReconnect as u32,
            should_reconnect.map_or(JsValue::UNDEFINED, JsValue::from),
        );
        hooks.set(HookSlot::HeartbeatMessage as u32, "ping".into());
        hooks.set(HookSlot::HeartbeatPong as u32, "pong".into());
        hooks.set(HookSlot::WebSocket as u32, websocket);
        let listen = ListenClosure::new(|_, _, _| JsValue::UNDEFINED);
        let host = Object::new();
        Reflect::set(&host, &"emit".into(), emit.as_ref()).expect("a plain object");
        Reflect::set(&host, &"listen".into(), listen.as_ref()).expect("a plain object");
        let raw = Float64Array::new_with_length(OptionSlot::ALL.len() as u32);
        raw.copy_from(&options.raw);
        let driver = Rc::new(WebDriver::new(
            if options.provider { "" } else { url }.into(),
            Array::new().into(),
            options.provider,
            &raw,
            hooks,
            host.unchecked_into::<Host>(),
        ));
        *handle.borrow_mut() = Rc::downgrade(&driver);
        driver.start();
        Client {
            driver,
            log,
            _host: (emit, listen),
        }
    }

    /// The events of `kind` so far.
    pub fn all(&self, kind: &str) -> Vec<Emitted> {
        self.log
            .borrow()
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.log.borrow().iter().filter(|e| e.kind == kind).count()
    }

    /// Waits up to `timeout_ms` for the `n`-th event of `kind` (1 for the first) and returns it.
    pub async fn nth_within(&self, kind: &str, n: usize, timeout_ms: f64) -> Emitted {
        let deadline = now() + timeout_ms;
        loop {
            if let Some(found) = self.all(kind).into_iter().nth(n - 1) {
                return found;
            }
            assert!(
                now() < deadline,
                "no '{kind}' event #{n} within {timeout_ms} ms; saw {:#?}",
                self.log.borrow()
            );
            sleep(5).await;
        }
    }

    /// The `n`-th event of `kind`, within 5 s (what a local server takes on a loaded machine).
    pub async fn nth(&self, kind: &str, n: usize) -> Emitted {
        self.nth_within(kind, n, 5000.0).await
    }

    /// The kinds of the events so far.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.log.borrow().iter().map(|e| e.kind).collect()
    }

    /// The events after the `n`-th of `kind` (all of them for `n` = 0).
    pub fn after(&self, kind: &str, n: usize) -> Vec<Emitted> {
        let log = self.log.borrow();
        let start = if n == 0 {
            0
        } else {
            log.iter()
                .enumerate()
                .filter(|(_, e)| e.kind == kind)
                .nth(n - 1)
                .map_or(log.len(), |(i, _)| i + 1)
        };
        log[start..].to_vec()
    }

    pub fn ready_state(&self) -> u8 {
        self.driver.ready_state()
    }

    pub fn connection_state(&self) -> String {
        self.driver
            .connection_state()
            .as_string()
            .unwrap_or_default()
    }

    /// `send()` of a string; the JS class measures the size in UTF-8 bytes.
    pub fn send_text(&self, text: &str) -> u8 {
        self.driver.send(text.into(), text.len() as f64)
    }

    /// Closes (1000) and waits for the close event, so the server is left with nothing open.
    pub async fn finish(&self) {
        let closes = self.count("close");
        if self.ready_state() == 3 {
            return;
        }
        assert_eq!(self.driver.close(Some(1000.0), None), 0);
        self.nth("close", closes + 1).await;
    }
}

/// Makes `document.hidden` read `hidden` (an own property shadowing `Document.prototype`'s getter),
/// as a page in a background tab reads it.
pub fn set_document_hidden(hidden: bool) {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let descriptor = js_sys::Object::new();
    Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE).expect("set");
    Reflect::set(&descriptor, &"value".into(), &JsValue::from_bool(hidden)).expect("set");
    js_sys::Object::define_property(&document, &"hidden".into(), &descriptor);
    assert_eq!(document.hidden(), hidden, "document.hidden is overridden");
}

/// Removes what [`set_document_hidden`] set (also before every new client, in case a failed test
/// left it behind).
pub fn clear_page_overrides() {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let _ = Reflect::delete_property(&document, &"hidden".into());
    }
}

/// Dispatches a plain `Event` of `kind` on the window (`online`, `offline`, `pagehide`).
pub fn dispatch_on_window(kind: &str) {
    let event = web_sys::Event::new(kind).expect("an Event");
    web_sys::window()
        .expect("a window")
        .dispatch_event(&event)
        .expect("dispatched");
}

/// Dispatches a plain `Event` of `kind` on the document (`visibilitychange`, `freeze`, `resume`).
pub fn dispatch_on_document(kind: &str) {
    let event = web_sys::Event::new(kind).expect("an Event");
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
        .dispatch_event(&event)
        .expect("dispatched");
}

/// The bytes of an ArrayBuffer, in hex.
pub fn hex_of(buffer: &JsValue) -> String {
    js_sys::Uint8Array::new(buffer)
        .to_vec()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An ArrayBuffer holding `bytes`.
pub fn array_buffer(bytes: &[u8]) -> js_sys::ArrayBuffer {
    js_sys::Uint8Array::from(bytes).buffer()
}

/// The bytes of a Blob, read with `Blob.arrayBuffer()`, in hex.
pub async fn blob_hex(blob: &web_sys::Blob) -> String {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .expect("the Blob is read");
    hex_of(&buffer)
}
