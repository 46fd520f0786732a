//! The serde form of [`Config`] (feature `serde`): the JS options object of API.md §2, so that
//! the options a JS user writes, as JSON, are what the Rust side reads and writes.
//!
//! Most of it is derived (`camelCase` names; every field optional, absent ones at their
//! defaults). What the Rust types spell differently from the JS options is translated here:
//!
//! - `heartbeat` is `false` (off), `true` (the defaults) or an object, as in JS;
//! - `reconnect.jitter` is a name (`"full"`, …) or a number, as in JS;
//! - `delivery: "plain" | "acked"` and `ackInterval` stand for `Config::acked`, as in JS (in a
//!   build without the `acked` feature, `"acked"` is refused and `ackInterval` ignored);
//! - `Infinity`, which JSON cannot write, is `null` (what `JSON.stringify` makes of it), for
//!   `maxRetries` and `ttl` as for the caps `maxMessages` and `maxBytes`;
//! - `reconnect.firstDelay` left out is `null` when `minDelay` or `jitter` is given, as in JS.
//!
//! `heartbeat` and `jitter` take one of two shapes, so they need a self-describing format such
//! as JSON. Deserializing checks names, types and shapes, not the ranges `js/options.js` checks
//! (`factor >= 1`, `minDelay <= maxDelay`, …).

use core::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "acked")]
use super::config::AckedConfig;
use super::config::{BufferConfig, Config, HeartbeatConfig, Jitter, ReconnectConfig};
use super::shared::Millis;

/// [`Config`] as the JS options object holds it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ConfigForm {
    reconnect: ReconnectConfig,
    #[serde(with = "heartbeat")]
    heartbeat: Option<HeartbeatConfig>,
    buffer: BufferConfig,
    network: bool,
    page_lifecycle: bool,
    start_closed: bool,
    delivery: Delivery,
    /// Kept in the form even with `delivery: "plain"`, where it does nothing, as in JS.
    #[cfg(feature = "acked")]
    ack_interval: super::shared::Millis,
}

/// The JS option `delivery`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Delivery {
    Plain,
    Acked,
}

impl Default for ConfigForm {
    /// The defaults stay in one place, [`Config::default`].
    fn default() -> Self {
        Config::default().into()
    }
}

impl From<Config> for ConfigForm {
    fn from(config: Config) -> Self {
        ConfigForm {
            reconnect: config.reconnect,
            heartbeat: config.heartbeat,
            buffer: config.buffer,
            network: config.network,
            page_lifecycle: config.page_lifecycle,
            start_closed: config.start_closed,
            #[cfg(feature = "acked")]
            delivery: match config.acked {
                Some(_) => Delivery::Acked,
                None => Delivery::Plain,
            },
            #[cfg(not(feature = "acked"))]
            delivery: Delivery::Plain,
            #[cfg(feature = "acked")]
            ack_interval: config.acked.unwrap_or_default().ack_interval,
        }
    }
}

impl TryFrom<ConfigForm> for Config {
    type Error = &'static str;

    /// Fails only for `delivery: "acked"` in a build without acknowledged delivery, which must
    /// not quietly become plain delivery (the JS class's plain build refuses it likewise).
    fn try_from(form: ConfigForm) -> Result<Self, Self::Error> {
        #[cfg(not(feature = "acked"))]
        if let Delivery::Acked = form.delivery {
            return Err("delivery \"acked\" needs the crate feature `acked`");
        }
        Ok(Config {
            reconnect: form.reconnect,
            heartbeat: form.heartbeat,
            buffer: form.buffer,
            network: form.network,
            page_lifecycle: form.page_lifecycle,
            start_closed: form.start_closed,
            #[cfg(feature = "acked")]
            acked: match form.delivery {
                Delivery::Acked => Some(AckedConfig {
                    ack_interval: form.ack_interval,
                }),
                Delivery::Plain => None,
            },
        })
    }
}

/// `reconnect` as read: every field optional, and whether `firstDelay` and `maxRetries` were
/// given apart from their value (`null` is a value of both).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReconnectForm {
    min_delay: Option<Millis>,
    max_delay: Option<Millis>,
    factor: Option<f64>,
    jitter: Option<Jitter>,
    #[serde(default, deserialize_with = "given")]
    first_delay: Option<Option<Millis>>,
    first_jitter: Option<f64>,
    #[serde(default, deserialize_with = "given")]
    max_retries: Option<Option<u32>>,
    connect_timeout: Option<Millis>,
    min_uptime: Option<Millis>,
}

