#![cfg(all(feature = "serde", not(target_arch = "wasm32")))]
//! The serde form of `Config` and `Stats` (feature `serde`): it round-trips, and it is the form of
//! the JS options and `stats` objects (API.md §2 and §4), so that one JSON text configures either
//! face. Run with `cargo test --features serde`.

#[cfg(feature = "acked")]
use resilient_websocket::machine::AckedConfig;
use resilient_websocket::machine::{
    BufferConfig, Config, HeartbeatConfig, Jitter, Overflow, ReconnectConfig, Stats,
};
use serde_json::{json, Value};

fn round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let text = serde_json::to_string(value).expect("serializes");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{text} deserializes: {error}"))
}

/// Every field changed from its default, and every special spelling used: a jitter ratio, a
/// finite `maxRetries` and `ttl`, an uncapped queue by count (`null`), heartbeat and acked on.
fn non_default() -> Config {
    Config {
        reconnect: ReconnectConfig {
            min_delay: 250,
            max_delay: 60_000,
            factor: 2.5,
            jitter: Jitter::Ratio(0.25),
            first_delay: None,
            first_jitter: 0.5,
            max_retries: Some(7),
            connect_timeout: 3000,
            min_uptime: 1500,
        },
        heartbeat: Some(HeartbeatConfig {
            interval: 5000,
            timeout: 2000,
        }),
        buffer: BufferConfig {
            max_messages: u32::MAX,
            max_bytes: 1234,
            overflow: Overflow::DropNewest,
            ttl: Some(60_000),
            replay: false,
        },
        network: false,
        page_lifecycle: false,
        start_closed: true,
        #[cfg(feature = "acked")]
        acked: Some(AckedConfig { ack_interval: 50 }),
    }
}

#[test]
fn config_round_trips_through_json() {
    assert_eq!(round_trip(&Config::default()), Config::default());
    assert_eq!(round_trip(&non_default()), non_default());
    for jitter in [
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
        Jitter::None,
        Jitter::Ratio(0.0),
        Jitter::Ratio(1.0),
    ] {
        let mut config = Config::default();
        config.reconnect.jitter = jitter;
        assert_eq!(round_trip(&config), config, "{jitter:?}");
    }
    let mut uncapped = Config::default();
    uncapped.buffer.max_bytes = u64::MAX;
    uncapped.reconnect.max_retries = None;
    assert_eq!(round_trip(&uncapped), uncapped);
}

#[test]
fn config_is_written_in_the_form_of_the_js_options() {
    #[allow(unused_mut)] // written to only with acknowledged delivery
    let mut defaults = json!({
        "reconnect": {
            "minDelay": 1600,
            "maxDelay": 9000,
            "factor": 2.5,
            "jitter": "full",
            "firstDelay": 1200,
            "firstJitter": 0.25,
            "maxRetries": null,
            "connectTimeout": 10000,
            "minUptime": 5000
        },
        "heartbeat": false,
        "buffer": {
            "maxMessages": 10000,
            "maxBytes": 16777216,
            "overflow": "throw",
            "ttl": null,
            "replay": true
        },
        "network": true,
        "pageLifecycle": true,
        "startClosed": false,
        "delivery": "plain"
    });
    #[cfg(feature = "acked")]
    {
        defaults["ackInterval"] = json!(100);
    }
    assert_eq!(serde_json::to_value(Config::default()).unwrap(), defaults);
    let changed = serde_json::to_value(non_default()).unwrap();
    assert_eq!(changed["reconnect"]["jitter"], json!(0.25));
    assert_eq!(
        changed["reconnect"]["firstDelay"],
        Value::Null,
        "no first retry of its own"
    );
    assert_eq!(
        changed["heartbeat"],
        json!({ "interval": 5000, "timeout": 2000 })
    );
    assert_eq!(changed["buffer"]["maxMessages"], Value::Null, "Infinity");
    assert_eq!(changed["buffer"]["overflow"], json!("drop-newest"));
    #[cfg(feature = "acked")]
    {
        assert_eq!(changed["delivery"], json!("acked"));
        assert_eq!(changed["ackInterval"], json!(50));
    }
}

