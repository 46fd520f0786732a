//! Validation as pure functions over the raw values JS hands over.
//!
//! Numbers arrive as `f64` exactly as the user wrote them (possibly NaN, negative, infinite or
//! fractional); a value of the wrong JS type should be passed as `NaN` (numbers) or as the
//! `Other` variant / an empty string (enumerations), so it fails with the option's message.
//! `None` means "absent": the default applies. Errors carry static strings so that the wasm build
//! needs no formatting machinery; [`OptionError::message`] joins them.

use alloc::string::String;

use super::float;
use super::{
    AckedConfig, BufferConfig, CloseError, HeartbeatConfig, Jitter, Millis, Overflow,
    ReconnectConfig,
};

/// An option out of range: becomes a `TypeError` whose message names the option and the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The option's path as the user wrote it, e.g. `"reconnect.minDelay"`.
    pub option: &'static str,
    /// What it accepts, e.g. `"a finite number >= 0"`.
    pub expected: &'static str,
}

impl OptionError {
    /// `"reconnect.minDelay must be a finite number >= 0"`.
    pub fn message(&self) -> String {
        // push_str rather than `concat`, whose generic code is large in wasm.
        let mut message = String::from(self.option);
        message.push_str(" must be ");
        message.push_str(self.expected);
        message
    }
}

const DURATION: &str = "a finite number >= 0";
const POSITIVE: &str = "a finite number > 0";
const COUNT: &str = "an integer >= 0 or Infinity";

fn err<T>(option: &'static str, expected: &'static str) -> Result<T, OptionError> {
    Err(OptionError { option, expected })
}

/// Milliseconds: finite and >= 0 (and > 0 when `positive`). Fractions round up, so a deadline is
/// never shorter than asked.
fn millis(
    raw: Option<f64>,
    default: Millis,
    option: &'static str,
    positive: bool,
) -> Result<Millis, OptionError> {
    let Some(x) = raw else { return Ok(default) };
    let ok = x.is_finite() && if positive { x > 0.0 } else { x >= 0.0 };
    if !ok {
        return err(option, if positive { POSITIVE } else { DURATION });
    }
    Ok(float::ceil(x) as Millis)
}

/// An integer >= 0, or `Infinity` (returned as `None`).
fn count(raw: f64, option: &'static str) -> Result<Option<u64>, OptionError> {
    if raw == f64::INFINITY {
        return Ok(None);
    }
    if !(raw >= 0.0 && raw.is_finite() && float::trunc(raw) == raw) {
        return err(option, COUNT);
    }
    Ok(Some(raw as u64))
}

/// The raw `jitter` option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JitterOption<'a> {
    /// A string: `'full'`, `'equal'`, `'decorrelated'` or `'none'`.
    Name(&'a str),
    /// A number r, for `d·(1±r)`.
    Ratio(f64),
    /// Any other JS value.
    Other,
}

/// The raw `reconnect` object; `None` for an absent field.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReconnectOptions<'a> {
    /// `reconnect.minDelay`.
    pub min_delay: Option<f64>,
    /// `reconnect.maxDelay`.
    pub max_delay: Option<f64>,
    /// `reconnect.factor`.
    pub factor: Option<f64>,
    /// `reconnect.jitter`.
    pub jitter: Option<JitterOption<'a>>,
    /// `reconnect.maxRetries`.
    pub max_retries: Option<f64>,
    /// `reconnect.connectTimeout`.
    pub connect_timeout: Option<f64>,
    /// `reconnect.minUptime`.
    pub min_uptime: Option<f64>,
}

