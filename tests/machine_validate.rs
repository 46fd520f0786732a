#![cfg(not(target_arch = "wasm32"))]
//! The pure validation functions: URL, protocols, close arguments and every option's range.

use resilient_websocket::machine::validate::{
    self, BufferOptions, HeartbeatOptions, JitterOption, OptionError, ProtocolError,
    ReconnectOptions, UrlError,
};
use resilient_websocket::machine::{
    BufferConfig, CloseError, HeartbeatConfig, Jitter, Overflow, ReconnectConfig,
};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

#[test]
fn url_maps_http_schemes_and_refuses_others_and_fragments() {
    assert_eq!(
        validate::url("ws://a.example/x?y=1").as_deref(),
        Ok("ws://a.example/x?y=1")
    );
    assert_eq!(
        validate::url("wss://a.example/").as_deref(),
        Ok("wss://a.example/")
    );
    assert_eq!(
        validate::url("http://a.example:8080/p").as_deref(),
        Ok("ws://a.example:8080/p")
    );
    assert_eq!(
        validate::url("https://a.example/").as_deref(),
        Ok("wss://a.example/")
    );
    assert_eq!(
        validate::url("HTTPS://a.example/").as_deref(),
        Ok("wss://a.example/")
    );
    for href in [
        "ftp://a.example/",
        "file:///tmp/x",
        "a.example/ws",
        "",
        "javascript:alert(1)",
    ] {
        assert_eq!(validate::url(href), Err(UrlError::Scheme), "{href}");
    }
    assert_eq!(validate::url("wss://a.example/#"), Err(UrlError::Fragment));
    assert_eq!(
        validate::url("https://a.example/p#top"),
        Err(UrlError::Fragment)
    );
    assert!(!UrlError::Fragment.message().is_empty());
}

#[test]
fn protocols_must_be_distinct_tokens() {
    assert_eq!(validate::protocols(&[]), Ok(()));
    assert_eq!(
        validate::protocols(&["chat", "v2.json", "a-b_c~!#$%&'*+^`|"]),
        Ok(())
    );
    for bad in [
        "", "a b", "a,b", "a/b", "a\"b", "é", "a\tb", "{x}", "a=b", "a\u{7f}",
    ] {
        assert_eq!(
            validate::protocols(&[bad]),
            Err(ProtocolError::Invalid),
            "{bad:?}"
        );
    }
    assert_eq!(
        validate::protocols(&["chat", "Chat"]),
        Err(ProtocolError::Duplicate)
    );
    assert_eq!(
        validate::protocols(&["a", "b", "a"]),
        Err(ProtocolError::Duplicate)
    );
    assert!(!ProtocolError::Duplicate.message().is_empty());
}

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

fn reconnect_err(raw: ReconnectOptions<'_>) -> OptionError {
    validate::reconnect_options(&raw).expect_err("invalid")
}

#[test]
fn reconnect_options_default_and_accept_valid_values() {
    assert_eq!(
        validate::reconnect_options(&ReconnectOptions::default()),
        Ok(ReconnectConfig::default())
    );
    let raw = ReconnectOptions {
        min_delay: Some(0.0),
        max_delay: Some(0.5),
        factor: Some(1.0),
        jitter: Some(JitterOption::Ratio(1.0)),
        max_retries: Some(INF),
        connect_timeout: Some(1.0),
        min_uptime: Some(0.0),
    };
    let config = validate::reconnect_options(&raw).expect("valid");
    assert_eq!(config.max_delay, 1, "fractions round up");
    assert_eq!(config.jitter, Jitter::Ratio(1.0));
    assert_eq!(config.max_retries, None);
    for (name, jitter) in [
        ("full", Jitter::Full),
        ("equal", Jitter::Equal),
        ("decorrelated", Jitter::Decorrelated),
        ("none", Jitter::None),
    ] {
        let raw = ReconnectOptions {
            jitter: Some(JitterOption::Name(name)),
            ..ReconnectOptions::default()
        };
        assert_eq!(
            validate::reconnect_options(&raw).map(|c| c.jitter),
            Ok(jitter)
        );
    }
    let raw = ReconnectOptions {
        max_retries: Some(3.0),
        ..ReconnectOptions::default()
    };
    assert_eq!(
        validate::reconnect_options(&raw).map(|c| c.max_retries),
        Ok(Some(3))
    );
}

