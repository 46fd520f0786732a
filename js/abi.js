// @ts-check
// GENERATED from src/web/abi.rs: do not edit. Change the tables there and run
// `RWS_WRITE_ABI=1 cargo test --lib abi`; `cargo test` fails while this file differs.
// The numbers that cross between the wasm driver and the JS class (see src/web/abi.rs).

/** What `WebDriver.attribute(n)` reads. */
export const ATTRIBUTE_READY_STATE = 0;
export const ATTRIBUTE_CONNECTION_STATE = 1;
export const ATTRIBUTE_URL = 2;
export const ATTRIBUTE_PROTOCOL = 3;
export const ATTRIBUTE_EXTENSIONS = 4;
export const ATTRIBUTE_BINARY_TYPE = 5;
export const ATTRIBUTE_BUFFERED_AMOUNT = 6;
export const ATTRIBUTE_ACKED = 7;
export const ATTRIBUTE_COUNT = 8;
/** The JS names, by number. */
export const ATTRIBUTE_NAMES = /** @type {const} */ (['readyState', 'connectionState', 'url', 'protocol', 'extensions', 'binaryType', 'bufferedAmount', 'acked']);

/** What the driver reports through `host.emit(kind, a, b, c)`: an event to dispatch (its type is the JS name) or a request to the class. */
export const KIND_MESSAGE = 0;
export const KIND_OPEN = 1;
export const KIND_CLOSE = 2;
export const KIND_ERROR = 3;
export const KIND_STATECHANGE = 4;
export const KIND_RECONNECTING = 5;
export const KIND_GIVEUP = 6;
export const KIND_DROP = 7;
export const KIND_HEARTBEAT = 8;
export const KIND_SESSIONLOST = 9;
export const KIND_PROVIDE = 10;
export const KIND_HOOKERROR = 11;
export const KIND_COUNT = 12;
/** The JS names, by number. */
export const KIND_NAMES = /** @type {const} */ (['message', 'open', 'close', 'error', 'statechange', 'reconnecting', 'giveup', 'drop', 'heartbeat', 'sessionlost', 'provide', 'hookerror']);

/** What `send()`, `close()` and `reconnect()` return: 0, or the exception to throw. */
export const ERROR_NONE = 0;
export const ERROR_CLOSED = 1;
export const ERROR_BUFFER_FULL = 2;
export const ERROR_INVALID_CODE = 3;
export const ERROR_REASON_TOO_LONG = 4;
export const ERROR_COUNT = 5;
/** The JS names, by number. */
export const ERROR_NAMES = /** @type {const} */ (['none', 'closed', 'bufferFull', 'invalidCode', 'reasonTooLong']);

/** The slots of the `Float64Array` that `readOptions` (js/options.js) fills from the third constructor argument; NaN in a slot means the option is absent and the core's default applies. Milliseconds are rounded up, counts are integers or Infinity (no cap). */
export const OPTION_MIN_DELAY = 0;
export const OPTION_MAX_DELAY = 1;
export const OPTION_FACTOR = 2;
export const OPTION_JITTER = 3;
export const OPTION_FIRST_DELAY = 4;
export const OPTION_FIRST_JITTER = 5;
export const OPTION_MAX_RETRIES = 6;
export const OPTION_CONNECT_TIMEOUT = 7;
export const OPTION_MIN_UPTIME = 8;
export const OPTION_HEARTBEAT = 9;
export const OPTION_INTERVAL = 10;
export const OPTION_TIMEOUT = 11;
export const OPTION_MAX_MESSAGES = 12;
export const OPTION_MAX_BYTES = 13;
export const OPTION_OVERFLOW = 14;
export const OPTION_TTL = 15;
export const OPTION_REPLAY = 16;
export const OPTION_NETWORK = 17;
export const OPTION_PAGE_LIFECYCLE = 18;
export const OPTION_START_CLOSED = 19;
export const OPTION_DELIVERY = 20;
export const OPTION_ACK_INTERVAL = 21;
export const OPTION_EXPOSE_PONGS = 22;
export const OPTION_COUNT = 23;
/** The JS names, by number. */
export const OPTION_NAMES = /** @type {const} */ (['minDelay', 'maxDelay', 'factor', 'jitter', 'firstDelay', 'firstJitter', 'maxRetries', 'connectTimeout', 'minUptime', 'heartbeat', 'interval', 'timeout', 'maxMessages', 'maxBytes', 'overflow', 'ttl', 'replay', 'network', 'pageLifecycle', 'startClosed', 'delivery', 'ackInterval', 'exposePongs']);