/// Validates `reconnect.*` and fills in the defaults.
pub fn reconnect_options(raw: &ReconnectOptions<'_>) -> Result<ReconnectConfig, OptionError> {
    let d = ReconnectConfig::default();
    let min_delay = millis(raw.min_delay, d.min_delay, "reconnect.minDelay", false)?;
    let max_delay = millis(raw.max_delay, d.max_delay, "reconnect.maxDelay", false)?;
    if min_delay > max_delay {
        return err(
            "reconnect.maxDelay",
            "a finite number >= reconnect.minDelay",
        );
    }
    let factor = match raw.factor {
        None => d.factor,
        Some(f) if f.is_finite() && f >= 1.0 => f,
        Some(_) => return err("reconnect.factor", "a finite number >= 1"),
    };
    let jitter = match raw.jitter {
        None => d.jitter,
        Some(JitterOption::Name("full")) => Jitter::Full,
        Some(JitterOption::Name("equal")) => Jitter::Equal,
        Some(JitterOption::Name("decorrelated")) => Jitter::Decorrelated,
        Some(JitterOption::Name("none")) => Jitter::None,
        Some(JitterOption::Ratio(r)) if (0.0..=1.0).contains(&r) => Jitter::Ratio(r),
        Some(_) => {
            return err(
                "reconnect.jitter",
                "'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]",
            )
        }
    };
    let max_retries = match raw.max_retries {
        None => d.max_retries,
        Some(x) => count(x, "reconnect.maxRetries")?.map(|n| n.min(u32::MAX.into()) as u32),
    };
    Ok(ReconnectConfig {
        min_delay,
        max_delay,
        factor,
        jitter,
        max_retries,
        connect_timeout: millis(
            raw.connect_timeout,
            d.connect_timeout,
            "reconnect.connectTimeout",
            true,
        )?,
        min_uptime: millis(raw.min_uptime, d.min_uptime, "reconnect.minUptime", false)?,
    })
}

/// The raw `heartbeat` object (`heartbeat: true` is all `None`); `None` for an absent field.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeartbeatOptions {
    /// `heartbeat.interval`.
    pub interval: Option<f64>,
    /// `heartbeat.timeout`.
    pub timeout: Option<f64>,
}

/// Validates `heartbeat.*` and fills in the defaults. Both must be > 0: a zero interval would
/// ping in a busy loop.
pub fn heartbeat_options(raw: &HeartbeatOptions) -> Result<HeartbeatConfig, OptionError> {
    let d = HeartbeatConfig::default();
    Ok(HeartbeatConfig {
        interval: millis(raw.interval, d.interval, "heartbeat.interval", true)?,
        timeout: millis(raw.timeout, d.timeout, "heartbeat.timeout", true)?,
    })
}

/// Validates `delivery` (`'plain'` or `'acked'`; a non-string: pass `""`) and `ackInterval`
/// (> 0; only used in acked mode). `None` is plain delivery.
pub fn delivery_options(
    delivery: Option<&str>,
    ack_interval: Option<f64>,
) -> Result<Option<AckedConfig>, OptionError> {
    let ack_interval = millis(
        ack_interval,
        AckedConfig::default().ack_interval,
        "ackInterval",
        true,
    )?;
    match delivery {
        None | Some("plain") => Ok(None),
        Some("acked") => Ok(Some(AckedConfig { ack_interval })),
        Some(_) => err("delivery", "'plain' or 'acked'"),
    }
}

/// The raw `buffer` object; `None` for an absent field. `buffer.replay` is a boolean or a JS
/// function, so the driver sets [`BufferConfig::replay`] itself.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BufferOptions<'a> {
    /// `buffer.maxMessages`.
    pub max_messages: Option<f64>,
    /// `buffer.maxBytes`.
    pub max_bytes: Option<f64>,
    /// `buffer.overflow` (a non-string: pass `""`).
    pub overflow: Option<&'a str>,
    /// `buffer.ttl`.
    pub ttl: Option<f64>,
}

/// Validates `buffer.*` and fills in the defaults.
pub fn buffer_options(raw: &BufferOptions<'_>) -> Result<BufferConfig, OptionError> {
    let d = BufferConfig::default();
    let max_messages = match raw.max_messages {
        None => d.max_messages,
        Some(x) => {
            count(x, "buffer.maxMessages")?.map_or(u32::MAX, |n| n.min(u32::MAX.into()) as u32)
        }
    };
    let max_bytes = match raw.max_bytes {
        None => d.max_bytes,
        Some(x) => count(x, "buffer.maxBytes")?.unwrap_or(u64::MAX),
    };
    let overflow = match raw.overflow {
        None => d.overflow,
        Some("throw") => Overflow::Throw,
        Some("drop-oldest") => Overflow::DropOldest,
        Some("drop-newest") => Overflow::DropNewest,
        Some(_) => return err("buffer.overflow", "'throw', 'drop-oldest' or 'drop-newest'"),
    };
    let ttl = match raw.ttl {
        Some(x) if x == f64::INFINITY => None,
        Some(x) if !(x.is_finite() && x >= 0.0) => {
            return err("buffer.ttl", "a finite number >= 0 or Infinity")
        }
        Some(x) => Some(float::ceil(x) as Millis),
        None => d.ttl,
    };
    Ok(BufferConfig {
        max_messages,
        max_bytes,
        overflow,
        ttl,
        replay: d.replay,
    })
}

