//! The Rust face (`resilient_websocket::ResilientWebSocket`, the `rust-face` feature) against real
//! browser sockets and a real local server.
//!
//! Run with `wasm-pack test --headless --chrome -- --test rust_face --features rust-face`, with
//! tests/support/wasm-test-server.js running and its URL in `RWS_TEST_SERVER` at compile time (as
//! for tests/web_driver.rs, whose server harness this shares). Only the public API is used: what a
//! Rust app sees. Timing bounds as in tests/web_driver.rs: configured delays, plus
//! [`TOLERANCE_MS`] for upper bounds.
#![cfg(all(target_arch = "wasm32", feature = "rust-face"))]

// The harness also holds the JS face's driver client (re-exported by it with the `js-face`
// feature), which these tests do not use.
#[allow(dead_code, unused_imports)]
mod support;

use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::Poll;
use futures_core::Stream;
use gloo_timers::future::TimeoutFuture;
use resilient_websocket::machine::{
    Config, ConnectionState, DropReason, HeartbeatConfig, Jitter, ReadyState, ReconnectConfig,
};
use resilient_websocket::{
    CloseError, Event, EventStream, OpenError, ResilientWebSocket, SendError,
};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use support::{now, sleep, Server, TOLERANCE_MS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A config whose every backoff delay is exactly `delay` ms.
fn delays(delay: u64) -> Config {
    Config {
        reconnect: ReconnectConfig {
            min_delay: delay,
            max_delay: delay,
            factor: 1.0,
            jitter: Jitter::None,
            ..ReconnectConfig::default()
        },
        ..Config::default()
    }
}

/// The name of an event, for messages and order checks.
fn kind(event: &Event) -> &'static str {
    match event {
        Event::Open => "open",
        Event::Message(_) => "message",
        Event::Close(_) => "close",
        Event::Error => "error",
        Event::StateChange { .. } => "statechange",
        Event::Reconnecting { .. } => "reconnecting",
        Event::GiveUp => "giveup",
        Event::Drop { .. } => "drop",
        Event::Heartbeat { .. } => "heartbeat",
        _ => "other",
    }
}

/// The next event of the stream within `ms`, or `None` if it ended; panics on a timeout.
async fn next_within(events: &mut EventStream, ms: f64) -> Option<Event> {
    let mut timeout = TimeoutFuture::new(ms as u32);
    poll_fn(|cx| {
        if let Poll::Ready(event) = Pin::new(&mut *events).poll_next(cx) {
            return Poll::Ready(event);
        }
        if Pin::new(&mut timeout).poll(cx).is_ready() {
            panic!("no event within {ms} ms");
        }
        Poll::Pending
    })
    .await
}

