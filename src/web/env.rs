//! What the driver reads from the environment: the clock and a random seed.

use crate::machine::Millis;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: monotonic, and present in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on the monotonic clock the core's deadlines are measured against.
pub(crate) fn now() -> Millis {
    // performance.now() is non-negative and finite; the cast saturates rather than panics anyway.
    performance_now() as Millis
}

/// A seed for the core's jitter PRNG. Jitter needs spread across clients, not secrecy.
pub(crate) fn seed() -> u64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
}
