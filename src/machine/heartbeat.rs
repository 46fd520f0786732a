//! Liveness of an open socket: idle interval, ping, pong deadline, all against the clock passed in.
//!
//! Deadlines are compared with `now`, never counted in timer firings, so a timer that fires late
//! (throttled background tab) only makes a check late, never wrong. A pong deadline that passes
//! while the page is hidden is not trusted: it is marked overdue and re-probed on becoming visible.

use super::config::HeartbeatConfig;
use super::shared::Millis;

#[derive(Clone, Copy, Debug)]
struct Ping {
    sent_at: Millis,
    deadline: Millis,
}

/// What a heartbeat check asks the machine to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    SendPing,
    Dead,
}

/// Heartbeat state of one open socket.
#[derive(Clone, Debug)]
pub(crate) struct Liveness {
    last_inbound: Millis,
    ping: Option<Ping>,
    /// The pong deadline passed while hidden: wait for visibility, then re-probe.
    overdue: bool,
}

impl Liveness {
    /// The socket opened at `now`; the open itself counts as traffic.
    pub(crate) fn new(now: Millis) -> Liveness {
        Liveness {
            last_inbound: now,
            ping: None,
            overdue: false,
        }
    }

    /// Inbound traffic of any kind proves the connection alive. Returns the round trip when
    /// it answers an outstanding ping.
    pub(crate) fn on_traffic(&mut self, now: Millis) -> Option<Millis> {
        self.last_inbound = now;
        self.overdue = false;
        self.ping
            .take()
            .map(|ping| now.saturating_sub(ping.sent_at))
    }

    /// Traffic the driver delivered without the core, reported afterwards (see
    /// [`crate::machine::Machine::handle_direct_traffic`]): it moves the idle deadline, never
    /// backwards, and only while no ping is outstanding (direct delivery stops when one goes out).
    pub(crate) fn on_direct_traffic(&mut self, at: Millis) {
        if self.ping.is_none() {
            self.last_inbound = self.last_inbound.max(at);
        }
    }

    /// When [`Liveness::check`] has something to do; `None` while an overdue ping waits for the
    /// page to become visible.
    pub(crate) fn deadline(&self, cfg: &HeartbeatConfig) -> Option<Millis> {
        match self.ping {
            Some(_) if self.overdue => None,
            Some(ping) => Some(ping.deadline),
            None => Some(self.last_inbound.saturating_add(cfg.interval)),
        }
    }

    /// Acts on whichever deadline has passed at `now`.
    pub(crate) fn check(&mut self, now: Millis, cfg: &HeartbeatConfig, hidden: bool) -> Due {
        match self.ping {
            Some(ping) if !self.overdue && ping.deadline <= now => {
                if hidden {
                    self.overdue = true;
                    Due::Nothing
                } else {
                    Due::Dead
                }
            }
            Some(_) => Due::Nothing,
            None if self.last_inbound.saturating_add(cfg.interval) <= now => {
                self.probe(now, now.saturating_add(cfg.timeout));
                Due::SendPing
            }
            None => Due::Nothing,
        }
    }

    /// Whether, on becoming visible at `now`, a pong deadline already passed (while hidden).
    pub(crate) fn needs_reprobe(&self, now: Millis) -> bool {
        self.overdue || self.ping.is_some_and(|ping| ping.deadline <= now)
    }

    /// The pong deadline of the outstanding ping, if any.
    pub(crate) fn pong_deadline(&self) -> Option<Millis> {
        self.ping.map(|ping| ping.deadline)
    }

    /// A ping goes out at `now` and must be answered by `deadline`.
    pub(crate) fn probe(&mut self, now: Millis, deadline: Millis) {
        self.overdue = false;
        self.ping = Some(Ping {
            sent_at: now,
            deadline,
        });
    }
}
