//! The driver's state, and the only two ways to borrow it.

#[cfg(feature = "acked")]
use super::acked;
use super::env::PageListeners;
use super::hooks::Hooks;
use super::payloads::Payloads;
use super::pump::Deferred;
use super::sink::Sink;
use super::socket::Socket;
use super::timer::DeadlineTimer;
use crate::machine::{Generation, Machine};
use alloc::vec::Vec;
use core::cell::{Ref, RefCell, RefMut};
use wasm_bindgen::JsValue;
use web_sys::WebSocket;

/// Everything the driver owns. Socket closures, listeners and the timer hold only a `Weak` to it,
/// so dropping the driver frees it all: there is no reference cycle to leak.
pub(super) struct Inner {
    pub(super) machine: Machine,
    pub(super) hooks: Hooks,
    /// Where reports go (the JS class, or the Rust face), and who installs direct listeners.
    pub(super) host: Sink,
    /// The URL of the current or last attempt (fixed unless a provider supplies one per attempt),
    /// a JS string.
    pub(super) url: JsValue,
    /// An array of strings.
    pub(super) protocols: JsValue,
    /// The JS class calls the URL or protocols provider before each attempt.
    pub(super) has_provider: bool,
    /// The attempt whose socket is being set up (its provider may still be pending).
    pub(super) pending: Option<Generation>,
    pub(super) socket: Option<Socket>,
    /// `'blob'` or `'arraybuffer'`.
    pub(super) binary_type: JsValue,
    /// `protocol` and `extensions` of the last socket that opened (JS strings); kept after it is
    /// gone.
    pub(super) protocol: JsValue,
    pub(super) extensions: JsValue,
    /// Attempts since the last open, for the providers' `ctx.attempt`.
    pub(super) attempts_since_open: u32,
    /// The last close, for the providers' `ctx.lastClose`.
    pub(super) last_close: JsValue,
    /// The acked session's id and key, made when the core starts a session.
    #[cfg(feature = "acked")]
    pub(super) tokens: Option<acked::SessionTokens>,
    /// Payloads of the messages the core knows by id, until it transmits (plain), releases
    /// (acked) or drops them.
    pub(super) payloads: Payloads,
    /// The data of the message being handled, dispatched when the core emits `Event::Message`.
    pub(super) inbound: Option<JsValue>,
    pub(super) timer: DeadlineTimer,
    pub(super) heartbeat: bool,
    pub(super) network: bool,
    pub(super) page_lifecycle: bool,
    /// Registered while the connection is not terminally closed.
    pub(super) listeners: Option<PageListeners>,
    /// User-visible work (events, the replay with its filter) in the core's order, waiting for the
    /// outermost `pump` to hand it to JS.
    pub(super) deferred: Vec<Deferred>,
    /// A `pump` is running further up the stack; a nested one only drains the core.
    pub(super) pumping: bool,
    /// The socket that reported an `error`, handed to the core with its `close`, which the browser
    /// fires right after it: so, as natively, `readyState` during `error` is already the state
    /// after the close (`CLOSED`, or `CONNECTING` when a reconnect follows).
    pub(super) errored: Option<Generation>,
}

/// The driver's state, borrowed. Every borrow goes through these two.
pub(super) fn state(rc: &RefCell<Inner>) -> Ref<'_, Inner> {
    rc.try_borrow().unwrap_or_else(|_| borrow_failed())
}

pub(super) fn state_mut(rc: &RefCell<Inner>) -> RefMut<'_, Inner> {
    rc.try_borrow_mut().unwrap_or_else(|_| borrow_failed())
}

/// A borrow that fails is a bug of the driver (user code runs with no borrow held). In wasm it
/// traps, as `RefCell`'s own panic would with `panic = "abort"`, but without that panic's message,
/// whose formatting code would otherwise stay in the module (0.1 KB gzipped).
fn borrow_failed() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("the driver's state is already borrowed");
}

impl Inner {
    /// `delivery: 'acked'`: payloads travel in envelopes and sockets always receive array buffers.
    /// Always false in a build without the `acked` feature, so the code it guards folds away.
    pub(super) fn acked(&self) -> bool {
        self.machine.is_acked()
    }

    /// The browser socket of attempt `gen`, if it is the live one. A handle (a clone of the JS
    /// reference), so that the caller can release the borrow before calling any of its methods:
    /// with the `WebSocket` option, they may be user code that calls back into the driver.
    pub(super) fn ws_of(&self, gen: Generation) -> Option<WebSocket> {
        self.socket
            .as_ref()
            .filter(|s| s.gen == gen)
            .map(|s| s.ws.clone())
    }

    /// The live browser socket, whatever its generation (see [`Inner::ws_of`]).
    pub(super) fn live_ws(&self) -> Option<WebSocket> {
        self.socket.as_ref().map(|s| s.ws.clone())
    }
}