/// The events of the stream up to and including the first that `wanted` accepts, within `ms`.
async fn until(events: &mut EventStream, ms: f64, wanted: impl Fn(&Event) -> bool) -> Vec<Event> {
    let deadline = now() + ms;
    let mut seen = Vec::new();
    loop {
        let left = deadline - now();
        assert!(left > 0.0, "not within {ms} ms; saw {:?}", kinds(&seen));
        let event = next_within(events, left)
            .await
            .unwrap_or_else(|| panic!("the stream ended; saw {:?}", kinds(&seen)));
        let done = wanted(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(kind).collect()
}

/// Without the `error` events, whose presence before a close differs by engine and fault.
fn kinds_but_errors(events: &[Event]) -> Vec<&'static str> {
    kinds(events)
        .into_iter()
        .filter(|k| *k != "error")
        .collect()
}

fn is_open(event: &Event) -> bool {
    matches!(event, Event::Open)
}

fn is_message(event: &Event) -> bool {
    matches!(event, Event::Message(_))
}

fn text_of(event: &Event) -> Option<String> {
    match event {
        Event::Message(message) => message.text(),
        _ => None,
    }
}

/// A handle on `server` with `config`, and its event stream, once the handle is open.
async fn open_with(server: &Server, config: Config) -> (ResilientWebSocket, EventStream) {
    let ws = ResilientWebSocket::builder(&server.url)
        .config(config)
        .connect()
        .expect("a valid URL");
    let mut events = ws.events();
    until(&mut events, 5000.0, is_open).await;
    (ws, events)
}

/// Closes the handle with 1000 and waits for its close event, then stops the server.
async fn finish(server: Server, ws: ResilientWebSocket, mut events: EventStream) {
    if ws.ready_state() != ReadyState::Closed {
        ws.close(Some(1000), None).expect("1000 is a valid code");
        until(&mut events, TOLERANCE_MS, |e| matches!(e, Event::Close(_))).await;
    }
    assert_eq!(ws.ready_state(), ReadyState::Closed);
    server.dispose().await;
}

// ---- open, echo ----

#[wasm_bindgen_test]
async fn opens_echoes_text_and_bytes_and_closes_cleanly() {
    let server = Server::start().await;
    let ws = ResilientWebSocket::new(&server.url).expect("a valid URL");
    let mut events = ws.events();
    assert_eq!(ws.ready_state(), ReadyState::Connecting);
    assert_eq!(ws.connection_state(), ConnectionState::Connecting);
    assert_eq!(ws.url(), server.url);
    ws.send_text("queued while connecting").expect("queued");
    assert_eq!(ws.stats().queued, 1);

    let opened = until(&mut events, 5000.0, is_open).await;
    assert_eq!(kinds(&opened), ["statechange", "open"]);
    assert!(matches!(
        opened[0],
        Event::StateChange {
            from: ConnectionState::Connecting,
            to: ConnectionState::Open
        }
    ));
    assert_eq!(ws.ready_state(), ReadyState::Open);
    let echo = until(&mut events, TOLERANCE_MS, |e| text_of(e).is_some()).await;
    assert_eq!(
        text_of(&echo[0]).as_deref(),
        Some("queued while connecting")
    );

    ws.send_text("héllo ✓ 🚀").expect("sent");
    ws.send_binary(&[0, 1, 2, 255]).expect("sent");
    let echo = until(&mut events, TOLERANCE_MS, is_message).await;
    assert_eq!(text_of(&echo[0]).as_deref(), Some("héllo ✓ 🚀"));
    let echo = until(&mut events, TOLERANCE_MS, is_message).await;
    let Event::Message(binary) = &echo[0] else {
        unreachable!()
    };
    assert!(!binary.is_text());
    assert_eq!(binary.text(), None);
    assert_eq!(binary.bytes(), Some(vec![0, 1, 2, 255]));

    ws.close(Some(1000), Some("done")).expect("valid arguments");
    assert_eq!(ws.ready_state(), ReadyState::Closing);
    let closed = until(&mut events, TOLERANCE_MS, |e| matches!(e, Event::Close(_))).await;
    let Some(Event::Close(close)) = closed.last() else {
        unreachable!()
    };
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (1000, "done", true)
    );
    assert_eq!(ws.ready_state(), ReadyState::Closed);
    assert_eq!(ws.send_text("late"), Err(SendError::Closed));
    assert_eq!(
        ws.send_text("late").map_err(|e| e.to_string()),
        Err("the connection is closed".into())
    );

    let record = server
        .wait("the client's close", TOLERANCE_MS, |r| {
            r.connections.first().is_some_and(|c| !c.open)
        })
        .await;
    assert_eq!(record.connections[0].close_code, Some(1000));
    assert_eq!(record.connections[0].closed_by.as_deref(), Some("client"));
    assert_eq!(
        record.messages(),
        ["queued while connecting", "héllo ✓ 🚀", "hex:000102ff"]
    );
    server.dispose().await;
}

#[wasm_bindgen_test]
async fn callbacks_see_every_event_and_a_message_sent_on_open_goes_before_the_queue() {
    let server = Server::start().await;
    let ws = Rc::new(
        ResilientWebSocket::builder(&server.url)
            .protocols(Vec::<String>::new())
            .connect()
            .expect("a valid URL"),
    );
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let sink = log.clone();
    let handle = Rc::downgrade(&ws);
    ws.on(move |event| {
        sink.borrow_mut().push(kind(event));
        if matches!(event, Event::Open) {
            // Re-entrant: a send from inside a callback, before the queue's replay.
            if let Some(ws) = handle.upgrade() {
                ws.send_text("hello from open").expect("sent");
            }
        }
    });
    let texts: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = texts.clone();
    let removed = ws.on(|_| panic!("removed before any event"));
    assert!(ws.off(removed));
    assert!(!ws.off(removed), "already removed");
    ws.on_message(move |message| sink.borrow_mut().extend(message.text()));
    ws.send_text("queued").expect("queued");

    let deadline = now() + 5000.0;
    while texts.borrow().len() < 2 {
        assert!(now() < deadline, "echoes: {:?}", texts.borrow());
        sleep(10).await;
    }
    assert_eq!(*texts.borrow(), ["hello from open", "queued"]);
    assert_eq!(log.borrow()[..2], ["statechange", "open"]);
    let record = server.record().await;
    assert_eq!(record.messages(), ["hello from open", "queued"]);
    let events = ws.events();
    let ws = Rc::try_unwrap(ws).expect("the callbacks hold it weakly");
    finish(server, ws, events).await;
}

