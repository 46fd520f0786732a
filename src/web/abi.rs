//! The numbers that cross between the wasm driver and the JS class: the one source of truth.
//!
//! Numbers cost nothing to pass where names would be decoded from wasm memory on every call, so
//! the boundary speaks in small integers: which attribute `attribute()` reads, the kind of each
//! report `emit()` makes, the error codes of `send()`/`close()`, the slots of the options array and
//! of the hooks array, the order of `stats`, and the names that options code as their index. Each
//! table is declared once, here, with its JS names; `js/abi.js` is generated from this file, and
//! the test at the bottom fails when the file in the tree is not what this file generates
//! (`RWS_WRITE_ABI=1 cargo test --lib abi` rewrites it). Rust code uses the enums, JS code the
//! generated constants: neither side writes a bare index.

/// Declares a boundary table: a `#[repr(u8)]` enum numbered from 0 in declaration order, whose
/// variants carry their JS names, and its entry in [`TABLES`] (through `table()`).
macro_rules! boundary {
    (
        $(#[doc = $doc:literal])*
        $name:ident, js $prefix:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $js:literal, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("\n\nIn JS: `", $js, "`.")] $variant, )+
        }

        impl $name {
            /// Every variant, in the order of their numbers.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The JS name of this entry (a camelCase key or an option's string value).
            pub fn js_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $js, )+
                }
            }

            /// The variant numbered `n`, if there is one.
            pub fn from_number(n: u32) -> Option<$name> {
                usize::try_from(n).ok().and_then(|n| $name::ALL.get(n)).copied()
            }

            #[cfg(test)]
            pub(in crate::web::abi) fn table() -> Table {
                Table {
                    prefix: $prefix,
                    doc: &[$($doc),*],
                    names: &[$($js),+],
                }
            }
        }
    };
}

boundary! {
    /// What `WebDriver.attribute(n)` reads.
    Attribute, js "ATTRIBUTE" {
        ReadyState = "readyState",
        ConnectionState = "connectionState",
        Url = "url",
        Protocol = "protocol",
        Extensions = "extensions",
        BinaryType = "binaryType",
        BufferedAmount = "bufferedAmount",
        /// Whether the instance uses acknowledged delivery (fixed for its life).
        Acked = "acked",
    }
}

boundary! {
    /// What the driver reports through `host.emit(kind, a, b, c)`: an event to dispatch (its
    /// type is the JS name) or a request to the class.
    Kind, js "KIND" {
        Message = "message",
        Open = "open",
        Close = "close",
        Error = "error",
        StateChange = "statechange",
        Reconnecting = "reconnecting",
        GiveUp = "giveup",
        Drop = "drop",
        Heartbeat = "heartbeat",
        SessionLost = "sessionlost",
        /// A request to call the URL and protocols providers for an attempt.
        Provide = "provide",
        /// An exception thrown by user code (a hook or provider), to report.
        HookError = "hookerror",
    }
}

boundary! {
    /// What `send()`, `close()` and `reconnect()` return: 0, or the exception to throw.
    ErrorCode, js "ERROR" {
        None = "none",
        /// `send()` after a terminal close: `InvalidStateError`.
        Closed = "closed",
        /// `send()` with the buffer full and `overflow: 'throw'`: `QuotaExceededError`.
        BufferFull = "bufferFull",
        /// A close code other than 1000 or 3000–4999: `InvalidAccessError`.
        InvalidCode = "invalidCode",
        /// A close reason over 123 UTF-8 bytes: `SyntaxError`.
        ReasonTooLong = "reasonTooLong",
    }
}

boundary! {
    /// The slots of the `Float64Array` that `readOptions` (js/options.js) fills from the third
    /// constructor argument; NaN in a slot means the option is absent and the core's default
    /// applies. Milliseconds are rounded up, counts are integers or Infinity (no cap).
    OptionSlot, js "OPTION" {
        MinDelay = "minDelay",
        MaxDelay = "maxDelay",
        Factor = "factor",
        /// A ratio in [0, 1], or -1 - the index of a name of [`Jitter`].
        Jitter = "jitter",
        /// Milliseconds, or -1 for `null` (no separate first retry).
        FirstDelay = "firstDelay",
        /// A ratio in [0, 1].
        FirstJitter = "firstJitter",
        MaxRetries = "maxRetries",
        ConnectTimeout = "connectTimeout",
        MinUptime = "minUptime",
        /// 1 or 0.
        Heartbeat = "heartbeat",
        Interval = "interval",
        Timeout = "timeout",
        MaxMessages = "maxMessages",
        MaxBytes = "maxBytes",
        /// The number of an [`Overflow`].
        Overflow = "overflow",
        /// Milliseconds, or Infinity.
        Ttl = "ttl",
        /// 1 or 0; 1 also for a filter function.
        Replay = "replay",
        Network = "network",
        PageLifecycle = "pageLifecycle",
        StartClosed = "startClosed",
        /// The number of a [`Delivery`].
        Delivery = "delivery",
        AckInterval = "ackInterval",
        ExposePongs = "exposePongs",
    }
}

