//! The resilience options of API.md §2 as Rust types, already validated.
//!
//! The driver builds these from the numbers that `js/options.js` validated (`src/web/options.rs`).
//! With the crate feature `serde` they are also `Serialize` and `Deserialize`, in the form of the
//! JS options object (see [`Config`]).

use super::shared::Millis;

/// Every option the core needs. `Default` gives the documented defaults of API.md §2.
///
/// With the crate feature `serde`, `Config` and its parts are `Serialize` and `Deserialize` in
/// the form of the JS options object, so that one JSON text configures either face: the JS
/// options' names (`minDelay`, `maxRetries`, `pageLifecycle`, …), every field optional (absent
/// ones keep their defaults), `heartbeat` as `false`, `true` or an object, `jitter` as a name or
/// a number, `delivery: "plain" | "acked"` with `ackInterval` for `Config::acked`, and `null` for
/// `Infinity` (as `JSON.stringify` writes it). The options that are JS values or functions
/// (`shouldReconnect`, `heartbeat.message`, `WebSocket`, …) are not part of it and are ignored.
/// Deserializing checks names, types and shapes, not the ranges `js/options.js` checks.
///
/// ```
/// # // The example asks for acknowledged delivery, which needs the feature `acked` too.
/// # #[cfg(all(feature = "serde", feature = "acked"))] {
/// use resilient_websocket::machine::{Config, Jitter};
///
/// let options = r#"{
///     "reconnect": { "minDelay": 1000, "jitter": 0.5, "maxRetries": null },
///     "heartbeat": true,
///     "buffer": { "overflow": "drop-oldest" },
///     "delivery": "acked"
/// }"#;
/// let config: Config = serde_json::from_str(options).unwrap();
/// assert_eq!(config.reconnect.min_delay, 1000);
/// assert_eq!(config.reconnect.jitter, Jitter::Ratio(0.5));
/// assert_eq!(config.reconnect.max_delay, Config::default().reconnect.max_delay);
/// assert_eq!(config.heartbeat, Some(Default::default()));
/// assert_eq!(config.acked, Some(Default::default()));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        try_from = "super::serde_form::ConfigForm",
        into = "super::serde_form::ConfigForm"
    )
)]
pub struct Config {
    /// `reconnect.*`.
    pub reconnect: ReconnectConfig,
    /// `heartbeat`; `None` when off (the default).
    pub heartbeat: Option<HeartbeatConfig>,
    /// `buffer.*`.
    pub buffer: BufferConfig,
    /// `network`: react to [`super::Machine::handle_online`]/[`super::Machine::handle_offline`].
    pub network: bool,
    /// `pageLifecycle`: react to visibility, pagehide/pageshow and freeze/resume.
    pub page_lifecycle: bool,
    /// `startClosed`: do not connect until [`super::Machine::reconnect`] is called.
    pub start_closed: bool,
    /// `delivery: 'acked'` (PROTOCOL.md); `None` for `'plain'`, the default. Only with the
    /// `acked` feature: a build without it has no acknowledged delivery at all.
    #[cfg(feature = "acked")]
    pub acked: Option<AckedConfig>,
}

impl Config {
    /// Checks the ranges the JS face's options are held to (`factor >= 1`, `minDelay <=
    /// maxDelay`, ratios in [0, 1], positive timeouts and intervals), as
    /// [`validate::config`](super::validate::config) says; the Rust face refuses a `Config` that
    /// fails them before connecting.
    pub fn validate(&self) -> Result<(), super::validate::ConfigError> {
        super::validate::config(self)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            reconnect: ReconnectConfig::default(),
            heartbeat: None,
            buffer: BufferConfig::default(),
            network: true,
            page_lifecycle: true,
            start_closed: false,
            #[cfg(feature = "acked")]
            acked: None,
        }
    }
}

/// How the backoff delay is randomised; every attempt draws anew.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Jitter {
    /// Uniform in `0..=d` (AWS "full jitter").
    Full,
    /// `d/2` plus uniform in `0..=d/2` (AWS "equal jitter").
    Equal,
    /// AWS "decorrelated jitter": uniform in `minDelay..=3·previous`, capped by `maxDelay`.
    /// It ignores `factor`, as AWS defines it.
    Decorrelated,
    /// Exactly `d`.
    None,
    /// Uniform in `d·(1−r)..=d·(1+r)`, capped by `maxDelay`; `r` in `[0, 1]`.
    Ratio(f64),
}

