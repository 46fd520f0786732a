//! resilient-websocket: a drop-in replacement for the browser's `WebSocket` that keeps the
//! connection up.
//!
//! Three layers: [`machine`] is the pure, sans-IO core (tested natively); `web` drives a real
//! browser `WebSocket` from it; the exported [`WebDriver`] is what the JS class `ResilientWebSocket`
//! (in `js/`) wraps.

pub mod machine;
mod web;

pub use web::WebDriver;
