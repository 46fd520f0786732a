//! The driver: the only code that touches the browser.
//!
//! It turns browser events into the core's `handle_*` calls ([`events`]), performs the core's
//! outputs and hands the events they produced to whichever face owns it ([`pump`], through a
//! [`sink`]: the JS class, or the Rust face's dispatch), opens a socket for each attempt
//! ([`attempt`]), lets plain messages bypass wasm ([`direct`], JS face only) and calls the user's
//! hooks ([`hooks`]). [`exports`] is what the JS class calls (and what the Rust face calls, typed);
//! [`abi`] numbers everything that crosses.
//!
//! The core lives in a `RefCell`; every borrow is released before any JS that a user controls
//! runs (event handlers, hooks such as `shouldReconnect` or the replay filter, a `WebSocket`
//! constructor override or its methods), so user code may call back into the driver from
//! anywhere. Events reach JS one at a time, in the core's order, after the step that caused them
//! is fully drained: a handler that calls back in never sees a later event before the other
//! listeners of the current one ran.

// The tables of the JS boundary: without the JS face, the Rust face uses only some of them (the
// kinds of the driver's reports, the attributes), and the rest stays unread.
#[cfg_attr(not(feature = "js-face"), allow(dead_code))]
pub mod abi;
#[cfg(feature = "acked")]
mod acked;
mod attempt;
mod direct;
mod env;
#[cfg(feature = "js-face")]
mod error;
mod events;
mod exports;
#[cfg(all(feature = "share", feature = "js-face"))]
mod group;
pub(crate) mod hooks;
pub mod host;
pub(crate) mod js;
#[cfg(feature = "js-face")]
mod options;
mod payloads;
mod pump;
#[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
mod share_session;
pub(crate) mod sink;
mod socket;
mod state;
mod timer;

pub use exports::WebDriver;

/// The driver's state as every part of it holds it: socket closures, listeners and the timer
/// hold a `Weak` of it instead.
type Shared = alloc::rc::Rc<core::cell::RefCell<state::Inner>>;
