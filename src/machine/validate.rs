//! The arguments of `close()` and `reconnect()`, checked as the native `close()` checks them.
//!
//! (The constructor's URL, subprotocols and options are checked by the JS class, `js/options.js`,
//! before anything reaches the driver.)

use super::shared::CloseError;

/// Checks the arguments of `close(code, reason)` and `reconnect(code, reason)`: `code` 1000 or
/// 3000–4999 (else `InvalidAccessError`), `reason` at most 123 UTF-8 bytes (else `SyntaxError`).
pub fn close_args(code: Option<u16>, reason: Option<&str>) -> Result<(), CloseError> {
    if code.is_some_and(|code| code != 1000 && !(3000..=4999).contains(&code)) {
        return Err(CloseError::InvalidCode);
    }
    if reason.is_some_and(|reason| reason.len() > 123) {
        return Err(CloseError::ReasonTooLong);
    }
    Ok(())
}

/// WebIDL `[Clamp] unsigned short`, the conversion the native `close(code)` applies to a JS
/// number: NaN is 0, out-of-range values clamp, fractions round half to even.
pub fn clamp_u16(x: f64) -> u16 {
    if x.is_nan() {
        return 0;
    }
    let x = x.clamp(0.0, 65535.0);
    let floor = x.floor();
    let rounded = match x - floor {
        d if d > 0.5 => floor + 1.0,
        d if d < 0.5 => floor,
        _ if floor % 2.0 == 0.0 => floor,
        _ => floor + 1.0,
    };
    rounded as u16
}
