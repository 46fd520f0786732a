//! The driver against real browser sockets and a real local server, in every engine.
//!
//! Run by scripts/test.sh with `wasm-bindgen-test-runner` in Chromium, Firefox and WebKit. It starts
//! tests/support/wasm-test-server.js, whose control API gives each test a chaos server of its own
//! (e2e/support/chaos-server.js) and commands its faults; the API's URL reaches the tests at compile
//! time as `RWS_TEST_SERVER`.
//!
//! The driver is constructed as the JS class constructs it (`js/options.js` flattens the options
//! into numbers); its `emit` callback is the test's log. Timing bounds come from the configured
//! delays and deadlines: lower bounds exact (less the clock's truncation, or [`EARLY_MS`] when two
//! of the page's own stamps are compared), upper bounds plus [`TOLERANCE_MS`]. Where engines differ,
//! the test asserts each engine's behaviour, named by [`engine`].
#![cfg(target_arch = "wasm32")]

mod support;

use js_sys::{Array, ArrayBuffer, Function, Uint8Array};
use resilient_websocket::abi::{Attribute, OptionSlot};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh server and a client connected to it.
async fn connected(options: Options) -> (Server, Client) {
    let server = Server::start().await;
    let client = Client::new(&server.url, options);
    client.nth("open", 1).await;
    assert_eq!(client.ready_state(), 1);
    (server, client)
}

/// Closes the client and the server.
async fn finish(server: Server, client: Client) {
    client.finish().await;
    server.dispose().await;
}

/// The kinds of the events after the first `open`, leaving out `error` (whether a socket reports
/// one before its close differs by engine and fault; the tests that care check it).
fn kinds_after_open(client: &Client) -> Vec<&'static str> {
    client
        .after("open", 1)
        .iter()
        .map(|e| e.kind)
        .filter(|k| *k != "error")
        .collect()
}

// ---- open, echo, payload types ----

#[wasm_bindgen_test]
async fn opens_echoes_and_closes_cleanly() {
    let server = Server::start().await;
    let client = Client::new(&server.url, Options::default());
    assert_eq!(client.ready_state(), 0, "CONNECTING until the socket opens");
    assert_eq!(client.connection_state(), "connecting");

    client.nth("open", 1).await;
    assert_eq!(client.ready_state(), 1);
    assert_eq!(client.connection_state(), "open");
    assert_eq!(client.send_text("hello"), 0, "OPEN accepts a message");
    let echoed = client.nth("message", 1).await;
    assert_eq!(echoed.a.str(), "hello");

    assert_eq!(client.driver.close(Some(1000.0), Some("done".into())), 0);
    assert_eq!(client.ready_state(), 2, "CLOSING until the handshake ends");
    let closed = client.nth("close", 1).await;
    assert_eq!(
        (closed.a.num(), closed.b.str(), closed.c.bool()),
        (1000.0, "done", true)
    );
    assert_eq!(client.ready_state(), 3);
    assert_eq!(client.connection_state(), "closed");
    assert_eq!(
        client.kinds(),
        [
            "statechange",
            "open",
            "message",
            "statechange",
            "statechange",
            "close"
        ],
        "connecting→open, open, the echo, open→closing, closing→closed, close"
    );
    assert_eq!(
        client.send_text("late"),
        1,
        "a message after a terminal close is refused (InvalidStateError), not dropped silently"
    );

    let record = server
        .wait("the client's close", TOLERANCE_MS, |r| {
            r.connections.first().is_some_and(|c| !c.open)
        })
        .await;
    let connection = &record.connections[0];
    assert_eq!(connection.close_code, Some(1000));
    assert_eq!(connection.close_reason.as_deref(), Some("done"));
    assert_eq!(connection.closed_by.as_deref(), Some("client"));
    assert_eq!(record.messages(), ["hello"]);
    server.dispose().await;
}

