//! What an underlying close means for the connection: stop for good, or retry (and when).

use super::config::ReconnectConfig;
use super::shared::Millis;

/// The answer of the user's `shouldReconnect(closeEvent)` predicate, computed by the driver before
/// it calls [`super::Machine::handle_close`] (user code must not run while the machine is borrowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No predicate, or it deferred: apply the default policy of API.md §3.
    Default,
    /// `false`: terminal, as a terminal close code would be.
    Stop,
    /// `true`: reconnect even if the code is terminal by default; the delay is computed as usual
    /// (backoff, the 1012/1013 wait on top of it, a `retryAfterMs` hint).
    Reconnect,
    /// `{ delay }`: reconnect after exactly this delay. Taken as given, even above `maxDelay`: it
    /// is the user's explicit choice. `maxRetries` still counts the attempt.
    ReconnectAfter(Millis),
}

/// The decision for one close that the user did not ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Terminal: give up.
    Stop,
    /// Reconnect; `delay` replaces the backoff draw, `extra` is added to the draw. `restart`: a
    /// 1012 or 1013, whose first retry stays on the schedule (not `firstDelay`).
    Retry {
        delay: Option<Millis>,
        extra: Millis,
        restart: bool,
    },
}

impl Decision {
    /// A plain retry on the backoff schedule (closes the core initiates itself).
    pub(crate) const BACKOFF: Decision = Decision::Retry {
        delay: None,
        extra: 0,
        restart: false,
    };
}

/// Codes after which the default policy does not reconnect (API.md §3; the 3500–3999 and
/// 4500–4999 ranges follow centrifuge's convention).
pub fn is_terminal_code(code: u16) -> bool {
    matches!(code, 1002 | 1003 | 1007 | 1008 | 1009 | 1010 | 3500..=3999 | 4500..=4999)
}

/// Applies the verdict, else the default policy, to a close with `code` and `reason`.
pub(crate) fn decide(
    code: u16,
    reason: &str,
    verdict: Option<Verdict>,
    cfg: &ReconnectConfig,
) -> Decision {
    match verdict.unwrap_or(Verdict::Default) {
        Verdict::Stop => Decision::Stop,
        Verdict::ReconnectAfter(delay) => Decision::Retry {
            delay: Some(delay),
            extra: 0,
            restart: false,
        },
        Verdict::Default if is_terminal_code(code) => Decision::Stop,
        Verdict::Default | Verdict::Reconnect => Decision::Retry {
            // A server hint is honoured exactly but capped: a buggy or hostile server must not be
            // able to park the client forever. Raise maxDelay to honour longer hints.
            delay: retry_after_ms(reason).map(|ms| ms.min(cfg.max_delay)),
            // 1012 service restart / 1013 try again later: hammering a restarting server helps no
            // one, so wait 5 × minDelay (at most maxDelay) longer than the backoff would. Added to
            // the jittered draw rather than a minimum for it: a server restart closes every client
            // at once, and a minimum that every draw falls below brings them all back at the same
            // instant (with the defaults it was exactly 7 s for everyone).
            extra: if matches!(code, 1012 | 1013) {
                cfg.min_delay.saturating_mul(5).min(cfg.max_delay)
            } else {
                0
            },
            // Nor does its first retry take the narrow `firstDelay` window, which the fixed wait
            // would only move: the whole herd would come back within it.
            restart: matches!(code, 1012 | 1013),
        },
    }
}

/// The `retryAfterMs` number of a close reason that is a JSON object, e.g.
/// `{"retryAfterMs": 5000}`. A fraction rounds up (the server's wait is a minimum); negative
/// numbers, exponents and non-objects are not hints. A deliberately tiny scanner, not a JSON parser:
/// reasons are at most 123 bytes and serde_json would cost more than the whole core.
pub fn retry_after_ms(reason: &str) -> Option<Millis> {
    const KEY: &[u8] = b"\"retryAfterMs\"";
    let text = trim_json(reason.as_bytes());
    if text.first() != Some(&b'{') || text.last() != Some(&b'}') {
        return None;
    }
    // Slice patterns and `get` rather than range indexing throughout: an index that could be out
    // of range (it cannot) would bring the panic's message formatting into the wasm binary.
    let key_at = text.windows(KEY.len()).position(|window| window == KEY)?;
    let rest = trim_json_start(text.get(key_at + KEY.len()..)?);
    let rest = trim_json_start(rest.strip_prefix(b":")?);
    let (ms, rest) = digits(rest)?;
    let (ms, rest) = match rest.strip_prefix(b".") {
        Some(fraction) => {
            // Any non-zero digit makes the fraction non-zero, and saturation keeps it so.
            let (fraction, rest) = digits(fraction)?;
            (ms.saturating_add(u64::from(fraction > 0)), rest)
        }
        None => (ms, rest),
    };
    match trim_json_start(rest).first() {
        Some(b',' | b'}') => Some(ms),
        _ => None,
    }
}

/// The decimal number `text` starts with (saturating), and what follows; `None` without a digit.
fn digits(mut text: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = None;
    while let [digit @ b'0'..=b'9', rest @ ..] = text {
        let so_far: u64 = value.unwrap_or(0);
        value = Some(
            so_far
                .saturating_mul(10)
                .saturating_add(u64::from(digit - b'0')),
        );
        text = rest;
    }
    Some((value?, text))
}

fn is_json_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn trim_json_start(mut text: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = text {
        if !is_json_space(*first) {
            break;
        }
        text = rest;
    }
    text
}

/// Bytewise: JSON whitespace is ASCII, and no byte of a multi-byte UTF-8 character is.
fn trim_json(text: &[u8]) -> &[u8] {
    let mut text = trim_json_start(text);
    while let [rest @ .., last] = text {
        if !is_json_space(*last) {
            break;
        }
        text = rest;
    }
    text
}