/// Why a URL was refused; both are a `SyntaxError` in JS, as in the native constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// The scheme is not `ws:`, `wss:`, `http:` or `https:`.
    Scheme,
    /// The URL has a fragment (`#`, even an empty one).
    Fragment,
}

impl UrlError {
    /// The message for the `SyntaxError`.
    pub fn message(self) -> &'static str {
        match self {
            UrlError::Scheme => "The URL's scheme must be 'ws', 'wss', 'http' or 'https'.",
            UrlError::Fragment => "The URL contains a fragment identifier.",
        }
    }
}

/// Checks an absolute href, already parsed and resolved by the browser's `URL` against the
/// document base, and maps `http:` to `ws:` and `https:` to `wss:` as the native constructor does.
pub fn url(href: &str) -> Result<String, UrlError> {
    // Bytewise, and without a slicing that could panic: `str::find` and `contains` bring a large
    // memchr into the wasm binary, and a str slicing panic its formatting machinery.
    let colon = href.bytes().position(|b| b == b':');
    let Some((scheme, rest)) = colon.and_then(|colon| href.split_at_checked(colon)) else {
        return Err(UrlError::Scheme);
    };
    let scheme = if scheme.eq_ignore_ascii_case("ws") || scheme.eq_ignore_ascii_case("http") {
        "ws"
    } else if scheme.eq_ignore_ascii_case("wss") || scheme.eq_ignore_ascii_case("https") {
        "wss"
    } else {
        return Err(UrlError::Scheme);
    };
    // The URL parser percent-encodes '#' everywhere but in the fragment delimiter, so any '#'
    // in a parsed href starts a fragment.
    if rest.bytes().any(|b| b == b'#') {
        return Err(UrlError::Fragment);
    }
    let mut url = String::from(scheme);
    url.push_str(rest);
    Ok(url)
}

/// Why a protocol list was refused; both are a `SyntaxError` in JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// A protocol is empty or has a character outside the RFC 6455 token set.
    Invalid,
    /// A protocol appears twice (compared case-insensitively).
    Duplicate,
}

impl ProtocolError {
    /// The message for the `SyntaxError`.
    pub fn message(self) -> &'static str {
        match self {
            ProtocolError::Invalid => "A subprotocol is not a valid token.",
            ProtocolError::Duplicate => "A subprotocol is specified more than once.",
        }
    }
}

/// RFC 2616 `token` characters, which RFC 6455 requires of subprotocol names: visible ASCII
/// except separators.
fn is_token_char(c: u8) -> bool {
    // A `matches!` rather than a search of the separator list: `[u8]::contains` brings memchr.
    (0x21..0x7f).contains(&c)
        && !matches!(
            c,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// Checks the `protocols` argument.
pub fn protocols(list: &[&str]) -> Result<(), ProtocolError> {
    for (i, protocol) in list.iter().enumerate() {
        if protocol.is_empty() || !protocol.bytes().all(is_token_char) {
            return Err(ProtocolError::Invalid);
        }
        if list
            .iter()
            .take(i)
            .any(|seen| seen.eq_ignore_ascii_case(protocol))
        {
            return Err(ProtocolError::Duplicate);
        }
    }
    Ok(())
}

/// Checks the arguments of `close(code, reason)` and `reconnect(code, reason)`: `code` 1000 or
/// 3000–4999 (else `InvalidAccessError`), `reason` at most 123 UTF-8 bytes (else `SyntaxError`).
pub fn close_args(code: Option<u16>, reason: Option<&str>) -> Result<(), CloseError> {
    if code.is_some_and(|code| code != 1000 && !(3000..=4999).contains(&code)) {
        return Err(CloseError::InvalidCode);
    }
    if reason.is_some_and(|reason| reason.len() > 123) {
        return Err(CloseError::ReasonTooLong);
    }
    Ok(())
}

/// WebIDL `[Clamp] unsigned short`, the conversion the native `close(code)` applies to a JS
/// number: NaN is 0, out-of-range values clamp, fractions round half to even.
pub fn clamp_u16(x: f64) -> u16 {
    if x.is_nan() {
        return 0;
    }
    let x = x.clamp(0.0, 65535.0);
    let floor = float::floor(x);
    let rounded = match x - floor {
        d if d > 0.5 => floor + 1.0,
        d if d < 0.5 => floor,
        _ if floor % 2.0 == 0.0 => floor,
        _ => floor + 1.0,
    };
    rounded as u16
}
