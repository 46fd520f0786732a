//! The driver's one deadline timer.

use crate::machine::Millis;
use gloo_timers::callback::Timeout;

/// A timer armed for the core's earliest deadline, re-armed only when that deadline changes.
#[derive(Default)]
pub(crate) struct DeadlineTimer {
    armed: Option<(Millis, Timeout)>,
}

impl DeadlineTimer {
    /// Arms for `deadline` (or disarms on `None`) unless already armed for exactly that deadline.
    /// `fire` runs once when the timer expires; dropping the previous `Timeout` cancels it.
    pub(crate) fn set(
        &mut self,
        deadline: Option<Millis>,
        now: Millis,
        fire: impl FnOnce() + 'static,
    ) {
        match deadline {
            None => self.armed = None,
            Some(at)
                if self
                    .armed
                    .as_ref()
                    .is_some_and(|(armed_at, _)| *armed_at == at) => {}
            Some(at) => {
                // setTimeout takes a u32; anything further away than ~49 days is re-armed on firing.
                let wait = u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX);
                self.armed = Some((at, Timeout::new(wait, fire)));
            }
        }
    }

    /// Forgets the armed deadline after it fired, so the next `set` arms anew.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}