#[wasm_bindgen_test]
fn bad_urls_and_protocols_are_refused_at_once() {
    assert!(matches!(
        ResilientWebSocket::new("ftp://example.com/"),
        Err(OpenError::UnsupportedScheme(_))
    ));
    assert!(matches!(
        ResilientWebSocket::new("ws://example.com/#top"),
        Err(OpenError::Fragment(_))
    ));
    assert!(matches!(
        ResilientWebSocket::new("ws://exa mple.com:99999/"),
        Err(OpenError::InvalidUrl(_))
    ));
    assert!(matches!(
        ResilientWebSocket::builder("ws://127.0.0.1:9/")
            .protocols(["chat", "CHAT"])
            .connect(),
        Err(OpenError::DuplicateProtocol(p)) if p == "CHAT"
    ));
    let error = ResilientWebSocket::builder("ws://127.0.0.1:9/")
        .protocols(["a b"])
        .connect()
        .expect_err("a space is no token");
    assert_eq!(
        error.to_string(),
        "the subprotocol \"a b\" is not a valid token"
    );
    // `http:` means `ws:`, as natively; the handle is dropped at once.
    let ws = ResilientWebSocket::builder("http://127.0.0.1:9/path")
        .config(Config {
            start_closed: true,
            ..Config::default()
        })
        .connect()
        .expect("http is ws");
    assert_eq!(
        ws.connection_state(),
        ConnectionState::Closed,
        "start_closed"
    );
    assert_eq!(ws.url(), "ws://127.0.0.1:9/path");
    assert_eq!(
        ws.close(Some(1001), None),
        Err(CloseError::InvalidCode(1001))
    );
    assert_eq!(
        ws.close(Some(1000), Some(&"x".repeat(124))),
        Err(CloseError::ReasonTooLong)
    );
    assert_eq!(
        CloseError::InvalidCode(1001).to_string(),
        "the close code must be 1000 or in 3000-4999, not 1001"
    );
}

