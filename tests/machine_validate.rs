//! The pure validation of `close()`'s arguments, and of a `Config` made in Rust (the Rust face's;
//! the JS face checks its URL, subprotocols and options in JS: e2e/api/options.test.js).
//!
//! Run natively by `cargo test`, and compiled for wasm32 (the target the core ships for, with its
//! 32-bit `usize`) in Chromium, Firefox and WebKit as a module of tests/wasm_core.rs.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_websocket::machine::validate;
use resilient_websocket::machine::{CloseError, Config, HeartbeatConfig, Jitter};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

#[test]
fn close_arguments_follow_the_native_rules() {
    for code in [1000, 3000, 3999, 4000, 4999] {
        assert_eq!(validate::close_args(Some(code), None), Ok(()));
    }
    for code in [0, 999, 1001, 1005, 1006, 2999, 5000, 65535] {
        assert_eq!(
            validate::close_args(Some(code), None),
            Err(CloseError::InvalidCode)
        );
    }
    assert_eq!(validate::close_args(None, Some(&"x".repeat(123))), Ok(()));
    assert_eq!(
        validate::close_args(None, Some(&"x".repeat(124))),
        Err(CloseError::ReasonTooLong)
    );
    assert_eq!(
        validate::close_args(None, Some(&"€".repeat(41))),
        Ok(()),
        "123 bytes, 41 chars"
    );
    assert_eq!(
        validate::close_args(None, Some(&"😀".repeat(31))),
        Err(CloseError::ReasonTooLong),
        "124 bytes, 31 chars"
    );
}

#[test]
fn clamp_u16_is_webidl_clamp() {
    assert_eq!(validate::clamp_u16(NAN), 0);
    assert_eq!(validate::clamp_u16(-5.0), 0);
    assert_eq!(validate::clamp_u16(70_000.0), 65_535);
    assert_eq!(validate::clamp_u16(INF), 65_535);
    assert_eq!(validate::clamp_u16(1000.4), 1000);
    assert_eq!(validate::clamp_u16(1000.5), 1000, "half to even");
    assert_eq!(validate::clamp_u16(1001.5), 1002, "half to even");
    assert_eq!(validate::clamp_u16(3000.6), 3001);
}

/// `config` with one change.
fn with(change: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::default();
    change(&mut config);
    config
}

#[test]
fn configs_in_the_js_ranges_pass() {
    let edges = [
        Config::default(),
        with(|c| c.reconnect.factor = 1.0),
        with(|c| c.reconnect.min_delay = c.reconnect.max_delay),
        with(|c| {
            c.reconnect.min_delay = 0;
            c.reconnect.max_delay = 0;
        }),
        with(|c| c.reconnect.jitter = Jitter::Ratio(0.0)),
        with(|c| c.reconnect.jitter = Jitter::Ratio(1.0)),
        with(|c| c.reconnect.jitter = Jitter::Decorrelated),
        with(|c| c.reconnect.first_jitter = 0.0),
        with(|c| c.reconnect.first_jitter = 1.0),
        with(|c| c.reconnect.first_delay = None),
        with(|c| c.reconnect.max_retries = Some(0)),
        with(|c| c.reconnect.connect_timeout = 1),
        with(|c| c.reconnect.min_uptime = 0),
        with(|c| {
            c.heartbeat = Some(HeartbeatConfig {
                interval: 1,
                timeout: 1,
            })
        }),
        with(|c| c.buffer.max_messages = 0),
        with(|c| c.buffer.ttl = Some(0)),
        // Durations too large for a timer saturate, as Infinity does in the JS face.
        with(|c| c.reconnect.max_delay = u64::MAX),
    ];
    for config in edges {
        assert_eq!(config.validate(), Ok(()), "{config:?}");
    }
}

#[test]
fn configs_out_of_the_js_ranges_fail_with_the_js_message() {
    let cases: Vec<(Config, &str)> = vec![
        (
            with(|c| {
                c.reconnect.min_delay = 5000;
                c.reconnect.max_delay = 4999;
            }),
            "reconnect.maxDelay must be a finite number >= reconnect.minDelay",
        ),
        (
            with(|c| c.reconnect.factor = 0.5),
            "reconnect.factor must be a finite number >= 1",
        ),
        (
            with(|c| c.reconnect.factor = NAN),
            "reconnect.factor must be a finite number >= 1",
        ),
        (
            with(|c| c.reconnect.factor = INF),
            "reconnect.factor must be a finite number >= 1",
        ),
        (
            with(|c| c.reconnect.jitter = Jitter::Ratio(1.5)),
            "reconnect.jitter must be 'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]",
        ),
        (
            with(|c| c.reconnect.jitter = Jitter::Ratio(-0.1)),
            "reconnect.jitter must be 'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]",
        ),
        (
            with(|c| c.reconnect.jitter = Jitter::Ratio(NAN)),
            "reconnect.jitter must be 'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]",
        ),
        (
            with(|c| c.reconnect.first_jitter = 2.0),
            "reconnect.firstJitter must be a number in [0, 1]",
        ),
        (
            with(|c| c.reconnect.first_jitter = NAN),
            "reconnect.firstJitter must be a number in [0, 1]",
        ),
        (
            with(|c| c.reconnect.connect_timeout = 0),
            "reconnect.connectTimeout must be a finite number > 0",
        ),
        (
            with(|c| {
                c.heartbeat = Some(HeartbeatConfig {
                    interval: 0,
                    timeout: 1000,
                })
            }),
            "heartbeat.interval must be a finite number > 0",
        ),
        (
            with(|c| {
                c.heartbeat = Some(HeartbeatConfig {
                    interval: 1000,
                    timeout: 0,
                })
            }),
            "heartbeat.timeout must be a finite number > 0",
        ),
        #[cfg(feature = "acked")]
        (
            with(|c| {
                c.acked = Some(resilient_websocket::machine::AckedConfig { ack_interval: 0 })
            }),
            "ackInterval must be a finite number > 0",
        ),
    ];
    // The JS face's checks, whose words these are: each option and each expectation is in there.
    let js = include_str!("../js/options.js");
    for (config, message) in cases {
        let error = config.validate().expect_err(message);
        assert_eq!(error.to_string(), message);
        assert!(
            js.contains(&format!("'{}'", error.option())),
            "{} in js/options.js",
            error.option()
        );
        assert!(
            js.contains(error.expected()),
            "{:?} in js/options.js",
            error.expected()
        );
    }
}

#[test]
fn the_first_problem_is_reported_in_the_js_order() {
    let config = with(|c| {
        c.reconnect.factor = 0.0;
        c.reconnect.connect_timeout = 0;
    });
    assert_eq!(
        config.validate().map_err(|e| e.option()),
        Err("reconnect.factor")
    );
}
