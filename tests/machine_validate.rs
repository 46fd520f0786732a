//! The pure validation of `close()`'s arguments. (The constructor's URL, subprotocols and options
//! are checked in JS: e2e/api/options.test.js.)
//!
//! Run natively by `cargo test`, and compiled for wasm32 (the target the core ships for, with its
//! 32-bit `usize`) in Chromium, Firefox and WebKit as a module of tests/wasm_core.rs.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_websocket::machine::validate;
use resilient_websocket::machine::CloseError;

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
