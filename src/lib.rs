//! resilient-websocket: a drop-in replacement for the browser's `WebSocket` that keeps the
//! connection up.
//!
//! Three layers: [`machine`] is the pure, sans-IO core (tested natively); `web` drives a real
//! browser `WebSocket` from it; two faces sit on that one driver, each behind a crate feature.
//! With `js-face` (on by default), the exported `WebDriver` is what the JS class
//! `ResilientWebSocket` (in `js/`, the npm package) wraps; with `rust-face`,
//! `client::ResilientWebSocket` (re-exported here) is the same client for Rust web apps,
//! documented with a complete example in the `client` module. A Rust app turns the default
//! features off (`default-features = false, features = ["rust-face"]`, plus `acked` for
//! acknowledged delivery): its module then carries no JS-face export and its own allocator.
//! `examples/leptos/` in the repository is a whole app on the Rust face. The README documents the JS
//! API; this page documents the core for those who drive it from elsewhere (tests, simulations,
//! another runtime).
//!
//! # Driving the core
//!
//! The core never reads a clock or touches a socket. Its driver feeds it events with the time,
//! drains every output after every call, performs them, and calls
//! [`handle_timeout`](machine::Machine::handle_timeout) when
//! [`poll_timeout`](machine::Machine::poll_timeout) is due:
//!
//! ```
//! use resilient_websocket::machine::{Config, Event, Machine, Output, ReadyState};
//!
//! let mut now = 0;
//! let mut machine = Machine::new(Config::default(), 42, now);
//! let mut socket = None;
//! let mut sent = Vec::new();
//! let mut drain = |machine: &mut Machine, now, socket: &mut Option<_>| {
//!     while let Some(output) = machine.poll_output() {
//!         match output {
//!             // Open a browser WebSocket tagged with this generation.
//!             Output::Connect { gen } => *socket = Some(gen),
//!             // Hand the payload the driver keeps under `id` to the socket `gen`.
//!             Output::Transmit { gen, id } => sent.push((gen, id)),
//!             // The open event was dispatched just before: now replay the queue (a driver
//!             // with a replay filter asks `replay_candidates` first).
//!             Output::Replay { gen } => machine.replay(now, gen, &[]),
//!             Output::Emit(Event::Reconnecting { attempt, delay }) => {
//!                 println!("attempt {attempt} in {delay} ms")
//!             }
//!             _ => {}
//!         }
//!     }
//! };
//! drain(&mut machine, now, &mut socket);
//! let first = socket.expect("the first connection is immediate");
//!
//! // Sent while CONNECTING: queued, then replayed once the socket opened.
//! let queued = machine.send(now, 5).expect("queued");
//! now += 40;
//! machine.handle_open(now, first);
//! drain(&mut machine, now, &mut socket);
//! assert_eq!(machine.ready_state(), ReadyState::Open);
//!
//! // The connection drops: CONNECTING again, with an attempt scheduled after a backoff delay.
//! now += 1000;
//! machine.handle_close(now, first, 1006, "", false, None);
//! drain(&mut machine, now, &mut socket);
//! assert_eq!(machine.ready_state(), ReadyState::Connecting);
//! now = machine.poll_timeout().expect("a retry is scheduled");
//! machine.handle_timeout(now);
//! drain(&mut machine, now, &mut socket);
//! assert_ne!(socket, Some(first), "a new socket, with a new generation");
//! assert_eq!(sent, vec![(first, queued)], "the queued message went out once, on open");
//! ```

#![warn(missing_docs)]

extern crate alloc;

// wasm32's allocator: talc rather than std's dlmalloc, which measured 2.7 KB more of the shipped
// .wasm gzipped (lol_alloc, 0.5 KB smaller than talc, has had no release since 2024 and is O(n) per
// call in its free list). For single-threaded wasm only, which is what talc's wasm cell is sound for.
// With the JS face only: a Rust app that links the crate chooses its own allocator.
#[cfg(all(
    feature = "js-face",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "rust-face")]
pub mod client;
pub mod machine;
#[cfg(any(feature = "js-face", feature = "rust-face"))]
mod web;

#[cfg(feature = "rust-face")]
pub use client::{
    Builder, CloseError, CloseFrame, ConfigError, Event, EventStream, ListenerId, Message,
    OpenError, ResilientWebSocket, SendError,
};
#[cfg(feature = "js-face")]
pub use web::{abi, host, WebDriver};