/// A field that is present, `null` included.
fn given<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl From<ReconnectForm> for ReconnectConfig {
    fn from(form: ReconnectForm) -> Self {
        let d = ReconnectConfig::default();
        // A schedule of one's own applies from its first retry unless firstDelay is given too.
        let own_schedule = form.min_delay.is_some() || form.jitter.is_some();
        ReconnectConfig {
            min_delay: form.min_delay.unwrap_or(d.min_delay),
            max_delay: form.max_delay.unwrap_or(d.max_delay),
            factor: form.factor.unwrap_or(d.factor),
            jitter: form.jitter.unwrap_or(d.jitter),
            first_delay: form.first_delay.unwrap_or(if own_schedule {
                None
            } else {
                d.first_delay
            }),
            first_jitter: form.first_jitter.unwrap_or(d.first_jitter),
            max_retries: form.max_retries.unwrap_or(d.max_retries),
            connect_timeout: form.connect_timeout.unwrap_or(d.connect_timeout),
            min_uptime: form.min_uptime.unwrap_or(d.min_uptime),
        }
    }
}

/// `heartbeat`: `false`, `true` or an object (whose absent fields take their defaults).
mod heartbeat {
    use core::fmt;

    use serde::de::value::MapAccessDeserializer;
    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::HeartbeatConfig;

    pub(super) fn serialize<S: Serializer>(
        heartbeat: &Option<HeartbeatConfig>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match heartbeat {
            Some(heartbeat) => heartbeat.serialize(serializer),
            None => serializer.serialize_bool(false),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<HeartbeatConfig>, D::Error> {
        deserializer.deserialize_any(HeartbeatVisitor)
    }

    struct HeartbeatVisitor;

    impl<'de> Visitor<'de> for HeartbeatVisitor {
        type Value = Option<HeartbeatConfig>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean or an object")
        }

        fn visit_bool<E: de::Error>(self, on: bool) -> Result<Self::Value, E> {
            Ok(on.then(HeartbeatConfig::default))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            HeartbeatConfig::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
    }
}

impl Serialize for Jitter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let name = match *self {
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
            Jitter::None => "none",
            Jitter::Ratio(ratio) => return serializer.serialize_f64(ratio),
        };
        serializer.serialize_str(name)
    }
}

impl<'de> Deserialize<'de> for Jitter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JitterVisitor)
    }
}

struct JitterVisitor;

impl Visitor<'_> for JitterVisitor {
    type Value = Jitter;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("'full', 'equal', 'decorrelated', 'none' or a number in [0, 1]")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Jitter, E> {
        match name {
            "full" => Ok(Jitter::Full),
            "equal" => Ok(Jitter::Equal),
            "decorrelated" => Ok(Jitter::Decorrelated),
            "none" => Ok(Jitter::None),
            _ => Err(E::invalid_value(Unexpected::Str(name), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, ratio: f64) -> Result<Jitter, E> {
        Ok(Jitter::Ratio(ratio))
    }

    // JSON's `0` and `1` arrive as integers.
    fn visit_u64<E: de::Error>(self, ratio: u64) -> Result<Jitter, E> {
        Ok(Jitter::Ratio(ratio as f64))
    }

    fn visit_i64<E: de::Error>(self, ratio: i64) -> Result<Jitter, E> {
        Ok(Jitter::Ratio(ratio as f64))
    }
}

/// A cap whose largest value means "no cap" (`Infinity` in JS), written as `null`.
pub(crate) mod uncapped {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The integer types of the caps, with the value that spells "no cap".
    pub(crate) trait Cap: Copy + PartialEq + Serialize + DeserializeOwned {
        /// `Infinity`.
        const UNCAPPED: Self;
    }

    impl Cap for u32 {
        const UNCAPPED: u32 = u32::MAX;
    }

    impl Cap for u64 {
        const UNCAPPED: u64 = u64::MAX;
    }

    pub(crate) fn serialize<T: Cap, S: Serializer>(
        cap: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if *cap == T::UNCAPPED {
            serializer.serialize_none()
        } else {
            serializer.serialize_some(cap)
        }
    }

    pub(crate) fn deserialize<'de, T: Cap, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or(T::UNCAPPED))
    }
}
