//! The driver against a real browser socket and a real local echo server.
//!
//! Run by `wasm-pack test --headless --chrome` from `scripts/test.sh`, which starts the echo server
//! on a free loopback port and passes its URL at compile time as `RWS_TEST_ECHO_URL`.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use resilient_websocket::WebDriver;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ECHO_URL: Option<&str> = option_env!("RWS_TEST_ECHO_URL");

/// The names of `emit`'s `kind` numbers, in the order of `KINDS` in js/class.js.
const KINDS: [&str; 13] = [
    "message",
    "open",
    "close",
    "error",
    "statechange",
    "reconnecting",
    "giveup",
    "drop",
    "heartbeat",
    "sessionlost",
    "provide",
    "hookerror",
    "listen",
];

/// One call of the driver's `emit(kind, a, b, c)` callback, its kind by name.
#[derive(Clone, Debug)]
struct Emitted {
    kind: &'static str,
    a: JsValue,
    b: JsValue,
    c: JsValue,
}

type Log = Rc<RefCell<Vec<Emitted>>>;

/// The `emit` callback; the test keeps it alive as long as the driver.
type EmitClosure = Closure<dyn FnMut(JsValue, JsValue, JsValue, JsValue)>;

/// A driver for `url` whose events are appended to the returned log.
fn driver(url: &str) -> (WebDriver, Log, EmitClosure) {
    let log: Log = Rc::default();
    let sink = log.clone();
    let emit = EmitClosure::new(move |kind: JsValue, a, b, c| {
        sink.borrow_mut().push(Emitted {
            kind: kind
                .as_f64()
                .and_then(|k| KINDS.get(k as usize))
                .copied()
                .unwrap_or("(not a kind number)"),
            a,
            b,
            c,
        })
    });
    // As the JS class calls it for `new ResilientWebSocket(url)`: every option at its default (NaN)
    // and the global WebSocket.
    let websocket = js_sys::Reflect::get(&js_sys::global(), &"WebSocket".into())
        .expect("the browser has a global WebSocket");
    let hooks = js_sys::Array::of5(
        &JsValue::UNDEFINED,
        &"ping".into(),
        &"pong".into(),
        &JsValue::UNDEFINED,
        &websocket,
    );
    let driver = WebDriver::new(
        url.into(),
        js_sys::Array::new().into(),
        false,
        &js_sys::Float64Array::new_with_length(21).fill(f64::NAN, 0, 21),
        hooks,
        emit.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    driver.start();
    (driver, log, emit)
}

/// Waits (up to 5 s) for the `n`-th event of `kind` and returns it.
async fn next(log: &Log, kind: &str, n: usize) -> Emitted {
    for _ in 0..500 {
        if let Some(found) = log.borrow().iter().filter(|e| e.kind == kind).nth(n - 1) {
            return found.clone();
        }
        TimeoutFuture::new(10).await;
    }
    panic!("no '{kind}' event #{n} within 5 s; saw {:?}", log.borrow());
}

#[wasm_bindgen_test]
async fn echoes_a_message_through_a_real_server_then_closes() {
    let url = ECHO_URL.expect("RWS_TEST_ECHO_URL names the echo server scripts/test.sh starts");
    let (driver, log, _emit) = driver(url);
    assert_eq!(driver.ready_state(), 0, "CONNECTING until the socket opens");

    next(&log, "open", 1).await;
    assert_eq!(driver.ready_state(), 1);
    assert_eq!(driver.connection_state(), "open");

    assert_eq!(
        driver.send("hello".into(), 5.0),
        0,
        "OPEN accepts a message"
    );
    let echoed = next(&log, "message", 1).await;
    assert_eq!(echoed.a.as_string().as_deref(), Some("hello"));

    assert_eq!(
        driver.close(Some(1000.0), Some("done".into())),
        0,
        "1000 and a short reason are valid"
    );
    assert_eq!(
        driver.ready_state(),
        2,
        "CLOSING until the handshake completes"
    );
    let closed = next(&log, "close", 1).await;
    assert_eq!(closed.a.as_f64(), Some(1000.0));
    assert_eq!(closed.b.as_string().as_deref(), Some("done"));
    assert_eq!(closed.c.as_bool(), Some(true));
    assert_eq!(driver.ready_state(), 3);

    assert_eq!(
        driver.send("late".into(), 4.0),
        1,
        "a message after a terminal close is refused (InvalidStateError), not dropped silently"
    );
}

#[wasm_bindgen_test]
async fn queues_while_connecting_and_sends_on_open() {
    let url = ECHO_URL.expect("RWS_TEST_ECHO_URL names the echo server scripts/test.sh starts");
    let (driver, log, _emit) = driver(url);
    assert_eq!(driver.send("first".into(), 5.0), 0, "CONNECTING queues");
    assert_eq!(driver.send("second".into(), 6.0), 0, "CONNECTING queues");
    assert_eq!(
        driver.buffered_amount(),
        11.0,
        "queued bytes count in bufferedAmount"
    );

    next(&log, "open", 1).await;
    let first = next(&log, "message", 1).await;
    let second = next(&log, "message", 2).await;
    assert_eq!(first.a.as_string().as_deref(), Some("first"));
    assert_eq!(second.a.as_string().as_deref(), Some("second"));
    assert_eq!(
        driver.close(None, None),
        0,
        "close() without arguments is valid"
    );
    next(&log, "close", 1).await;
}