#[wasm_bindgen_test]
fn configs_the_js_face_would_refuse_are_refused_before_connecting() {
    let error = ResilientWebSocket::builder("ws://127.0.0.1:9/")
        .config(Config {
            reconnect: ReconnectConfig {
                factor: 0.5,
                ..ReconnectConfig::default()
            },
            ..Config::default()
        })
        .connect()
        .expect_err("factor < 1");
    assert_eq!(
        error.to_string(),
        "invalid config: reconnect.factor must be a finite number >= 1"
    );
    // A config loaded from the app's own JSON is held to the same ranges.
    let loaded: Config =
        serde_json::from_str(r#"{"heartbeat": {"interval": 0}}"#).expect("the shape is right");
    match ResilientWebSocket::builder("ws://127.0.0.1:9/")
        .config(loaded)
        .connect()
    {
        Err(OpenError::InvalidConfig(error)) => {
            assert_eq!(error.option(), "heartbeat.interval");
            assert_eq!(error.expected(), "a finite number > 0");
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

// ---- typed JSON ----

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chat {
    user_name: String,
    text: String,
    tags: Vec<String>,
    reply_to: Option<u32>,
    score: f64,
}

#[derive(Debug, Deserialize)]
struct Other {
    #[allow(dead_code)]
    missing: u32,
}

#[wasm_bindgen_test]
async fn typed_json_round_trips_through_the_browsers_json() {
    let server = Server::start().await;
    let ws = ResilientWebSocket::new(&server.url).expect("a valid URL");
    let mut events = ws.events();
    let sent = Chat {
        user_name: "ada".into(),
        text: "hé \"quoted\" ✓".into(),
        tags: vec!["a".into(), "b".into()],
        reply_to: None,
        score: 1.5,
    };
    ws.send_json(&sent).expect("serializable");
    let echo = until(&mut events, 5000.0, is_message).await;
    let Some(Event::Message(message)) = echo.last() else {
        unreachable!()
    };
    assert_eq!(message.json::<Chat>(), Ok(sent.clone()));
    let error = message.json::<Other>().expect_err("no field `missing`");
    assert!(error.to_string().contains("missing"), "{error}");

    // What went over the wire is the browser's JSON text.
    let record = server.record().await;
    assert_eq!(
        record.messages(),
        [
            r#"{"userName":"ada","text":"hé \"quoted\" ✓","tags":["a","b"],"replyTo":null,"score":1.5}"#
        ]
    );

    ws.send_text("not json").expect("sent");
    let echo = until(&mut events, TOLERANCE_MS, is_message).await;
    let Some(Event::Message(message)) = echo.last() else {
        unreachable!()
    };
    assert!(message.json::<Chat>().is_err(), "JSON.parse refuses it");
    // A map becomes an object, not a JS Map (which stringifies to `{}`).
    let map: std::collections::BTreeMap<String, u32> = [("k".to_string(), 1)].into();
    ws.send_json(&map).expect("serializable");
    let echo = until(&mut events, TOLERANCE_MS, is_message).await;
    assert_eq!(
        text_of(echo.last().expect("one")).as_deref(),
        Some(r#"{"k":1}"#)
    );
    assert!(matches!(ws.send_json(&u64::MAX), Err(SendError::Json(_))));
    finish(server, ws, events).await;
}

// ---- reconnecting ----

#[wasm_bindgen_test]
async fn the_event_stream_runs_through_a_server_restart() {
    let server = Server::start().await;
    let (ws, mut events) = open_with(&server, delays(200)).await;

    server.fault("restart", r#"{"downMs":300}"#).await;
    let cycle = until(&mut events, 300.0 + 200.0 * 4.0 + 5000.0, is_open).await;
    let names = kinds_but_errors(&cycle);
    assert_eq!(
        names[..3],
        ["statechange", "close", "reconnecting"],
        "open→reconnecting, the close, the retry: {names:?}"
    );
    assert_eq!(names.last(), Some(&"open"));
    assert!(matches!(
        cycle[0],
        Event::StateChange {
            from: ConnectionState::Open,
            to: ConnectionState::Reconnecting
        }
    ));
    let close = cycle.iter().find_map(|e| match e {
        Event::Close(close) => Some(close.clone()),
        _ => None,
    });
    let close = close.expect("a close");
    assert!(
        matches!(close.code, 1001 | 1006),
        "the server went away (1001) or vanished (1006): {close:?}"
    );
    let Some(Event::Reconnecting { attempt, delay_ms }) = cycle
        .iter()
        .find(|e| matches!(e, Event::Reconnecting { .. }))
    else {
        unreachable!()
    };
    assert_eq!((*attempt, *delay_ms), (1, 200));
    assert!(matches!(
        cycle[cycle.len() - 2],
        Event::StateChange {
            from: ConnectionState::Reconnecting,
            to: ConnectionState::Open
        }
    ));
    assert_eq!(ws.connection_state(), ConnectionState::Open);
    let stats = ws.stats();
    assert_eq!(stats.reconnects, 1, "{stats:?}");
    assert!(stats.attempts >= 2, "{stats:?}");

    ws.send_text("after").expect("sent");
    let echo = until(&mut events, TOLERANCE_MS, is_message).await;
    assert_eq!(text_of(echo.last().expect("one")).as_deref(), Some("after"));
    finish(server, ws, events).await;
}

#[wasm_bindgen_test]
async fn messages_sent_while_the_server_is_down_are_replayed_in_order_once() {
    let server = Server::start().await;
    let (ws, mut events) = open_with(&server, delays(100)).await;
    ws.send_text("before").expect("sent");
    until(&mut events, TOLERANCE_MS, is_message).await;

    server.fault("stop", "{}").await;
    until(&mut events, TOLERANCE_MS, |e| matches!(e, Event::Close(_))).await;
    assert_eq!(ws.ready_state(), ReadyState::Connecting);
    for text in ["a", "b", "c"] {
        ws.send_text(text).expect("queued while reconnecting");
    }
    assert_eq!(ws.stats().queued, 3);
    assert_eq!(ws.buffered_amount(), 3);
    // A failed attempt while it is down, then up again.
    until(&mut events, 100.0 + TOLERANCE_MS, |e| {
        matches!(e, Event::Close(_))
    })
    .await;
    server.fault("start", "{}").await;
    until(&mut events, 100.0 + TOLERANCE_MS, is_open).await;
    let mut echoes = Vec::new();
    while echoes.len() < 3 {
        let seen = until(&mut events, TOLERANCE_MS, is_message).await;
        echoes.extend(seen.iter().filter_map(text_of));
    }
    assert_eq!(echoes, ["a", "b", "c"]);
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
    let stats = ws.stats();
    assert_eq!((stats.queued, stats.replayed), (0, 3), "{stats:?}");
    finish(server, ws, events).await;
}

// ---- heartbeat ----

#[wasm_bindgen_test]
async fn a_heartbeat_timeout_closes_with_4000_and_reconnects() {
    const INTERVAL: u64 = 300;
    const TIMEOUT: u64 = 300;
    let server = Server::start().await;
    let config = Config {
        heartbeat: Some(HeartbeatConfig {
            interval: INTERVAL,
            timeout: TIMEOUT,
        }),
        ..delays(100)
    };
    let (ws, mut events) = open_with(&server, config).await;
    let beat = until(&mut events, INTERVAL as f64 + TOLERANCE_MS, |e| {
        matches!(e, Event::Heartbeat { .. })
    })
    .await;
    let Some(Event::Heartbeat { rtt_ms }) = beat.last() else {
        unreachable!()
    };
    assert!(*rtt_ms < TIMEOUT, "rtt {rtt_ms} ms");
    assert!(!beat.iter().any(is_message), "a pong is no message");
    assert!(ws.stats().last_rtt.is_some());

    server.fault("silence", "{}").await;
    let lost = until(
        &mut events,
        (INTERVAL + TIMEOUT) as f64 + TOLERANCE_MS,
        |e| matches!(e, Event::Close(_)),
    )
    .await;
    let Some(Event::Close(close)) = lost.last() else {
        unreachable!()
    };
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (4000, "heartbeat timeout", false)
    );
    assert!(!lost.iter().any(|e| matches!(e, Event::Error)));
    until(&mut events, 100.0 + TOLERANCE_MS, is_open).await;
    let record = server.record().await;
    assert!(record.connections[0].silent);
    assert!(record.connections[1].open);
    // The answered ping; the one to the silenced connection was not read.
    assert!(record.pings() >= 1);
    finish(server, ws, events).await;
}

// ---- drop ----

#[wasm_bindgen_test]
async fn a_close_drops_the_queue_with_drop_events() {
    let server = Server::start().await;
    server.fault("refuse", "{}").await;
    let ws = ResilientWebSocket::builder(&server.url)
        .config(delays(5000))
        .connect()
        .expect("a valid URL");
    let mut events = ws.events();
    ws.send_text("one").expect("queued");
    ws.send_binary(&[7, 8]).expect("queued");
    until(&mut events, 5000.0, |e| matches!(e, Event::Close(_))).await;
    ws.close(None, None).expect("no arguments to check");
    assert_eq!(
        ws.ready_state(),
        ReadyState::Closed,
        "no socket to wait for: closed at once"
    );
    let mut drops = Vec::new();
    while drops.len() < 2 {
        if let Some(Event::Drop { message, reason }) = next_within(&mut events, TOLERANCE_MS).await
        {
            drops.push((message, reason));
        }
    }
    assert_eq!(drops[0].0.text().as_deref(), Some("one"));
    assert_eq!(
        drops[1].0.bytes(),
        Some(vec![7, 8]),
        "the bytes handed over"
    );
    assert!(drops
        .iter()
        .all(|(_, reason)| *reason == DropReason::Closed));
    assert_eq!(ws.stats().dropped, 2);
    assert_eq!(ws.send_text("late"), Err(SendError::Closed));
    server.dispose().await;
}

// ---- RAII ----

#[wasm_bindgen_test]
async fn dropping_the_handle_closes_the_socket_and_detaches_every_listener() {
    let server = Server::start().await;
    let config = Config {
        heartbeat: Some(HeartbeatConfig {
            interval: 100,
            timeout: 100,
        }),
        ..delays(100)
    };
    let (ws, mut events) = open_with(&server, config).await;
    let calls = Rc::new(RefCell::new(0));
    let counter = calls.clone();
    ws.on(move |_| *counter.borrow_mut() += 1);
    // The callback owns something; the handle's drop must let go of it.
    let owned = Rc::new(());
    let held = owned.clone();
    ws.on(move |_| {
        let _ = &held;
    });
    assert_eq!(Rc::strong_count(&owned), 2);

    drop(ws);
    assert_eq!(Rc::strong_count(&owned), 1, "the callbacks were let go of");
    assert!(
        next_within(&mut events, TOLERANCE_MS).await.is_none(),
        "the stream ends with the handle"
    );
    let record = server
        .wait("the client's close", TOLERANCE_MS, |r| {
            r.connections.first().is_some_and(|c| !c.open)
        })
        .await;
    assert_eq!(record.connections[0].close_code, Some(1000));
    assert_eq!(record.connections[0].closed_by.as_deref(), Some("client"));
    // No heartbeat, no reconnect, no callback after the drop: the driver is gone.
    sleep(400).await;
    let later = server.record().await;
    assert_eq!(later.connections.len(), 1, "no reconnection: {later:?}");
    assert_eq!(later.pings(), record.pings(), "no heartbeat after the drop");
    assert_eq!(*calls.borrow(), 0, "no callback after the drop");
    server.dispose().await;
}