/** The slots of the array of options that stay JS values. */
export const HOOK_SHOULD_RECONNECT = 0;
export const HOOK_HEARTBEAT_MESSAGE = 1;
export const HOOK_HEARTBEAT_PONG = 2;
export const HOOK_REPLAY_FILTER = 3;
export const HOOK_WEB_SOCKET = 4;
export const HOOK_NUMBERED = 5;
export const HOOK_RELEASED = 6;
export const HOOK_COUNT = 7;
/** The JS names, by number. */
export const HOOK_NAMES = /** @type {const} */ (['shouldReconnect', 'heartbeatMessage', 'heartbeatPong', 'replayFilter', 'WebSocket', 'numbered', 'released']);

/** The numbers `WebDriver.stats(out)` writes, in order; the JS names are the keys of `stats`. */
export const STAT_ATTEMPTS = 0;
export const STAT_RECONNECTS = 1;
export const STAT_DOWNTIME_MS = 2;
export const STAT_LAST_RTT = 3;
export const STAT_QUEUED = 4;
export const STAT_QUEUED_BYTES = 5;
export const STAT_DROPPED = 6;
export const STAT_REPLAYED = 7;
export const STAT_UNACKED = 8;
export const STAT_UNACKED_BYTES = 9;
export const STAT_RESENT = 10;
export const STAT_COUNT = 11;
/** The JS names, by number. */
export const STAT_NAMES = /** @type {const} */ (['attempts', 'reconnects', 'downtimeMs', 'lastRtt', 'queued', 'queuedBytes', 'dropped', 'replayed', 'unacked', 'unackedBytes', 'resent']);

/** The names of `reconnect.jitter`, coded in `OptionSlot::Jitter` as -1 - their number. */
export const JITTER_FULL = 0;
export const JITTER_EQUAL = 1;
export const JITTER_DECORRELATED = 2;
export const JITTER_NONE = 3;
export const JITTER_COUNT = 4;
/** The JS names, by number. */
export const JITTER_NAMES = /** @type {const} */ (['full', 'equal', 'decorrelated', 'none']);

/** The names of `buffer.overflow`. */
export const OVERFLOW_THROW = 0;
export const OVERFLOW_DROP_OLDEST = 1;
export const OVERFLOW_DROP_NEWEST = 2;
export const OVERFLOW_COUNT = 3;
/** The JS names, by number. */
export const OVERFLOW_NAMES = /** @type {const} */ (['throw', 'drop-oldest', 'drop-newest']);

/** The names of `delivery`. */
export const DELIVERY_PLAIN = 0;
export const DELIVERY_ACKED = 1;
export const DELIVERY_COUNT = 2;
/** The JS names, by number. */
export const DELIVERY_NAMES = /** @type {const} */ (['plain', 'acked']);

/** What `GroupMember.poll(out)` returns (`share`, js/share.js): the next effect of the share group's machine (`machine::group::GroupOutput`), its numbers in `out`. */
export const EFFECT_NONE = 0;
export const EFFECT_POST = 1;
export const EFFECT_REQUEST_LOCK = 2;
export const EFFECT_RELEASE_LOCK = 3;
export const EFFECT_CONNECT = 4;
export const EFFECT_DISCONNECT = 5;
export const EFFECT_WRITE = 6;
export const EFFECT_DELIVER = 7;
export const EFFECT_WRITTEN = 8;
export const EFFECT_ROLE = 9;
export const EFFECT_UNCONFIRMED = 10;
export const EFFECT_SESSION_LOST = 11;
export const EFFECT_COUNT = 12;
/** The JS names, by number. */
export const EFFECT_NAMES = /** @type {const} */ (['none', 'post', 'requestLock', 'releaseLock', 'connect', 'disconnect', 'write', 'deliver', 'written', 'role', 'unconfirmed', 'sessionLost']);

/** The kinds of post on a share group's channel, `out[0]` of a post: then the term's count and holder, and the post's own numbers in the order of `machine::group::Post`'s fields. */
export const POST_HELLO = 0;
export const POST_BEAT = 1;
export const POST_SEND = 2;
export const POST_SENT = 3;
export const POST_INBOUND = 4;
export const POST_NUMBERED = 5;
export const POST_WELCOME = 6;
export const POST_POSITION = 7;
export const POST_ACKED = 8;
export const POST_COUNT = 9;
/** The JS names, by number. */
export const POST_NAMES = /** @type {const} */ (['hello', 'beat', 'send', 'sent', 'inbound', 'numbered', 'welcome', 'position', 'acked']);

/** A share group member's role, as `shareRole` names it. */
export const ROLE_ELECTING = 0;
export const ROLE_FOLLOWER = 1;
export const ROLE_HOLDER = 2;
export const ROLE_LEFT = 3;
export const ROLE_COUNT = 4;
/** The JS names, by number. */
export const ROLE_NAMES = /** @type {const} */ (['electing', 'follower', 'holder', 'left']);