#[wasm_bindgen_test]
async fn text_travels_both_ways_unchanged() {
    let (server, client) = connected(Options::default()).await;
    let long = "x".repeat(70_000);
    let texts = ["plain", "", "héllo wörld ✓ 🚀", long.as_str()];
    for text in texts {
        assert_eq!(client.send_text(text), 0);
    }
    for (i, text) in texts.iter().enumerate() {
        let echoed = client.nth("message", i + 1).await;
        assert_eq!(echoed.a.str(), *text, "echo #{}", i + 1);
    }
    let record = server.record().await;
    assert_eq!(
        record.messages(),
        texts,
        "the server received each text as sent"
    );
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn array_buffers_travel_both_ways_with_binary_type_arraybuffer() {
    let (server, client) = connected(Options::default()).await;
    client.driver.set_binary_type("arraybuffer".into());
    assert_eq!(
        client.driver.attribute(Attribute::BinaryType as u8),
        "arraybuffer"
    );
    let bytes = [0u8, 1, 2, 127, 128, 255];
    assert_eq!(
        client
            .driver
            .send(array_buffer(&bytes).into(), bytes.len() as f64),
        0
    );
    let echoed = client.nth("message", 1).await;
    let data = echoed.a.js();
    assert!(
        data.is_instance_of::<ArrayBuffer>(),
        "binaryType 'arraybuffer' delivers an ArrayBuffer: {data:?}"
    );
    assert_eq!(hex_of(data), "0001027f80ff");
    assert_eq!(server.record().await.messages(), ["hex:0001027f80ff"]);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn blobs_travel_both_ways_with_binary_type_blob() {
    let (server, client) = connected(Options::default()).await;
    assert_eq!(
        client.driver.attribute(Attribute::BinaryType as u8),
        "blob",
        "the default, as natively"
    );
    let parts = Array::of1(&Uint8Array::from(&[9u8, 8, 7, 0, 255][..]));
    let blob = Blob::new_with_u8_array_sequence(&parts).expect("a Blob");
    assert_eq!(client.driver.send(blob.clone().into(), blob.size()), 0);
    let echoed = client.nth("message", 1).await;
    let data = echoed.a.js();
    let received: &Blob = data
        .dyn_ref()
        .unwrap_or_else(|| panic!("binaryType 'blob' delivers a Blob: {data:?}"));
    assert_eq!(blob_hex(received).await, "09080700ff");
    assert_eq!(server.record().await.messages(), ["hex:09080700ff"]);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn a_typed_array_view_sends_only_its_bytes() {
    let (server, client) = connected(Options::default()).await;
    client.driver.set_binary_type("arraybuffer".into());
    let whole = Uint8Array::from(&[1u8, 2, 3, 4, 5, 6][..]);
    let view = whole.subarray(2, 5);
    assert_eq!(client.driver.send(view.into(), 3.0), 0);
    let echoed = client.nth("message", 1).await;
    assert_eq!(hex_of(echoed.a.js()), "030405");
    assert_eq!(server.record().await.messages(), ["hex:030405"]);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn binary_type_applies_to_the_live_socket_and_to_every_later_one() {
    let (server, client) = connected(Options::default().delays(50.0, 50.0)).await;
    let send_bytes = |byte: u8| client.driver.send(array_buffer(&[byte]).into(), 1.0);

    client.driver.set_binary_type("arraybuffer".into());
    client.driver.set_binary_type("text".into());
    assert_eq!(
        client.driver.attribute(Attribute::BinaryType as u8),
        "arraybuffer",
        "other values are ignored, as natively"
    );
    assert_eq!(send_bytes(1), 0);
    assert!(client
        .nth("message", 1)
        .await
        .a
        .js()
        .is_instance_of::<ArrayBuffer>());

    server.fault("terminate", "{}").await;
    client.nth("open", 2).await;
    assert_eq!(send_bytes(2), 0);
    let after_reconnect = client.nth("message", 2).await;
    assert!(
        after_reconnect.a.js().is_instance_of::<ArrayBuffer>(),
        "the new socket got the binaryType set before: {:?}",
        after_reconnect.a
    );
    assert_eq!(hex_of(after_reconnect.a.js()), "02");

    client.driver.set_binary_type("blob".into());
    assert_eq!(send_bytes(3), 0);
    let as_blob = client.nth("message", 3).await;
    let blob: &Blob = as_blob.a.js().dyn_ref().expect("a Blob again");
    assert_eq!(blob_hex(blob).await, "03");
    finish(server, client).await;
}

// ---- the queue ----

#[wasm_bindgen_test]
async fn queues_while_connecting_and_sends_on_open() {
    let server = Server::start().await;
    let client = Client::new(&server.url, Options::default());
    assert_eq!(client.send_text("first"), 0, "CONNECTING queues");
    assert_eq!(client.send_text("second"), 0, "CONNECTING queues");
    assert_eq!(
        client.driver.buffered_amount(),
        11.0,
        "queued bytes count in bufferedAmount"
    );
    client.nth("open", 1).await;
    assert_eq!(client.nth("message", 1).await.a.str(), "first");
    assert_eq!(client.nth("message", 2).await.a.str(), "second");
    assert_eq!(client.driver.buffered_amount(), 0.0);
    let record = server.record().await;
    assert_eq!(record.messages(), ["first", "second"]);
    assert!(record.received.iter().all(|m| m.connection == 1));
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn messages_sent_while_the_server_is_down_are_replayed_in_order_once() {
    let (server, client) = connected(Options::default().delays(100.0, 100.0)).await;
    assert_eq!(client.send_text("before"), 0);
    client.nth("message", 1).await;

    // Down until the test says so: the messages are surely sent while it is.
    server.fault("stop", "{}").await;
    client.nth("close", 1).await;
    assert_eq!(client.ready_state(), 0, "CONNECTING while reconnecting");
    for text in ["a", "b", "c"] {
        assert_eq!(client.send_text(text), 0, "queued while reconnecting");
    }
    assert_eq!(client.driver.buffered_amount(), 3.0);
    client.nth_within("close", 2, 100.0 + TOLERANCE_MS).await;
    server.fault("start", "{}").await;
    client.nth_within("open", 2, 100.0 + TOLERANCE_MS).await;
    for (i, text) in ["a", "b", "c"].iter().enumerate() {
        assert_eq!(client.nth("message", i + 2).await.a.str(), *text);
    }
    let record = server.record().await;
    assert_eq!(
        record.messages(),
        ["before", "a", "b", "c"],
        "each once, in order"
    );
    assert!(
        record.received[1..].iter().all(|m| m.connection == 2),
        "replayed on the new connection: {record:?}"
    );
    assert_eq!(client.driver.buffered_amount(), 0.0);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn a_user_close_drops_the_queue_with_drop_events() {
    let server = Server::start().await;
    server.fault("refuse", "{}").await;
    let client = Client::new(&server.url, Options::default().delays(5000.0, 5000.0));
    assert_eq!(client.send_text("one"), 0);
    assert_eq!(client.send_text("two"), 0);
    client.nth("close", 1).await;
    assert_eq!(client.driver.close(None, None), 0);
    assert_eq!(
        client.ready_state(),
        3,
        "no socket to wait for: CLOSED at once"
    );
    let drops = client.all("drop");
    assert_eq!(drops.len(), 2, "{:?}", client.kinds());
    assert_eq!((drops[0].a.str(), drops[0].b.str()), ("one", "closed"));
    assert_eq!((drops[1].a.str(), drops[1].b.str()), ("two", "closed"));
    server.dispose().await;
}

// ---- reconnecting ----

#[wasm_bindgen_test]
async fn reconnects_after_a_server_drop_with_a_new_generation() {
    let server = Server::start().await;
    let client = Client::new(
        &server.url,
        Options::default().delays(100.0, 100.0).provider(),
    );
    let first = client.nth("provide", 1).await;
    assert_eq!(first.b.num(), 0.0, "ctx.attempt of the first attempt");
    assert!(
        matches!(first.c, Arg::Null),
        "no lastClose yet: {:?}",
        first.c
    );
    client.nth("open", 1).await;

    server.fault("terminate", "{}").await;
    let close = client.nth("close", 1).await;
    assert_eq!((close.a.num(), close.c.bool()), (1006.0, false));
    let reconnecting = client.nth("reconnecting", 1).await;
    assert_eq!((reconnecting.a.num(), reconnecting.b.num()), (1.0, 100.0));
    let second = client.nth("provide", 2).await;
    assert!(
        second.a.num() > first.a.num(),
        "a new generation: {} after {}",
        second.a.num(),
        first.a.num()
    );
    assert_eq!(second.b.num(), 0.0, "ctx.attempt counts from the last open");
    assert_eq!(
        field(second.c.js(), "code").as_f64(),
        Some(1006.0),
        "ctx.lastClose"
    );
    assert!(second.at - close.at >= 100.0 - EARLY_MS);
    client.nth("open", 2).await;
    assert_eq!(client.connection_state(), "open");

    let record = server.record().await;
    assert_eq!(record.connections.len(), 2);
    assert_eq!(
        record.connections[0].closed_by.as_deref(),
        Some("server-terminate")
    );
    assert!(record.connections[1].open);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn refused_handshakes_are_retried_until_one_is_accepted() {
    let server = Server::start().await;
    server.fault("refuse", r#"{"n":2,"status":503}"#).await;
    let client = Client::new(&server.url, Options::default().delays(100.0, 100.0));
    client.nth_within("open", 1, 200.0 + TOLERANCE_MS).await;
    let closes = client.all("close");
    assert_eq!(closes.len(), 2, "{:?}", client.kinds());
    for close in &closes {
        assert_eq!((close.a.num(), close.c.bool()), (1006.0, false));
    }
    assert_eq!(
        client.count("error"),
        2,
        "each failed handshake reports an error"
    );
    let attempts: Vec<f64> = client
        .all("reconnecting")
        .iter()
        .map(|e| e.a.num())
        .collect();
    assert_eq!(attempts, [1.0, 2.0]);
    assert_eq!(
        client
            .all("statechange")
            .iter()
            .map(|e| e.b.str().to_owned())
            .collect::<Vec<_>>(),
        ["reconnecting", "open"],
        "connecting→reconnecting after the first failure, then →open"
    );
    let record = server.record().await;
    assert_eq!(
        record
            .attempts
            .iter()
            .map(|a| a.outcome.as_str())
            .collect::<Vec<_>>(),
        ["refused", "refused", "accepted"]
    );
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn after_a_refusal_firefox_holds_back_the_next_handshake_itself() {
    // Firefox delays a handshake to a host whose last one failed (RFC 6455 §7.2.3; its pref
    // network.websocket.delay-failed-reconnects): 200–400 ms after the first failure, then 1.5
    // times longer each, up to 60 s. The driver's attempt has started (CONNECTING, connectTimeout
    // running), but the browser sends nothing meanwhile. Chromium and WebKit try at once.
    const DELAY: f64 = 50.0;
    let server = Server::start().await;
    server.fault("refuse", r#"{"n":4}"#).await;
    let client = Client::new(
        &server.url,
        Options::default().delays(DELAY, DELAY).provider(),
    );
    // Firefox's hold-backs after 4 failures: at most 400 × (1 + 1.5 + 1.5² + 1.5³) = 3250 ms.
    client
        .nth_within("open", 1, 5.0 * DELAY + 3250.0 + TOLERANCE_MS)
        .await;
    let attempts = client.all("provide");
    let closes = client.all("close");
    assert_eq!(
        (attempts.len(), closes.len()),
        (5, 4),
        "{:?}",
        client.kinds()
    );
    let holds: Vec<f64> = attempts
        .iter()
        .zip(&closes)
        .map(|(attempt, close)| close.at - attempt.at)
        .collect();
    if engine() == Engine::Firefox {
        for (i, held) in holds.iter().enumerate().skip(1) {
            assert!(
                *held >= 200.0 - EARLY_MS,
                "refused attempt {} failed {held} ms after it started: Firefox's hold-back is at \
                 least 200 ms ({holds:?})",
                i + 1
            );
        }
    }
    let record = server.record().await;
    assert_eq!(
        record.attempts_that("refused"),
        4,
        "every attempt reached the server"
    );
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn reconnects_once_the_server_listens_again() {
    let (server, client) = connected(Options::default().delays(100.0, 100.0)).await;
    server.fault("stop", "{}").await;
    // Every attempt while nobody listens fails (connection refused by the OS).
    client.nth_within("close", 3, 300.0 + TOLERANCE_MS).await;
    assert_eq!(client.count("open"), 1);
    assert_eq!(client.connection_state(), "reconnecting");
    server.fault("start", "{}").await;
    client.nth_within("open", 2, 100.0 + TOLERANCE_MS).await;
    assert_eq!(server.record().await.connections.len(), 2);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn max_retries_gives_up_and_drops_the_queue() {
    let server = Server::start().await;
    server.fault("refuse", "{}").await;
    let options = Options::default()
        .delays(50.0, 50.0)
        .set(OptionSlot::MaxRetries, 2.0);
    let client = Client::new(&server.url, options);
    assert_eq!(client.send_text("queued"), 0);
    client.nth_within("giveup", 1, 100.0 + TOLERANCE_MS).await;
    assert_eq!(client.count("close"), 3, "the first attempt and 2 retries");
    assert_eq!(client.count("reconnecting"), 2);
    assert_eq!(client.ready_state(), 3);
    assert_eq!(client.connection_state(), "closed");
    let drops = client.all("drop");
    assert_eq!(drops.len(), 1);
    assert_eq!((drops[0].a.str(), drops[0].b.str()), ("queued", "giveup"));
    sleep(50 + 500).await;
    assert_eq!(
        server.record().await.attempts_that("refused"),
        3,
        "nothing after giveup"
    );
    server.dispose().await;
}

#[wasm_bindgen_test]
async fn reconnect_connects_now_and_the_old_socket_is_closed() {
    let (server, client) = connected(Options::default().delays(5000.0, 5000.0)).await;
    assert_eq!(
        client.driver.reconnect(Some(4321.0), Some("again".into())),
        0
    );
    let close = client.nth("close", 1).await;
    assert_eq!(close.a.num(), 4321.0);
    client.nth_within("open", 2, TOLERANCE_MS).await;
    assert_eq!(client.count("reconnecting"), 0, "no backoff wait: at once");
    let record = server
        .wait("the old connection closed", TOLERANCE_MS, |r| {
            r.connections.first().is_some_and(|c| !c.open)
        })
        .await;
    assert_eq!(record.connections[0].close_code, Some(4321));
    assert_eq!(record.connections[0].close_reason.as_deref(), Some("again"));
    finish(server, client).await;
}

// ---- heartbeat ----

#[wasm_bindgen_test]
async fn heartbeat_round_trips_report_their_rtt_and_pongs_stay_hidden() {
    let (server, client) = connected(Options::default().heartbeat(200.0, 1000.0)).await;
    let second = client
        .nth_within("heartbeat", 2, 2.0 * 200.0 + TOLERANCE_MS)
        .await;
    let rtt = second.a.num();
    assert!(
        (0.0..1000.0).contains(&rtt),
        "rtt {rtt} ms within the timeout"
    );
    assert_eq!(client.count("message"), 0, "a pong is no message event");
    assert!(server.record().await.pings() >= 2);
    assert_eq!(client.send_text("data"), 0);
    assert_eq!(client.nth("message", 1).await.a.str(), "data");
    assert_eq!(client.count("close"), 0);
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn heartbeat_timeout_closes_with_4000_when_the_server_goes_silent() {
    const INTERVAL: f64 = 300.0;
    const TIMEOUT: f64 = 300.0;
    let options = Options::default()
        .heartbeat(INTERVAL, TIMEOUT)
        .delays(100.0, 100.0);
    let (server, client) = connected(options).await;
    let opened = client.nth("open", 1).await;
    server.fault("silence", "{}").await;
    let silenced = now();

    let close = client
        .nth_within("close", 1, INTERVAL + TIMEOUT + TOLERANCE_MS)
        .await;
    assert_eq!(
        (close.a.num(), close.b.str(), close.c.bool()),
        (4000.0, "heartbeat timeout", false)
    );
    assert!(
        close.at >= opened.at + INTERVAL + TIMEOUT - EARLY_MS,
        "no earlier than a ping after the open plus its timeout"
    );
    assert!(close.at <= silenced + INTERVAL + TIMEOUT + TOLERANCE_MS);
    assert_eq!(
        client.count("error"),
        0,
        "the client's own close reports no error"
    );
    assert_eq!(client.nth("reconnecting", 1).await.b.num(), 100.0);
    client.nth("open", 2).await;
    let record = server.record().await;
    assert!(record.connections[0].silent);
    assert!(record.connections[1].open);
    finish(server, client).await;
}

// ---- the close-code policy ----

/// The server closes with a terminal `code`: the close event, then giveup, readyState CLOSED, and
/// no further attempt.
async fn gives_up_on(code: u16, reason: &str) {
    const DELAY: f64 = 100.0;
    let (server, client) = connected(Options::default().delays(DELAY, DELAY)).await;
    server.close(code, reason).await;
    let close = client.nth("close", 1).await;
    assert_eq!(
        (close.a.num(), close.b.str(), close.c.bool()),
        (f64::from(code), reason, true),
        "close {code}"
    );
    client.nth("giveup", 1).await;
    assert_eq!(client.ready_state(), 3, "CLOSED after {code}");
    assert_eq!(client.connection_state(), "closed");
    assert_eq!(
        kinds_after_open(&client),
        ["statechange", "close", "giveup"],
        "after {code}"
    );
    assert_eq!(client.count("error"), 0, "a clean close reports no error");
    // A retry would have started after DELAY.
    sleep((DELAY + 500.0) as u32).await;
    assert_eq!(client.count("reconnecting"), 0);
    assert_eq!(
        server.record().await.attempts.len(),
        1,
        "no attempt after {code}"
    );
    assert_eq!(
        client.send_text("late"),
        1,
        "InvalidStateError after giveup"
    );
    server.dispose().await;
}

#[wasm_bindgen_test]
async fn close_1002_protocol_error_is_terminal() {
    gives_up_on(1002, "protocol error").await;
}

#[wasm_bindgen_test]
async fn close_1008_policy_violation_is_terminal() {
    gives_up_on(1008, "not allowed").await;
}

#[wasm_bindgen_test]
async fn close_3500_is_terminal() {
    gives_up_on(3500, "").await;
}

#[wasm_bindgen_test]
async fn close_4500_is_terminal() {
    gives_up_on(4500, "banned").await;
}

#[wasm_bindgen_test]
async fn the_other_terminal_codes_give_up_too() {
    for code in [1003, 1007, 1009, 3999, 4999] {
        gives_up_on(code, "terminal").await;
    }
}

#[wasm_bindgen_test]
async fn a_retry_after_hint_does_not_override_a_terminal_code() {
    gives_up_on(1008, r#"{"retryAfterMs":100}"#).await;
}

/// What the page sees of a close frame of `code` and `reason` from the server: the close event's
/// code, reason and `wasClean`, and whether an `error` event came first.
///
/// WebKitGTK (its libsoup WebSocket) does not accept the codes RFC 6455's registry added later,
/// 1012 (service restart), 1013 (try again later) and 1014 (bad gateway): it answers them with
/// 1002 (protocol error), fires `error` and reports 1006, not clean. The code, the reason and
/// with them the policy's extra wait and a `retryAfterMs` hint never reach the page; the driver
/// can only treat it as the drop it looks like.
fn as_seen(code: u16, reason: &str) -> (u16, String, bool, bool) {
    if engine() == Engine::WebKit && matches!(code, 1012..=1014) {
        (1006, String::new(), false, true)
    } else {
        (code, reason.to_owned(), true, false)
    }
}

/// The server ends the connection (`code`, or a TCP drop for `None`): the close event, then a
/// reconnect after exactly `delay` (jitter off), measured from the close to the next attempt.
async fn reconnects_after(code: Option<u16>, reason: &str, options: Options, delay: f64) {
    let server = Server::start().await;
    let client = Client::new(&server.url, options.provider());
    client.nth("open", 1).await;
    let (seen_code, seen_reason, clean, error) = match code {
        Some(code) => {
            server.close(code, reason).await;
            as_seen(code, reason)
        }
        None => {
            server.fault("terminate", "{}").await;
            // No engine reports an error for a drop of an open socket.
            (1006, String::new(), false, false)
        }
    };
    let close = client.nth("close", 1).await;
    assert_eq!(
        (close.a.num(), close.b.str(), close.c.bool()),
        (f64::from(seen_code), seen_reason.as_str(), clean),
        "the close event of {code:?} {reason:?} in {:?}",
        engine()
    );
    assert_eq!(
        client.count("error"),
        usize::from(error),
        "{:?}",
        client.kinds()
    );
    let reconnecting = client.nth("reconnecting", 1).await;
    assert_eq!(
        (reconnecting.a.num(), reconnecting.b.num()),
        (1.0, delay),
        "attempt 1 after {delay} ms"
    );
    let attempt = client.nth_within("provide", 2, delay + TOLERANCE_MS).await;
    let waited = attempt.at - close.at;
    assert!(
        waited >= delay - EARLY_MS && waited <= delay + TOLERANCE_MS,
        "the next attempt {waited} ms after the close, {delay} ms expected"
    );
    client.nth("open", 2).await;
    assert_eq!(
        kinds_after_open(&client),
        [
            "statechange",
            "close",
            "reconnecting",
            "provide",
            "statechange",
            "open"
        ],
        "open→reconnecting, close, reconnecting, the attempt, reconnecting→open, open"
    );
    assert_eq!(client.count("giveup"), 0);
    if let Some(code) = code {
        // The client answers the close frame with the same code, except where it refused it.
        let record = server.record().await;
        let answered = if error { 1002 } else { code };
        assert_eq!(record.connections[0].close_code, Some(answered));
    }
    finish(server, client).await;
}

/// The backoff draws exactly 200 ms; 5 × minDelay is 1000 ms.
fn exact_delays() -> Options {
    Options::default().delays(200.0, 2000.0)
}

/// The delay after a close frame of `code` with `exact_delays()`: 200 ms, plus 5 × minDelay after
/// 1012 and 1013, unless the engine turned the frame into a drop (see [`as_seen`]).
fn delay_after(code: u16) -> f64 {
    match as_seen(code, "").0 {
        1012 | 1013 => 200.0 + 1000.0,
        _ => 200.0,
    }
}

#[wasm_bindgen_test]
async fn close_1000_from_the_server_reconnects() {
    reconnects_after(Some(1000), "bye", exact_delays(), 200.0).await;
}

#[wasm_bindgen_test]
async fn close_1001_going_away_reconnects() {
    reconnects_after(Some(1001), "going away", exact_delays(), 200.0).await;
}

#[wasm_bindgen_test]
async fn a_drop_without_close_frame_is_1006_and_reconnects() {
    reconnects_after(None, "", exact_delays(), 200.0).await;
}

#[wasm_bindgen_test]
async fn close_1011_1014_and_private_codes_outside_the_terminal_ranges_reconnect() {
    for code in [1011, 1014, 3000, 4000, 4499] {
        reconnects_after(Some(code), "", exact_delays(), 200.0).await;
    }
}

#[wasm_bindgen_test]
async fn close_1012_service_restart_waits_five_min_delays_longer() {
    let delay = delay_after(1012);
    reconnects_after(Some(1012), "restarting", exact_delays(), delay).await;
}

#[wasm_bindgen_test]
async fn close_1013_try_again_later_waits_five_min_delays_longer() {
    reconnects_after(Some(1013), "", exact_delays(), delay_after(1013)).await;
}

#[wasm_bindgen_test]
async fn a_retry_after_hint_sets_the_delay() {
    reconnects_after(Some(4001), r#"{"retryAfterMs":700}"#, exact_delays(), 700.0).await;
}

#[wasm_bindgen_test]
async fn a_retry_after_hint_is_capped_by_max_delay() {
    let options = Options::default().delays(200.0, 900.0);
    reconnects_after(Some(1000), r#"{"retryAfterMs": 60000}"#, options, 900.0).await;
}

#[wasm_bindgen_test]
async fn a_retry_after_hint_replaces_the_1012_wait() {
    // In WebKitGTK neither the code nor the hint arrives: the plain backoff applies.
    let delay = if as_seen(1012, "").0 == 1012 {
        300.0
    } else {
        200.0
    };
    reconnects_after(Some(1012), r#"{"retryAfterMs":300}"#, exact_delays(), delay).await;
}

#[wasm_bindgen_test]
async fn should_reconnect_sees_the_close_event_and_overrides_the_policy() {
    // `true` for the terminal 1008, with the browser's own CloseEvent as its argument.
    let hook = Function::new_with_args(
        "event",
        "return event instanceof CloseEvent && event.code === 1008 && event.reason === 'x'",
    );
    let options = Options::default()
        .delays(100.0, 100.0)
        .should_reconnect(hook);
    let (server, client) = connected(options).await;
    server.close(1008, "x").await;
    assert_eq!(client.nth("close", 1).await.a.num(), 1008.0);
    assert_eq!(client.nth("reconnecting", 1).await.b.num(), 100.0);
    client.nth("open", 2).await;
    assert_eq!(client.count("giveup"), 0);
    finish(server, client).await;
}

// ---- connect timeout ----

#[wasm_bindgen_test]
async fn a_stalled_handshake_is_abandoned_after_connect_timeout() {
    // Above what an accepted handshake takes on a loaded machine, Firefox's hold-back after the
    // abandoned one included (see after_a_refusal_firefox_holds_back_the_next_handshake_itself).
    const CONNECT_TIMEOUT: f64 = 2000.0;
    let server = Server::start().await;
    server.fault("stall", r#"{"n":1}"#).await;
    let options = Options::default()
        .delays(100.0, 100.0)
        .set(OptionSlot::ConnectTimeout, CONNECT_TIMEOUT);
    let started = now();
    let client = Client::new(&server.url, options);
    let close = client
        .nth_within("close", 1, CONNECT_TIMEOUT + TOLERANCE_MS)
        .await;
    assert_eq!(
        (close.a.num(), close.b.str(), close.c.bool()),
        (1006.0, "connect timeout", false)
    );
    // The core's clock counts whole milliseconds, truncated.
    assert!(
        close.at >= started + CONNECT_TIMEOUT - 1.0,
        "not before connectTimeout"
    );
    assert!(close.at <= started + CONNECT_TIMEOUT + TOLERANCE_MS);
    assert_eq!(
        client.kinds()[..3],
        ["error", "statechange", "close"],
        "error, connecting→reconnecting, close (as a failed handshake natively)"
    );
    assert_eq!(client.nth("reconnecting", 1).await.b.num(), 100.0);
    client.nth("open", 1).await;
    let record = if engine() == Engine::Firefox {
        // Firefox fails the socket (error, close) but leaves its TCP connection open: still open
        // a minute later, on the server's side of the stalled handshake.
        sleep(TOLERANCE_MS as u32).await;
        let record = server.record().await;
        assert!(
            !record.attempts[0].peer_closed,
            "Firefox now closes an abandoned handshake's connection: update this test"
        );
        record
    } else {
        server
            .wait(
                "the stalled TCP connection closed by the client",
                TOLERANCE_MS,
                |r| r.attempts.first().is_some_and(|a| a.peer_closed),
            )
            .await
    };
    assert_eq!(
        record
            .attempts
            .iter()
            .map(|a| a.outcome.as_str())
            .collect::<Vec<_>>(),
        ["stalled", "accepted"]
    );
    finish(server, client).await;
}

// ---- network and page lifecycle events ----

#[wasm_bindgen_test]
async fn offline_holds_the_reconnect_until_online() {
    const DELAY: f64 = 300.0;
    let (server, client) = connected(Options::default().delays(DELAY, DELAY)).await;
    dispatch_on_window("offline");
    assert_eq!(client.connection_state(), "open", "an open socket is kept");

    server.fault("terminate", "{}").await;
    client.nth("close", 1).await;
    assert_eq!(client.connection_state(), "offline");
    assert_eq!(
        client.count("reconnecting"),
        0,
        "nothing is scheduled while offline"
    );
    sleep((3.0 * DELAY) as u32).await;
    assert_eq!(
        server.record().await.attempts.len(),
        1,
        "no attempt while offline"
    );

    let online = now();
    dispatch_on_window("online");
    // Within 0..=min(ONLINE_JITTER, maxDelay) ms.
    let open = client.nth_within("open", 2, DELAY + TOLERANCE_MS).await;
    assert!(open.at - online <= DELAY + TOLERANCE_MS);
    assert_eq!(client.connection_state(), "open");
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn offline_during_the_backoff_wait_suspends_the_retry() {
    const DELAY: f64 = 3000.0;
    let (server, client) = connected(Options::default().delays(DELAY, DELAY)).await;
    server.fault("terminate", "{}").await;
    let reconnecting = client.nth("reconnecting", 1).await;
    assert_eq!(reconnecting.b.num(), DELAY);
    dispatch_on_window("offline");
    assert!(
        now() < reconnecting.at + DELAY,
        "offline dispatched during the wait (the test itself was too slow otherwise)"
    );
    assert_eq!(client.connection_state(), "offline");
    let last = client.all("statechange").pop().expect("a state change");
    assert_eq!((last.a.str(), last.b.str()), ("reconnecting", "offline"));
    sleep((DELAY + 500.0) as u32).await;
    assert_eq!(
        server.record().await.attempts.len(),
        1,
        "the retry was suspended"
    );
    dispatch_on_window("online");
    // ONLINE_JITTER is 1000 ms.
    client.nth_within("open", 2, 1000.0 + TOLERANCE_MS).await;
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn offline_probes_the_open_socket_and_a_silent_server_is_closed_4000() {
    // A heartbeat that would not ping for a minute: only the probe can notice.
    const TIMEOUT: f64 = 800.0;
    let options = Options::default()
        .heartbeat(60_000.0, TIMEOUT)
        .delays(100.0, 100.0);
    let (server, client) = connected(options).await;
    server.fault("silence", "{}").await;
    let offline = now();
    dispatch_on_window("offline");
    let close = client.nth_within("close", 1, TIMEOUT + TOLERANCE_MS).await;
    assert_eq!(
        (close.a.num(), close.b.str()),
        (4000.0, "heartbeat timeout")
    );
    // The probe's deadline is min(timeout, 3000 ms) after the offline event.
    assert!(close.at >= offline + TIMEOUT - 1.0);
    assert!(close.at <= offline + TIMEOUT + TOLERANCE_MS);
    assert_eq!(
        client.connection_state(),
        "offline",
        "no retry while offline"
    );
    assert_eq!(client.count("reconnecting"), 0);
    dispatch_on_window("online");
    client.nth_within("open", 2, 100.0 + TOLERANCE_MS).await;
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn online_probes_the_open_socket_and_an_answer_keeps_it() {
    const TIMEOUT: f64 = 800.0;
    let (server, client) = connected(Options::default().heartbeat(60_000.0, TIMEOUT)).await;
    dispatch_on_window("online");
    let heartbeat = client.nth_within("heartbeat", 1, TOLERANCE_MS).await;
    assert!(heartbeat.a.num() < TIMEOUT);
    assert_eq!(server.record().await.pings(), 1, "one probe");
    sleep((TIMEOUT + 200.0) as u32).await;
    assert_eq!(client.count("close"), 0);
    assert_eq!(client.connection_state(), "open");
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn network_false_ignores_offline() {
    let options = Options::default()
        .delays(100.0, 100.0)
        .set(OptionSlot::Network, 0.0);
    let (server, client) = connected(options).await;
    dispatch_on_window("offline");
    server.fault("terminate", "{}").await;
    client.nth("close", 1).await;
    assert_eq!(client.connection_state(), "reconnecting");
    client.nth("open", 2).await;
    dispatch_on_window("online");
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn a_pong_deadline_missed_while_hidden_is_reprobed_when_visible() {
    const INTERVAL: f64 = 300.0;
    const TIMEOUT: f64 = 300.0;
    let options = Options::default()
        .heartbeat(INTERVAL, TIMEOUT)
        .delays(100.0, 100.0);
    let (server, client) = connected(options).await;
    // The server keeps reading (it records the pings) but stops answering them.
    server.fault("pings", r#"{"answer":false}"#).await;
    set_document_hidden(true);
    dispatch_on_document("visibilitychange");

    server
        .wait("a ping", INTERVAL + TOLERANCE_MS, |r| r.pings() >= 1)
        .await;
    let pinged = now();
    // Let the pong deadline pass, and more, while hidden: a throttled background tab must not be
    // declared dead on a deadline it could not keep.
    sleep((TIMEOUT + 700.0) as u32).await;
    assert!(now() >= pinged + TIMEOUT);
    assert_eq!(client.count("close"), 0, "no close while hidden");
    assert_eq!(client.connection_state(), "open");

    set_document_hidden(false);
    let visible = now();
    dispatch_on_document("visibilitychange");
    clear_page_overrides();
    let close = client.nth_within("close", 1, TIMEOUT + TOLERANCE_MS).await;
    assert_eq!(close.a.num(), 4000.0);
    assert!(
        close.at >= visible + TIMEOUT - 1.0,
        "a fresh ping with the full timeout first, not a close on the spot"
    );
    let record = server.record().await;
    assert!(record.pings() >= 2, "the re-probe was sent: {record:?}");
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn pagehide_closes_1001_and_a_persisted_pageshow_reconnects() {
    const DELAY: f64 = 100.0;
    let (server, client) = connected(Options::default().delays(DELAY, DELAY)).await;
    dispatch_on_window("pagehide");
    let close = client.nth("close", 1).await;
    assert_eq!(
        (close.a.num(), close.b.str(), close.c.bool()),
        (1001.0, "page hidden", true)
    );
    assert_eq!(
        client.ready_state(),
        0,
        "not terminal: the page may come back"
    );
    let record = server
        .wait("the client's close", TOLERANCE_MS, |r| {
            !r.connections[0].open
        })
        .await;
    assert_eq!(
        record.connections[0].close_code,
        Some(1000),
        "on the wire 1000: close() refuses 1001"
    );
    assert_eq!(
        record.connections[0].close_reason.as_deref(),
        Some("page hidden")
    );

    sleep((DELAY + 500.0) as u32).await;
    assert_eq!(client.count("open"), 1, "no reconnect while hidden");
    // A pageshow that is not a restore from the back/forward cache changes nothing.
    dispatch_on_window("pageshow");
    sleep((DELAY + 300.0) as u32).await;
    assert_eq!(client.count("open"), 1);

    let init = web_sys::PageTransitionEventInit::new();
    init.set_persisted(true);
    let pageshow = web_sys::PageTransitionEvent::new_with_event_init_dict("pageshow", &init)
        .expect("PageTransitionEvent is constructible");
    web_sys::window()
        .expect("a window")
        .dispatch_event(&pageshow)
        .expect("dispatched");
    client.nth_within("open", 2, TOLERANCE_MS).await;
    let reconnecting = client.nth("reconnecting", 1).await;
    assert_eq!(
        (reconnecting.a.num(), reconnecting.b.num()),
        (1.0, 0.0),
        "at once, no backoff"
    );
    finish(server, client).await;
}

#[wasm_bindgen_test]
async fn freeze_closes_and_resume_reconnects() {
    let (server, client) = connected(Options::default().delays(100.0, 100.0)).await;
    dispatch_on_document("freeze");
    let close = client.nth("close", 1).await;
    assert_eq!((close.a.num(), close.b.str()), (1001.0, "page hidden"));
    sleep(600).await;
    assert_eq!(client.count("open"), 1, "no reconnect while frozen");
    dispatch_on_document("resume");
    client.nth_within("open", 2, TOLERANCE_MS).await;
    assert_eq!(client.nth("reconnecting", 1).await.b.num(), 0.0, "at once");
    finish(server, client).await;
}

// ---- resources ----

#[wasm_bindgen_test]
async fn no_closure_or_js_value_is_leaked_across_200_reconnects() {
    const WARM_UP: usize = 20;
    const CYCLES: usize = 200;
    let server = Server::start().await;
    sleep(1).await;
    let before = wasm_bindgen::externref_heap_live_count();
    // Every option that registers something: heartbeat (the timer), network and pageLifecycle
    // (window and document listeners, by default).
    let options = Options::default()
        .delays(0.0, 0.0)
        .heartbeat(60_000.0, 10_000.0);
    let client = Client::new(&server.url, options);
    let memory = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<ArrayBuffer>()
            .byte_length()
    };
    let mut warm = (0, 0);
    for cycle in 0..=WARM_UP + CYCLES {
        client.nth("open", 1).await;
        client.log.borrow_mut().clear();
        if cycle == WARM_UP {
            warm = (wasm_bindgen::externref_heap_live_count(), memory());
        }
        if cycle == WARM_UP + CYCLES {
            break;
        }
        // Every kind of loss: close frames, a TCP drop, the user's reconnect(). Drops are the
        // fewest: Firefox holds back the handshake after each by 200–400 ms of its own.
        match cycle % 4 {
            0 => server.close(1001, "").await,
            1 => server.close(4001, "").await,
            2 => assert_eq!(client.driver.reconnect(None, None), 0),
            _ => server.fault("terminate", "{}").await,
        }
    }
    let after = (wasm_bindgen::externref_heap_live_count(), memory());
    assert_eq!(
        after.0,
        warm.0,
        "JS values the wasm module holds, after {WARM_UP} and after {} reconnects",
        WARM_UP + CYCLES
    );
    assert_eq!(after.1, warm.1, "wasm memory did not grow");
    let record = server.record().await;
    assert_eq!(record.connections.len(), WARM_UP + CYCLES + 1);
    assert_eq!(record.connections.iter().filter(|c| c.open).count(), 1);

    client.finish().await;
    drop(client);
    assert_eq!(
        wasm_bindgen::externref_heap_live_count(),
        before,
        "a closed and dropped driver holds nothing"
    );
    server.dispose().await;
}