boundary! {
    /// The slots of the array of options that stay JS values.
    HookSlot, js "HOOK" {
        ShouldReconnect = "shouldReconnect",
        /// `heartbeat.message`: the payload, or a function returning it.
        HeartbeatMessage = "heartbeatMessage",
        /// `heartbeat.pong`: the string a pong equals, or a predicate over the message data.
        HeartbeatPong = "heartbeatPong",
        /// `buffer.replay` when it is a function.
        ReplayFilter = "replayFilter",
        /// The `WebSocket` constructor to drive.
        WebSocket = "WebSocket",
        /// A share group's connection with acknowledged delivery (js/share-link.js): called as
        /// `numbered(id, seq)` just before the frame of message `id` (the number `sendTracked`
        /// returned) is written with sequence number `seq`, so that the group hears of it first.
        Numbered = "numbered",
        /// The same connection's `released(id)`: the server acknowledged message `id`.
        Released = "released",
    }
}

boundary! {
    /// The numbers `WebDriver.stats(out)` writes, in order; the JS names are the keys of `stats`.
    Stat, js "STAT" {
        Attempts = "attempts",
        Reconnects = "reconnects",
        DowntimeMs = "downtimeMs",
        /// NaN before the first round trip (`null` in JS).
        LastRtt = "lastRtt",
        Queued = "queued",
        QueuedBytes = "queuedBytes",
        Dropped = "dropped",
        Replayed = "replayed",
        Unacked = "unacked",
        UnackedBytes = "unackedBytes",
        Resent = "resent",
    }
}

boundary! {
    /// The names of `reconnect.jitter`, coded in [`OptionSlot::Jitter`] as -1 - their number.
    Jitter, js "JITTER" {
        Full = "full",
        Equal = "equal",
        Decorrelated = "decorrelated",
        None = "none",
    }
}

boundary! {
    /// The names of `buffer.overflow`.
    Overflow, js "OVERFLOW" {
        Throw = "throw",
        DropOldest = "drop-oldest",
        DropNewest = "drop-newest",
    }
}

boundary! {
    /// The names of `delivery`.
    Delivery, js "DELIVERY" {
        Plain = "plain",
        Acked = "acked",
    }
}

/// The share group's tables: only the `share` feature's export (src/web/group.rs) reads them, but
/// js/abi.js carries them in every build, so that it stays one file.
#[cfg_attr(not(all(feature = "share", feature = "js-face")), allow(dead_code))]
mod group_tables {
    #[cfg(test)]
    use super::generated::Table;
    boundary! {
        /// What `GroupMember.poll(out)` returns (`share`, js/share.js): the next effect of the share
        /// group's machine (`machine::group::GroupOutput`), its numbers in `out`.
        GroupEffect, js "EFFECT" {
            /// Nothing more to do.
            None = "none",
            /// Post `out` (a post's numbers, see [`GroupPost`]) on the channel.
            Post = "post",
            /// Ask for the lock; `out[0]`: 1 to steal it.
            RequestLock = "requestLock",
            ReleaseLock = "releaseLock",
            /// Start the holder's connection; acked: continuing the session at incarnation
            /// `out[0]` with the server's messages received up to `out[1]` (NaN both in plain).
            Connect = "connect",
            Disconnect = "disconnect",
            /// Write on the socket the message of member `out[0]` numbered `out[1]`.
            Write = "write",
            /// Dispatch the `inbound` post just handled.
            Deliver = "deliver",
            /// The member's own message `out[0]` was written (acked: the server has it).
            Written = "written",
            /// The member's role is now `out[0]` (see [`GroupRole`]).
            Role = "role",
            /// Acked: the member's own message `out[0]` was in the session the server lost.
            Unconfirmed = "unconfirmed",
            /// Acked: the group's session was lost, with `out[0]` of the member's messages.
            SessionLost = "sessionLost",
        }
    }

    boundary! {
        /// The kinds of post on a share group's channel, `out[0]` of a post: then the term's count and
        /// holder, and the post's own numbers in the order of `machine::group::Post`'s fields.
        GroupPost, js "POST" {
            Hello = "hello",
            Beat = "beat",
            Send = "send",
            Sent = "sent",
            Inbound = "inbound",
            Numbered = "numbered",
            Welcome = "welcome",
            Position = "position",
            Acked = "acked",
        }
    }