/// `reconnect.*` of API.md §2.
///
/// `Default` gives the defaults of a user who set none of these options. Read from the JS
/// options (and from their serde form), `firstDelay` left out defaults to `null` rather than
/// [`ReconnectConfig::DEFAULT_FIRST_DELAY`] when `minDelay` or `jitter` is given: a schedule of
/// one's own applies from its first retry.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "camelCase", from = "super::serde_form::ReconnectForm")
)]
pub struct ReconnectConfig {
    /// Base of the backoff.
    pub min_delay: Millis,
    /// Cap of every delay the core chooses.
    pub max_delay: Millis,
    /// Growth per attempt (>= 1).
    pub factor: f64,
    /// Randomisation of each delay.
    pub jitter: Jitter,
    /// `firstDelay`: the first retry after a loss (the attempt counter at 0) waits uniformly
    /// `firstDelay·(1 ± firstJitter)`, capped by `maxDelay`, instead of its place on the schedule;
    /// every later retry stays on the schedule. `None` (`null`) puts the first retry on the
    /// schedule too. A close with 1012 or 1013 (a server announcing a restart, which closes every
    /// client at once) takes the schedule for its first retry all the same.
    pub first_delay: Option<Millis>,
    /// `firstJitter`: the half-width of the first retry's window as a ratio of `firstDelay`, in
    /// `[0, 1]`.
    pub first_jitter: f64,
    /// Failed attempts in a row before giving up; `None` is `Infinity`.
    pub max_retries: Option<u32>,
    /// A handshake slower than this is abandoned and counts as a failed attempt. Also bounds how
    /// long the user's `close()` waits for the server's closing handshake.
    pub connect_timeout: Millis,
    /// The attempt counter resets only after a connection stayed open this long.
    pub min_uptime: Millis,
}

impl ReconnectConfig {
    /// `firstDelay`'s default while `minDelay` and `jitter` are at theirs.
    pub const DEFAULT_FIRST_DELAY: Millis = 1200;
}

impl Default for ReconnectConfig {
    /// The first retry after a loss waits 0.9–1.5 s, the second 0–4 s, every later one 0–9 s
    /// (full jitter). Chosen with the thundering-herd simulation of `benches/herd.rs`
    /// (BENCHMARKS.md), where no schedule beat every peer formula both for a client dropped alone
    /// and for 10,000 dropped at once: this one beats the most (partysocket and socket.io-client)
    /// on every figure, and loses the herd to reconnecting-websocket. `online` reconnects within
    /// 1 s whatever the backoff, and `pageshow`/`resume` and `reconnect()` at once.
    fn default() -> Self {
        ReconnectConfig {
            min_delay: 1600,
            max_delay: 9000,
            factor: 2.5,
            jitter: Jitter::Full,
            first_delay: Some(Self::DEFAULT_FIRST_DELAY),
            first_jitter: 0.25,
            max_retries: None,
            connect_timeout: 10_000,
            min_uptime: 5000,
        }
    }
}

/// `heartbeat.*` of API.md §2. The message and the pong matcher are JS values the driver keeps;
/// their defaults are [`HeartbeatConfig::DEFAULT_MESSAGE`] and [`HeartbeatConfig::DEFAULT_PONG`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct HeartbeatConfig {
    /// A ping is sent after this long without inbound traffic (> 0).
    pub interval: Millis,
    /// No inbound traffic this long after a ping: the connection is dead (> 0).
    pub timeout: Millis,
}

impl HeartbeatConfig {
    /// `heartbeat.message`'s default, the ping the driver sends (payloads never enter the core,
    /// but their defaults live here with the others).
    pub const DEFAULT_MESSAGE: &'static str = "ping";
    /// `heartbeat.pong`'s default, the text that an inbound pong equals.
    pub const DEFAULT_PONG: &'static str = "pong";
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        HeartbeatConfig {
            interval: 25_000,
            timeout: 10_000,
        }
    }
}

/// What `send()` does when the queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Overflow {
    /// Refuse the message (`QuotaExceededError`).
    Throw,
    /// Drop queued messages, oldest first, until the new one fits.
    DropOldest,
    /// Drop the new message.
    DropNewest,
}

/// `buffer.*` of API.md §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct BufferConfig {
    /// Queue cap by count (`u32::MAX` for `Infinity`).
    #[cfg_attr(feature = "serde", serde(with = "super::serde_form::uncapped"))]
    pub max_messages: u32,
    /// Queue cap by bytes (`u64::MAX` for `Infinity`).
    #[cfg_attr(feature = "serde", serde(with = "super::serde_form::uncapped"))]
    pub max_bytes: u64,
    /// What happens when a message does not fit.
    pub overflow: Overflow,
    /// Messages older than this at replay time are dropped; `None` is `Infinity`.
    pub ttl: Option<Millis>,
    /// `buffer.replay: false` drops every queued message (as `Filtered`) at replay time. A JS
    /// filter function is not this flag: leave it `true` and pass the rejected ids to
    /// [`super::Machine::replay`].
    pub replay: bool,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            max_messages: 10_000,
            max_bytes: 16 * 1024 * 1024,
            overflow: Overflow::Throw,
            ttl: None,
            replay: true,
        }
    }
}

/// The options of `delivery: 'acked'` (the `acked` feature).
#[cfg(feature = "acked")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct AckedConfig {
    /// `ackInterval`: a message received is acknowledged at most this long after it arrived
    /// (sooner when something is sent, which carries the ack, or after a burst).
    pub ack_interval: Millis,
}

#[cfg(feature = "acked")]
impl Default for AckedConfig {
    fn default() -> Self {
        AckedConfig { ack_interval: 100 }
    }
}
