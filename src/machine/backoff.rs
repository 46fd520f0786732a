//! The delay schedule: attempt n waits `jitter(min(maxDelay, minDelay·factor^n))`, except that
//! the first one after a loss may wait `firstDelay·(1 ± firstJitter)` instead.

use super::config::{Jitter, ReconnectConfig};
use super::rng::Rng;
use super::shared::Millis;

/// `min(maxDelay, minDelay·factor^n)`, the delay before jitter for the retry numbered `n`
/// (0 for the first retry after a loss).
pub(crate) fn ceiling(cfg: &ReconnectConfig, n: u32) -> Millis {
    // f64 because factor is fractional; powi of a huge n gives inf, which `min` caps. A float
    // always converts to an integer by saturation in Rust, so a malformed config cannot panic.
    let grown = cfg.min_delay as f64 * cfg.factor.powi(i32::try_from(n).unwrap_or(i32::MAX));
    (grown.min(cfg.max_delay as f64) as Millis).min(cfg.max_delay)
}

/// The jittered delay schedule; holds the only state a strategy needs between attempts
/// (the previous delay, for decorrelated jitter).
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    previous: Millis,
}

impl Backoff {
    pub(crate) fn new(cfg: &ReconnectConfig) -> Backoff {
        Backoff {
            previous: cfg.min_delay,
        }
    }

    /// Forgets the history, as after a connection that stayed up for `minUptime`.
    pub(crate) fn reset(&mut self, cfg: &ReconnectConfig) {
        self.previous = cfg.min_delay;
    }

    /// The delay before retry `n` (0-based), drawn anew; always within `0..=maxDelay`. `first`
    /// allows retry 0 to take `firstDelay` (false after a 1012 or 1013).
    pub(crate) fn next_delay(
        &mut self,
        cfg: &ReconnectConfig,
        n: u32,
        first: bool,
        rng: &mut Rng,
    ) -> Millis {
        if let (0, true, Some(center)) = (n, first, cfg.first_delay) {
            let r = cfg.first_jitter;
            let lo = (center as f64 * (1.0 - r)) as Millis;
            let hi = (center as f64 * (1.0 + r)) as Millis;
            let delay = rng.between(lo.min(cfg.max_delay), hi.min(cfg.max_delay));
            self.previous = delay;
            return delay;
        }
        let d = ceiling(cfg, n);
        let delay = match cfg.jitter {
            Jitter::Full => rng.between(0, d),
            Jitter::Equal => d / 2 + rng.between(0, d - d / 2),
            Jitter::None => d,
            Jitter::Ratio(r) => {
                let lo = (d as f64 * (1.0 - r)) as Millis;
                let hi = (d as f64 * (1.0 + r)) as Millis;
                rng.between(lo.min(cfg.max_delay), hi.min(cfg.max_delay))
            }
            Jitter::Decorrelated => {
                let hi = self.previous.saturating_mul(3).max(cfg.min_delay);
                rng.between(cfg.min_delay, hi)
            }
        }
        .min(cfg.max_delay);
        self.previous = delay;
        delay
    }
}