    boundary! {
        /// A share group member's role, as `shareRole` names it.
        GroupRole, js "ROLE" {
            Electing = "electing",
            Follower = "follower",
            Holder = "holder",
            Left = "left",
        }
    }
}
#[cfg(any(test, all(feature = "share", feature = "js-face")))]
pub use group_tables::{GroupEffect, GroupPost, GroupRole};

#[cfg(test)]
mod generated {
    //! `js/abi.js`, generated from the tables above and compared with the file in the tree.

    use super::*;
    use std::fmt::Write as _;

    /// One table as `js/abi.js` spells it.
    pub(super) struct Table {
        /// The prefix of its constants (`ATTRIBUTE_READY_STATE`).
        pub(super) prefix: &'static str,
        /// The lines of the enum's doc comment.
        pub(super) doc: &'static [&'static str],
        pub(super) names: &'static [&'static str],
    }

    fn tables() -> [Table; 12] {
        [
            Attribute::table(),
            Kind::table(),
            ErrorCode::table(),
            OptionSlot::table(),
            HookSlot::table(),
            Stat::table(),
            Jitter::table(),
            Overflow::table(),
            Delivery::table(),
            GroupEffect::table(),
            GroupPost::table(),
            GroupRole::table(),
        ]
    }

    /// `readyState` → `READY_STATE`, `drop-oldest` → `DROP_OLDEST`, `WebSocket` → `WEB_SOCKET`.
    fn constant(name: &str) -> String {
        let mut out = String::new();
        let mut previous_lower = false;
        for c in name.chars() {
            if c == '-' {
                out.push('_');
                previous_lower = false;
            } else if c.is_ascii_uppercase() {
                if previous_lower {
                    out.push('_');
                }
                out.push(c);
                previous_lower = false;
            } else {
                out.push(c.to_ascii_uppercase());
                previous_lower = true;
            }
        }
        out
    }

    /// A doc comment's lines as a JSDoc comment, in JS's terms.
    fn comment(doc: &[&str]) -> String {
        let lines: Vec<&str> = doc.iter().map(|line| line.trim()).collect();
        let text = lines.join(" ").replace("[`", "`").replace("`]", "`");
        format!("/** {text} */\n")
    }

    pub(super) fn js_abi() -> String {
        let mut out = String::from(
            "// @ts-check\n\
             // GENERATED from src/web/abi.rs: do not edit. Change the tables there and run\n\
             // `RWS_WRITE_ABI=1 cargo test --lib abi`; `cargo test` fails while this file differs.\n\
             // The numbers that cross between the wasm driver and the JS class (see src/web/abi.rs).\n",
        );
        for table in tables() {
            out.push('\n');
            out.push_str(&comment(table.doc));
            for (n, name) in table.names.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "export const {}_{} = {n};",
                    table.prefix,
                    constant(name)
                );
            }
            let _ = writeln!(
                out,
                "export const {}_COUNT = {};",
                table.prefix,
                table.names.len()
            );
            let list = table
                .names
                .iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "/** The JS names, by number. */");
            let _ = writeln!(
                out,
                "export const {}_NAMES = /** @type {{const}} */ ([{list}]);",
                table.prefix
            );
        }
        out
    }
}

#[cfg(test)]
use generated::Table;

#[cfg(test)]
mod tests {
    use super::generated::js_abi;
    use super::*;

    const JS_ABI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/js/abi.js");

    #[test]
    fn js_abi_is_generated_from_the_tables() {
        let expected = js_abi();
        if std::env::var_os("RWS_WRITE_ABI").is_some() {
            std::fs::write(JS_ABI, &expected).expect("js/abi.js is writable");
        }
        let actual = std::fs::read_to_string(JS_ABI).unwrap_or_default();
        assert!(
            actual == expected,
            "js/abi.js is not what src/web/abi.rs generates: run `RWS_WRITE_ABI=1 cargo test --lib abi` \
             (and update the JS that uses a changed table)\n--- expected ---\n{expected}\n--- found ---\n{actual}"
        );
    }

    #[test]
    fn numbers_round_trip() {
        for &kind in Kind::ALL {
            assert_eq!(Kind::from_number(kind as u32), Some(kind));
        }
        assert_eq!(Kind::from_number(Kind::ALL.len() as u32), None);
        assert_eq!(ErrorCode::None as u8, 0, "0 is success on both sides");
    }
}
