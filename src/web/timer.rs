//! The driver's one deadline timer.

use crate::machine::Millis;
use gloo_timers::callback::Timeout;

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
        fire: impl FnOnce() + 'static,
    ) {
        match deadline {
            None => self.armed = None,
            Some(at)
                if self
                    .armed
                    .as_ref()
                    .is_some_and(|(armed_at, _)| *armed_at <= at) => {}
            Some(at) => {
                // setTimeout takes a signed 32-bit delay and fires at once when it is larger
                // (gloo passes its u32 on as one); anything further away than ~24.8 days is
                // re-armed when this fires.
                let wait = at.saturating_sub(now()).min(i32::MAX as Millis) as u32;
                self.armed = Some((at, Timeout::new(wait, fire)));
            }
        }
    }

    /// Forgets the armed deadline after it fired, so the next `set` arms anew.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}