#[test]
fn reconnect_options_name_the_option_and_the_range() {
    for bad in [NAN, -1.0, INF, -INF] {
        let e = reconnect_err(ReconnectOptions {
            min_delay: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(
            e.message(),
            "reconnect.minDelay must be a finite number >= 0"
        );
        let e = reconnect_err(ReconnectOptions {
            min_uptime: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(e.option, "reconnect.minUptime");
    }
    let e = reconnect_err(ReconnectOptions {
        min_delay: Some(5000.0),
        max_delay: Some(4000.0),
        ..ReconnectOptions::default()
    });
    assert_eq!(
        e.message(),
        "reconnect.maxDelay must be a finite number >= reconnect.minDelay"
    );
    for bad in [0.99, NAN, INF, -2.0] {
        let e = reconnect_err(ReconnectOptions {
            factor: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(e.message(), "reconnect.factor must be a finite number >= 1");
    }
    for bad in [
        JitterOption::Name("Full"),
        JitterOption::Name(""),
        JitterOption::Ratio(1.01),
        JitterOption::Ratio(-0.1),
        JitterOption::Ratio(NAN),
        JitterOption::Other,
    ] {
        let e = reconnect_err(ReconnectOptions {
            jitter: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(e.option, "reconnect.jitter");
        assert!(e.expected.contains("[0, 1]"));
    }
    for bad in [1.5, -1.0, NAN, -INF] {
        let e = reconnect_err(ReconnectOptions {
            max_retries: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(
            e.message(),
            "reconnect.maxRetries must be an integer >= 0 or Infinity"
        );
    }
    for bad in [0.0, -1.0, NAN, INF] {
        let e = reconnect_err(ReconnectOptions {
            connect_timeout: Some(bad),
            ..ReconnectOptions::default()
        });
        assert_eq!(
            e.message(),
            "reconnect.connectTimeout must be a finite number > 0"
        );
    }
}

#[test]
fn heartbeat_options() {
    assert_eq!(
        validate::heartbeat_options(&HeartbeatOptions::default()),
        Ok(HeartbeatConfig::default())
    );
    let raw = HeartbeatOptions {
        interval: Some(1000.0),
        timeout: Some(200.0),
    };
    assert_eq!(
        validate::heartbeat_options(&raw),
        Ok(HeartbeatConfig {
            interval: 1000,
            timeout: 200
        })
    );
    for bad in [0.0, -1.0, NAN, INF] {
        let e = validate::heartbeat_options(&HeartbeatOptions {
            interval: Some(bad),
            timeout: None,
        })
        .expect_err("invalid");
        assert_eq!(
            e.message(),
            "heartbeat.interval must be a finite number > 0"
        );
        let e = validate::heartbeat_options(&HeartbeatOptions {
            interval: None,
            timeout: Some(bad),
        })
        .expect_err("invalid");
        assert_eq!(e.option, "heartbeat.timeout");
    }
}

#[test]
fn buffer_options() {
    assert_eq!(
        validate::buffer_options(&BufferOptions::default()),
        Ok(BufferConfig::default())
    );
    let raw = BufferOptions {
        max_messages: Some(INF),
        max_bytes: Some(INF),
        overflow: Some("drop-oldest"),
        ttl: Some(INF),
    };
    let config = validate::buffer_options(&raw).expect("valid");
    assert_eq!(
        (
            config.max_messages,
            config.max_bytes,
            config.overflow,
            config.ttl
        ),
        (u32::MAX, u64::MAX, Overflow::DropOldest, None)
    );
    let raw = BufferOptions {
        max_messages: Some(0.0),
        max_bytes: Some(0.0),
        overflow: Some("drop-newest"),
        ttl: Some(1.5),
    };
    let config = validate::buffer_options(&raw).expect("valid");
    assert_eq!(
        (
            config.max_messages,
            config.max_bytes,
            config.overflow,
            config.ttl
        ),
        (0, 0, Overflow::DropNewest, Some(2))
    );
    for bad in [-1.0, 2.5, NAN, -INF] {
        for (raw, option) in [
            (
                BufferOptions {
                    max_messages: Some(bad),
                    ..BufferOptions::default()
                },
                "buffer.maxMessages",
            ),
            (
                BufferOptions {
                    max_bytes: Some(bad),
                    ..BufferOptions::default()
                },
                "buffer.maxBytes",
            ),
        ] {
            assert_eq!(
                validate::buffer_options(&raw).map_err(|e| e.option),
                Err(option)
            );
        }
    }
    for bad in [-1.0, NAN, -INF] {
        let e = validate::buffer_options(&BufferOptions {
            ttl: Some(bad),
            ..BufferOptions::default()
        })
        .expect_err("invalid");
        assert_eq!(
            e.message(),
            "buffer.ttl must be a finite number >= 0 or Infinity"
        );
    }
    let e = validate::buffer_options(&BufferOptions {
        overflow: Some("drop"),
        ..BufferOptions::default()
    })
    .expect_err("invalid");
    assert_eq!(e.option, "buffer.overflow");
}
