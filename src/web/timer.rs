//! The driver's one deadline timer.

use super::js::Handler;
use crate::machine::Millis;
use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `setTimeout(handler, delay)`: a number in browsers, an object in Node; only handed back.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, delay: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// A pending `setTimeout`, cleared when dropped.
struct Timeout {
    handle: JsValue,
    /// Called at most once by the browser; kept alive until the timeout is cleared or replaced.
    _handler: Handler,
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// A timer armed for the core's earliest deadline.
///
/// A deadline that moves later leaves the timer as it is: it fires early, the core finds nothing
/// due yet, and the driver arms it anew for the later deadline then. With a heartbeat, every
/// inbound message moves the idle deadline; re-arming on each would cost a `clearTimeout`, a
/// `setTimeout` and a closure per message.
#[derive(Default)]
pub(crate) struct DeadlineTimer {
    armed: Option<(Millis, Timeout)>,
}

impl DeadlineTimer {
    /// Arms for `deadline` (or disarms on `None`) unless already armed for that deadline or an
    /// earlier one. `now` is read only when arming; `fire` runs when the timer expires; dropping
    /// the previous `Timeout` cancels it.
    pub(crate) fn set(
        &mut self,
        deadline: Option<Millis>,
        now: impl FnOnce() -> Millis,
        mut fire: impl FnMut() + 'static,
    ) {
        match deadline {
            None => self.armed = None,
            Some(at)
                if self
                    .armed
                    .as_ref()
                    .is_some_and(|(armed_at, _)| *armed_at <= at) => {}
            Some(at) => {
                // setTimeout takes a signed 32-bit delay and fires at once when it is larger;
                // anything further away than ~24.8 days is re-armed when this fires.
                let wait = at.saturating_sub(now()).min(i32::MAX as Millis) as i32;
                let handler = Handler::new(move |_| fire());
                let handle = set_timeout(handler.as_ref().unchecked_ref(), wait);
                self.armed = Some((
                    at,
                    Timeout {
                        handle,
                        _handler: handler,
                    },
                ));
            }
        }
    }

    /// Forgets the armed deadline after it fired, so the next `set` arms anew.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}