#[test]
fn config_reads_js_options_as_json() {
    // What a JS user writes, through JSON.stringify: absent fields keep their defaults, Infinity
    // became null, and the options that are JS values (the heartbeat's message, debug) are not
    // the core's and are ignored.
    let options = r#"{
        "reconnect": { "minDelay": 1000, "maxDelay": 30000, "jitter": "none", "maxRetries": null },
        "heartbeat": { "interval": 5000, "message": "ping" },
        "buffer": { "maxBytes": null, "ttl": 60000, "overflow": "drop-oldest" },
        "debug": true
    }"#;
    let config: Config = serde_json::from_str(options).unwrap();
    let mut expected = Config::default();
    expected.reconnect.min_delay = 1000;
    expected.reconnect.max_delay = 30_000;
    expected.reconnect.jitter = Jitter::None;
    // minDelay given without firstDelay: the schedule applies from the first retry, as in JS.
    expected.reconnect.first_delay = None;
    expected.heartbeat = Some(HeartbeatConfig {
        interval: 5000,
        ..HeartbeatConfig::default()
    });
    expected.buffer.max_bytes = u64::MAX;
    expected.buffer.ttl = Some(60_000);
    expected.buffer.overflow = Overflow::DropOldest;
    assert_eq!(config, expected);

    let empty: Config = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, Config::default());
    let on: Config = serde_json::from_str(r#"{ "heartbeat": true }"#).unwrap();
    assert_eq!(on.heartbeat, Some(HeartbeatConfig::default()));
    // ackInterval alone does nothing, as in JS: delivery stays plain.
    let plain: Config = serde_json::from_str(r#"{ "ackInterval": 20 }"#).unwrap();
    assert_eq!(plain, Config::default());
    let acked = serde_json::from_str::<Config>(r#"{ "delivery": "acked", "ackInterval": 20 }"#);
    #[cfg(feature = "acked")]
    assert_eq!(acked.unwrap().acked, Some(AckedConfig { ack_interval: 20 }));
    // Without acknowledged delivery in the build, asking for it is an error, never plain delivery.
    #[cfg(not(feature = "acked"))]
    assert!(acked
        .unwrap_err()
        .to_string()
        .contains("needs the crate feature `acked`"));
}

#[test]
fn first_delay_left_out_is_off_under_a_schedule_of_ones_own() {
    let read = |options: &str| {
        serde_json::from_str::<Config>(options)
            .unwrap_or_else(|error| panic!("{options}: {error}"))
            .reconnect
    };
    let default = Some(ReconnectConfig::DEFAULT_FIRST_DELAY);
    assert_eq!(read("{}").first_delay, default);
    assert_eq!(read(r#"{ "reconnect": {} }"#).first_delay, default);
    // maxDelay, factor and the rest leave the first retry's place on the schedule alone.
    let tuned = read(r#"{ "reconnect": { "maxDelay": 30000, "factor": 2, "maxRetries": 5 } }"#);
    assert_eq!(tuned.first_delay, default);
    assert_eq!(tuned.max_retries, Some(5));
    assert_eq!(
        read(r#"{ "reconnect": { "minDelay": 500 } }"#).first_delay,
        None
    );
    assert_eq!(
        read(r#"{ "reconnect": { "jitter": "equal" } }"#).first_delay,
        None
    );
    // Given, it is taken as given: a number, or null for none.
    let both = read(r#"{ "reconnect": { "minDelay": 500, "firstDelay": 100, "firstJitter": 0 } }"#);
    assert_eq!((both.first_delay, both.first_jitter), (Some(100), 0.0));
    assert_eq!(
        read(r#"{ "reconnect": { "firstDelay": null } }"#).first_delay,
        None
    );
    // maxRetries: null is Infinity, left out its default (also Infinity), 3 is 3.
    assert_eq!(
        read(r#"{ "reconnect": { "maxRetries": null } }"#).max_retries,
        None
    );
    assert_eq!(
        read(r#"{ "reconnect": { "maxRetries": 3 } }"#).max_retries,
        Some(3)
    );
}

#[test]
fn config_refuses_what_the_js_options_refuse_by_shape() {
    for (options, expected) in [
        (
            r#"{ "reconnect": { "jitter": "fast" } }"#,
            "'full', 'equal'",
        ),
        (r#"{ "heartbeat": null }"#, "a boolean or an object"),
        (r#"{ "heartbeat": 5000 }"#, "a boolean or an object"),
        (r#"{ "delivery": "exactly-once" }"#, "plain"),
        (r#"{ "buffer": { "overflow": "drop" } }"#, "drop-oldest"),
        (r#"{ "reconnect": { "minDelay": -1 } }"#, "u64"),
    ] {
        let error = serde_json::from_str::<Config>(options)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{options}: {error}");
    }
}

#[test]
fn stats_round_trip_under_the_js_names() {
    let stats = Stats {
        attempts: 4,
        reconnects: 3,
        downtime_ms: 12_345,
        last_rtt: Some(42),
        queued: 2,
        queued_bytes: 10,
        dropped: 1,
        replayed: 5,
        #[cfg(feature = "acked")]
        unacked: 6,
        #[cfg(feature = "acked")]
        unacked_bytes: 60,
        #[cfg(feature = "acked")]
        resent: 7,
    };
    assert_eq!(round_trip(&Stats::default()), Stats::default());
    assert_eq!(round_trip(&stats), stats);
    #[allow(unused_mut)] // written to only with acknowledged delivery
    let mut expected = json!({
        "attempts": 4,
        "reconnects": 3,
        "downtimeMs": 12345,
        "lastRtt": 42,
        "queued": 2,
        "queuedBytes": 10,
        "dropped": 1,
        "replayed": 5
    });
    #[cfg(feature = "acked")]
    {
        expected["unacked"] = json!(6);
        expected["unackedBytes"] = json!(60);
        expected["resent"] = json!(7);
    }
    assert_eq!(serde_json::to_value(stats).unwrap(), expected);
    assert_eq!(
        serde_json::to_value(Stats::default()).unwrap()["lastRtt"],
        Value::Null
    );
}
