//! The thundering herd: 10,000 clients lose their connections at once and reconnect to a server
//! that accepts at most 1,000 handshakes per second and refuses the rest (HTTP 503); and, for
//! what the same policies cost a client that is dropped alone, 10,000 independent clients
//! reconnecting to a server that accepts all of them once it is back. Run by
//! `npm run bench` through `cargo bench --bench herd`; prints the table and writes the figures
//! (and the attempts per 100 ms for the plot) to `bench/.build/herd.json`, which
//! `bench/report.js` turns into BENCHMARKS.md and `bench/herd.svg`.
//!
//! Our policy is the real core, [`Machine`], driven as the crate docs say: every input is
//! followed by draining the outputs and re-arming the one timer at `poll_timeout`. Its
//! configurations are written as the JS options a user would pass, in JSON, and read through the
//! crate's `serde` feature (hence `--features serde`); `herd.json` records the whole [`Config`]
//! each one ran with. The peers' policies are not Rust code: their delay formulas are transcribed
//! below as plain functions, each citing the source it comes from. Everything runs on a virtual
//! clock in milliseconds with seeded randomness, so a run is exactly repeatable.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use resilient_websocket::machine::{Config, Generation, Jitter, Machine, Millis, Output};
use serde_json::json;

/// Clients that lose their connection at the same moment.
const CLIENTS: usize = 10_000;
/// Handshakes the server completes per second once it is back...
const HANDSHAKES_PER_SECOND: u64 = 1_000;
/// ...as a token bucket holding at most this many (a 100 ms burst); an attempt that finds the
/// bucket empty is refused with 503. So no 1-second window sees more than 1,100 accepted.
const BURST: u64 = 100;
/// One-way network latency, drawn uniformly for every message: the drop reaches each client
/// after one draw, and each handshake takes two (request, response). This spread is all that
/// separates clients whose policy has no randomness of its own.
const ONE_WAY_MS: (Millis, Millis) = (5, 45);
/// The machines run for this long before the drop, longer than `minUptime`, so that their
/// backoff is reset as it would be after a long-lived connection.
const DROP_AT: Millis = 60_000;
/// Simulated time after the drop at which a run stops, reconnected or not.
const HORIZON: Millis = 3_600_000;
/// The width of the window of "peak attempts" and of the plot's bars.
const WINDOW: Millis = 100;
/// Attempts per `WINDOW` are kept for this long after the drop: what the plot shows.
const SERIES: Millis = 60_000;
/// Every policy runs once per seed (the same seeds for all); the tables give the median of each
/// figure, the plot the first seed's run.
const SEEDS: [u64; 5] = [
    0x5EED_0001,
    0x5EED_0002,
    0x5EED_0003,
    0x5EED_0004,
    0x5EED_0005,
];

/// A scenario: how long after the drop the server starts accepting (until then every attempt is
/// refused, as by a server that is still restarting), and whether it then takes its 1,000
/// handshakes per second or, `alone`, every handshake: each client then reconnects as if it
/// were the only one, which is what the policy costs a single client.
struct Scenario {
    key: &'static str,
    title: &'static str,
    downtime: Millis,
    alone: bool,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        key: "restart",
        title: "server back at once",
        downtime: 0,
        alone: false,
    },
    Scenario {
        key: "outage",
        title: "server back after 10 s",
        downtime: 10_000,
        alone: false,
    },
    // As the browser benchmark's "server restart" row: the port is closed for 1 s.
    Scenario {
        key: "alone",
        title: "a client dropped alone, server back after 1 s",
        downtime: 1000,
        alone: true,
    },
];

/// SplitMix64, for the network latencies and for the peers' `Math.random()`.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), as `Math.random()`.
    fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, (lo, hi): (Millis, Millis)) -> Millis {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// One client's reconnect policy, as the simulation sees it.
trait Policy {
    /// The connection was lost at `now`, or the attempt in flight failed.
    fn failed(&mut self, now: Millis);
    /// The attempt in flight succeeded.
    fn opened(&mut self, now: Millis);
    /// When the client next wants to be woken (its timer), if at all.
    fn next_wake(&self) -> Option<Millis>;
    /// The timer fired at `now`; true if the client starts a connection attempt.
    fn wake(&mut self, now: Millis) -> bool;
}

/// Our core, unmodified, driven by the loop of the crate docs.
struct Ours {
    machine: Machine,
    /// The socket the machine asked for last; its handshake is in flight or done.
    gen: Generation,
    /// A `Connect` came out of the last drain.
    connect_requested: bool,
}

impl Ours {
    /// A machine that connected at time 0 and is open.
    fn new(config: Config, seed: u64) -> Ours {
        let mut ours = Ours {
            machine: Machine::new(config, seed, 0),
            gen: Generation(0),
            connect_requested: false,
        };
        ours.drain();
        assert!(ours.connect_requested, "the first connection is immediate");
        ours.machine.handle_open(0, ours.gen);
        ours.drain();
        ours
    }

    /// Performs the outputs; only `Connect` matters here (nothing is sent, and the events are
    /// for a user there is none of).
    fn drain(&mut self) {
        self.connect_requested = false;
        while let Some(output) = self.machine.poll_output() {
            if let Output::Connect { gen } = output {
                self.gen = gen;
                self.connect_requested = true;
            }
        }
    }
}

impl Policy for Ours {
    fn failed(&mut self, now: Millis) {
        // A refused handshake and a dropped connection look the same to a browser socket: an
        // `error` event, then `close` with 1006.
        self.machine.handle_error(now, self.gen);
        self.machine
            .handle_close(now, self.gen, 1006, "", false, None);
        self.drain();
    }

    fn opened(&mut self, now: Millis) {
        self.machine.handle_open(now, self.gen);
        self.drain();
    }

    fn next_wake(&self) -> Option<Millis> {
        self.machine.poll_timeout()
    }

    fn wake(&mut self, now: Millis) -> bool {
        self.machine.handle_timeout(now);
        self.drain();
        self.connect_requested
    }
}

/// A peer's policy: a delay formula `delay(retry, rng)` where `retry` counts the attempts since
/// the last successful open (1 for the first retry after the drop).
struct Formula {
    delay: fn(u32, &mut ClientRandom) -> Millis,
    random: ClientRandom,
    retry: u32,
    wake_at: Option<Millis>,
}

/// The `Math.random()` a client draws from, and what it drew once per page load.
struct ClientRandom {
    rng: Rng,
    /// reconnecting-websocket draws its minimum delay once, when its module loads.
    per_page: f64,
}

impl Policy for Formula {
    fn failed(&mut self, now: Millis) {
        self.retry += 1;
        self.wake_at = Some(now + (self.delay)(self.retry, &mut self.random));
    }

    fn opened(&mut self, _now: Millis) {
        // All three reset their counters on open (reconnecting-websocket and partysocket only
        // after minUptime, which nothing here reaches again).
        self.retry = 0;
    }

    fn next_wake(&self) -> Option<Millis> {
        self.wake_at
    }

    fn wake(&mut self, _now: Millis) -> bool {
        self.wake_at = None;
        true
    }
}

/// reconnecting-websocket 4.4.0, `reconnecting-websocket.ts`: `DEFAULT.minReconnectionDelay =
/// 1000 + Math.random() * 4000` (evaluated once, at module load), `reconnectionDelayGrowFactor
/// = 1.3`, `maxReconnectionDelay = 10000`; `_getNextDelay()` returns
/// `min(minReconnectionDelay * 1.3 ** (retryCount - 1), maxReconnectionDelay)`, and
/// `_connect()` increments `retryCount` before each attempt (it is 0 after a connection that
/// stayed up `minUptime`).
fn reconnecting_websocket(retry: u32, random: &mut ClientRandom) -> Millis {
    let min = 1000.0 + random.per_page * 4000.0;
    (min * 1.3f64.powi(retry as i32 - 1)).min(10_000.0) as Millis
}

/// partysocket 1.3.0, `dist/ws.js` (a fork of reconnecting-websocket): the same `_getNextDelay`
/// with `minReconnectionDelay = 3e3` (a constant: no randomness at all), factor 1.3,
/// `maxReconnectionDelay = 1e4`.
fn partysocket(retry: u32, _random: &mut ClientRandom) -> Millis {
    (3000.0 * 1.3f64.powi(retry as i32 - 1)).min(10_000.0) as Millis
}

/// socket.io-client 4.8.4: `Manager` (`build/esm/manager.js`) builds `new Backoff({ min:
/// reconnectionDelay = 1000, max: reconnectionDelayMax = 5000, jitter: randomizationFactor =
/// 0.5 })`, whose factor defaults to 2, resets it on close and on reconnect, and asks
/// `duration()` (`build/esm/contrib/backo2.js`) before every attempt: `ms = min * factor **
/// attempts++`; `rand = Math.random()`, `deviation = floor(rand * jitter * ms)`, `ms -=
/// deviation` if `floor(rand * 10)` is even else `ms += deviation`; `min(ms, max) | 0`.
fn socket_io(retry: u32, random: &mut ClientRandom) -> Millis {
    let mut ms = 1000.0 * 2f64.powi(retry as i32 - 1);
    let rand = random.rng.random();
    let deviation = (rand * 0.5 * ms).floor();
    if ((rand * 10.0).floor() as u64) & 1 == 0 {
        ms -= deviation;
    } else {
        ms += deviation;
    }
    ms.min(5000.0) as Millis
}

/// A policy under test: a name for the tables, and what its clients run.
struct Contender {
    key: &'static str,
    name: &'static str,
    policy: Spec,
}

/// What a contender's clients run.
enum Spec {
    /// Our core, with the JS options of API.md §2 as JSON (absent fields keep their defaults).
    Ours { options: &'static str },
    /// A peer's delay formula.
    Peer(fn(u32, &mut ClientRandom) -> Millis),
}

/// A contender ready to make clients: its options parsed once, not once per client.
enum Maker {
    Ours(Config),
    Peer(fn(u32, &mut ClientRandom) -> Millis),
}

impl Maker {
    fn new(contender: &Contender) -> Maker {
        match contender.policy {
            Spec::Ours { options } => Maker::Ours(
                serde_json::from_str(options)
                    .unwrap_or_else(|error| panic!("the options of {}: {error}", contender.key)),
            ),
            Spec::Peer(delay) => Maker::Peer(delay),
        }
    }

    /// The core's whole configuration, for the record; `None` for a peer.
    fn config(&self) -> Option<&Config> {
        match self {
            Maker::Ours(config) => Some(config),
            Maker::Peer(_) => None,
        }
    }

    fn client(&self, rng: &mut Rng) -> Box<dyn Policy> {
        match self {
            Maker::Ours(config) => Box::new(Ours::new(config.clone(), rng.next_u64())),
            Maker::Peer(delay) => formula(*delay, rng),
        }
    }
}

fn formula(delay: fn(u32, &mut ClientRandom) -> Millis, rng: &mut Rng) -> Box<dyn Policy> {
    let mut client_rng = Rng(rng.next_u64());
    let per_page = client_rng.random();
    Box::new(Formula {
        delay,
        random: ClientRandom {
            rng: client_rng,
            per_page,
        },
        retry: 0,
        wake_at: None,
    })
}

/// The peers, by key: what our policies are held against (issue 18's targets).
const PEERS: [&str; 3] = ["reconnecting-websocket", "partysocket", "socket.io-client"];

const CONTENDERS: [Contender; 10] = [
    Contender {
        key: "ours",
        name: "resilient-websocket (default: 1.2 s ± 25 %, then 1.6 s·2.5ⁿ, cap 9 s, full jitter)",
        policy: Spec::Ours { options: "{}" },
    },
    Contender {
        key: "reconnecting-websocket",
        name: "reconnecting-websocket 4.4.0",
        policy: Spec::Peer(reconnecting_websocket),
    },
    Contender {
        key: "partysocket",
        name: "partysocket 1.3.0",
        policy: Spec::Peer(partysocket),
    },
    Contender {
        key: "socket.io-client",
        name: "socket.io-client 4.8.4",
        policy: Spec::Peer(socket_io),
    },
    // The default before issue 18: chosen for the herd alone (see BENCHMARKS.md).
    Contender {
        key: "previous-default",
        name: "our previous default: 5 s·1.4ⁿ, cap 7 s, full jitter",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "minDelay": 5000, "factor": 1.4, "maxDelay": 7000, "jitter": "full", "firstDelay": null }
            }"#,
        },
    },
    // The first default, before this benchmark moved it.
    Contender {
        key: "first-default",
        name: "our first default: 1 s·1.6ⁿ, cap 30 s, full jitter",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "minDelay": 1000, "factor": 1.6, "maxDelay": 30000, "jitter": "full", "firstDelay": null }
            }"#,
        },
    },
    // Exponential backoff without jitter: the first default's schedule, exactly.
    Contender {
        key: "no-jitter",
        name: "no-jitter exponential (our core: 1 s·1.6ⁿ, cap 30 s, jitter: 'none')",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "minDelay": 1000, "factor": 1.6, "maxDelay": 30000, "jitter": "none", "firstDelay": null }
            }"#,
        },
    },
    // Three points of the search (BENCHMARKS.md, "Why this default"): the quick first retry
    // followed by the widest later window, the nearest a full-jitter schedule came to
    // reconnecting-websocket on every figure, and decorrelated jitter's best.
    Contender {
        key: "quick-then-wide",
        name: "explored: 1.2 s ± 20 %, then 4 s·2ⁿ, cap 30 s, full jitter",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "firstDelay": 1200, "firstJitter": 0.2, "minDelay": 4000, "factor": 2, "maxDelay": 30000, "jitter": "full" }
            }"#,
        },
    },
    Contender {
        key: "full-4s",
        name: "explored: 4 s·2ⁿ, cap 10 s, full jitter",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "firstDelay": null, "minDelay": 4000, "factor": 2, "maxDelay": 10000, "jitter": "full" }
            }"#,
        },
    },
    Contender {
        key: "decorrelated",
        name: "explored: decorrelated jitter, 1.5 s, cap 10 s",
        policy: Spec::Ours {
            options: r#"{
                "reconnect": { "firstDelay": null, "minDelay": 1500, "maxDelay": 10000, "jitter": "decorrelated" }
            }"#,
        },
    },
];

/// The server: refuses everything until `back_at`, then a token bucket (unless `unlimited`).
struct Server {
    back_at: Millis,
    unlimited: bool,
    tokens: u64,
    /// When `tokens` was last topped up (only whole milliseconds count).
    refilled_at: Millis,
}

impl Server {
    fn new(back_at: Millis, unlimited: bool) -> Server {
        Server {
            back_at,
            unlimited,
            tokens: BURST,
            refilled_at: back_at,
        }
    }

    /// A handshake arrives at `now`: accepted or refused.
    fn admit(&mut self, now: Millis) -> bool {
        if now < self.back_at {
            return false;
        }
        if self.unlimited {
            return true;
        }
        let earned = (now - self.refilled_at) * HANDSHAKES_PER_SECOND / 1000;
        if earned > 0 {
            self.tokens = (self.tokens + earned).min(BURST);
            self.refilled_at += earned * 1000 / HANDSHAKES_PER_SECOND;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    /// The client's timer, armed for this time (ignored if re-armed since).
    Wake,
    /// The client's handshake request reaches the server.
    Arrive,
    /// The server's answer reaches the client.
    Answer { accepted: bool },
}

/// What one run produced, times relative to the drop.
struct Outcome {
    /// When each client opened again, sorted; fewer than `CLIENTS` if the horizon came first.
    reconnected: Vec<Millis>,
    /// When each attempt reached the server, sorted.
    attempts: Vec<Millis>,
}

fn run(maker: &Maker, scenario: &Scenario, seed: u64) -> Outcome {
    let mut rng = Rng(seed);
    let mut clients: Vec<Box<dyn Policy>> = (0..CLIENTS).map(|_| maker.client(&mut rng)).collect();
    let mut server = Server::new(DROP_AT + scenario.downtime, scenario.alone);
    let mut queue = BinaryHeap::new();
    let at = |queue: &mut BinaryHeap<_>, time: Millis, client: usize, what: Happening| {
        queue.push(Reverse((time, client, what)));
    };
    let arm = |queue: &mut BinaryHeap<_>, client: usize, policy: &dyn Policy| {
        if let Some(time) = policy.next_wake() {
            queue.push(Reverse((time, client, Happening::Wake)));
        }
    };

    for (client, policy) in clients.iter_mut().enumerate() {
        policy.failed(DROP_AT + rng.between(ONE_WAY_MS));
        arm(&mut queue, client, policy.as_ref());
    }

    let mut outcome = Outcome {
        reconnected: Vec::with_capacity(CLIENTS),
        attempts: Vec::new(),
    };
    while let Some(Reverse((now, client, what))) = queue.pop() {
        if now - DROP_AT > HORIZON {
            break;
        }
        let policy = clients[client].as_mut();
        match what {
            Happening::Wake => {
                if policy.next_wake() != Some(now) {
                    continue; // re-armed or disarmed since
                }
                if policy.wake(now) {
                    at(
                        &mut queue,
                        now + rng.between(ONE_WAY_MS),
                        client,
                        Happening::Arrive,
                    );
                }
            }
            Happening::Arrive => {
                outcome.attempts.push(now - DROP_AT);
                let accepted = server.admit(now);
                let back = now + rng.between(ONE_WAY_MS);
                at(&mut queue, back, client, Happening::Answer { accepted });
            }
            Happening::Answer { accepted: true } => {
                policy.opened(now);
                outcome.reconnected.push(now - DROP_AT);
                continue; // connected for good: its timers (heartbeat-free) do not matter
            }
            Happening::Answer { accepted: false } => policy.failed(now),
        }
        arm(&mut queue, client, clients[client].as_ref());
    }
    outcome.reconnected.sort_unstable();
    outcome.attempts.sort_unstable();
    outcome
}

/// The figures of one run.
struct Figures {
    /// Time until 50 %, 90 %, 99 % and 100 % were open again; `None` past the horizon.
    t50: Option<Millis>,
    t90: Option<Millis>,
    t99: Option<Millis>,
    t100: Option<Millis>,
    attempts: usize,
    peak: usize,
    /// When the last attempt reached the server.
    last_attempt: Millis,
    /// Attempts per `WINDOW` from the drop on, for `SERIES`.
    series: Vec<usize>,
}

fn figures(outcome: &Outcome) -> Figures {
    let quantile = |share: f64| {
        let rank = (share * CLIENTS as f64).ceil() as usize;
        outcome.reconnected.get(rank - 1).copied()
    };
    let times = &outcome.attempts;
    let mut peak = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= WINDOW {
            start += 1;
        }
        peak = peak.max(end - start + 1);
    }
    let mut series = vec![0; (SERIES / WINDOW) as usize];
    for time in times.iter().take_while(|&&time| time < SERIES) {
        series[(time / WINDOW) as usize] += 1;
    }
    Figures {
        t50: quantile(0.5),
        t90: quantile(0.9),
        t99: quantile(0.99),
        t100: quantile(1.0),
        attempts: times.len(),
        peak,
        last_attempt: times.last().copied().unwrap_or(0),
        series,
    }
}

/// The median of the runs' values of one figure (`None`, past the horizon, sorts last).
fn median<T: Copy + Ord>(runs: &[Figures], figure: impl Fn(&Figures) -> T) -> T {
    let mut values: Vec<T> = runs.iter().map(figure).collect();
    values.sort_unstable();
    values[values.len() / 2]
}

fn past_horizon_last(time: Option<Millis>) -> Millis {
    time.unwrap_or(Millis::MAX)
}

fn from_sort_key(time: Millis) -> Option<Millis> {
    (time != Millis::MAX).then_some(time)
}

fn seconds(time: Option<Millis>) -> String {
    time.map_or_else(
        || format!("> {} s", HORIZON / 1000),
        |t| format!("{:.1} s", t as f64 / 1000.0),
    )
}

/// Prints, for every contender, the peers it dominates (no later and no more attempts in both
/// herds, and no later a lone client's median and 90th percentile: all six figures no worse),
/// issue 18's targets (every herd figure no worse than every peer's, the lone median no later
/// than socket.io-client's and the 90th percentile no later than reconnecting-websocket's), and
/// whether another contender dominates it (off the Pareto front of the contenders). Returns the
/// same as JSON.
fn summarize(compared: &[[Millis; 6]]) -> serde_json::Value {
    let index = |key: &str| {
        CONTENDERS
            .iter()
            .position(|c| c.key == key)
            .expect("a peer")
    };
    let no_worse = |a: &[Millis; 6], b: &[Millis; 6]| a.iter().zip(b).all(|(x, y)| x <= y);
    let peers: Vec<usize> = PEERS.iter().map(|key| index(key)).collect();
    let best_herd = |figure: usize| peers.iter().map(|&p| compared[p][figure]).min();
    let targets = [
        best_herd(0),
        best_herd(1),
        best_herd(2),
        best_herd(3),
        Some(compared[index("socket.io-client")][4]),
        Some(compared[index("reconnecting-websocket")][5]),
    ];
    let lone_back = SCENARIOS.iter().find(|s| s.alone).map_or(0, |s| s.downtime);
    let ms = |t: Millis| {
        if t == Millis::MAX {
            "never".to_string()
        } else {
            format!("{t}")
        }
    };
    println!(
        "\nherd: the figures issue 18 compares (ms; attempts), the peers each dominates, and the front\n\
         {:<72} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  dominates",
        "policy", "back 99%", "attempts", "10 s 99%", "attempts", "lone 50", "lone 90"
    );
    let mut json = Vec::new();
    for (i, contender) in CONTENDERS.iter().enumerate() {
        let row = &compared[i];
        let dominated: Vec<&str> = peers
            .iter()
            .filter(|&&p| p != i && no_worse(row, &compared[p]))
            .map(|&p| CONTENDERS[p].key)
            .collect();
        let beaten_by: Vec<&str> = (0..CONTENDERS.len())
            .filter(|&j| j != i && no_worse(&compared[j], row) && compared[j] != *row)
            .map(|j| CONTENDERS[j].key)
            .collect();
        let lone = |t: Millis| ms(t.saturating_sub(lone_back));
        let misses: Vec<String> = row
            .iter()
            .zip(&targets)
            .zip([
                "back 99%",
                "back attempts",
                "10 s 99%",
                "10 s attempts",
                "lone 50",
                "lone 90",
            ])
            .enumerate()
            .filter_map(|(figure, ((&x, target), name))| {
                let target = (*target)?;
                // Times in ms, the lone client's from the server's return as the table shows them.
                let shown = |t: Millis| match figure {
                    1 | 3 => ms(t),
                    4 | 5 => format!("{} ms", lone(t)),
                    _ => format!("{} ms", ms(t)),
                };
                (x > target).then(|| format!("{name} {} > {}", shown(x), shown(target)))
            })
            .collect();
        println!(
            "{:<72} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  {}{}{}",
            contender.name,
            ms(row[0]),
            row[1],
            ms(row[2]),
            row[3],
            lone(row[4]),
            lone(row[5]),
            if dominated.is_empty() {
                "-".to_string()
            } else {
                dominated.join(", ")
            },
            if beaten_by.is_empty() {
                "; on the front".to_string()
            } else {
                format!("; dominated by {}", beaten_by.join(", "))
            },
            if misses.is_empty() {
                "; issue 18's targets: met".to_string()
            } else {
                format!("; misses {}", misses.join(", "))
            },
        );
        json.push(json!({
            "key": contender.key,
            "dominates": dominated,
            "dominatedBy": beaten_by,
            "targetsMissed": misses,
        }));
    }
    println!(
        "(lone: from the server's return; 'dominates': all six figures no worse than the peer's)"
    );
    serde_json::Value::Array(json)
}

/// The six figures of [`summarize`] for one maker, medians over `seeds`.
fn six(maker: &Maker, seeds: &[u64]) -> [Millis; 6] {
    let mut row = [0; 6];
    for scenario in &SCENARIOS {
        let runs: Vec<Figures> = seeds
            .iter()
            .map(|&seed| figures(&run(maker, scenario, seed)))
            .collect();
        let time = |f: fn(&Figures) -> Option<Millis>| median(&runs, |r| past_horizon_last(f(r)));
        let attempts = median(&runs, |f| f.attempts) as Millis;
        match scenario.key {
            "restart" => (row[0], row[1]) = (time(|f| f.t99), attempts),
            "outage" => (row[2], row[3]) = (time(|f| f.t99), attempts),
            _ => (row[4], row[5]) = (time(|f| f.t50), time(|f| f.t90)),
        }
    }
    row
}

/// `HERD_SEARCH=1`: the search behind the default, on the real core. Runs a grid of settings
/// (full, equal and decorrelated jitter on the schedule, and a first retry of its own followed by
/// full jitter), and prints the settings that dominate the most peers (all six figures of
/// [`summarize`] no worse), closest first to the peers they do not dominate, and the front of
/// the lone median against the attempts with the server back at once. Writes nothing.
fn search(seeds: &[u64]) {
    let started = Instant::now();
    let mut grid: Vec<String> = Vec::new();
    for min in [1000, 2000, 3000, 4000, 5000] {
        for factor in [1.4, 2.0, 3.0] {
            for max in [7000, 10_000, 15_000, 30_000] {
                grid.push(format!(
                    r#"{{"minDelay":{min},"factor":{factor},"maxDelay":{max},"jitter":"full","firstDelay":null}}"#
                ));
            }
        }
    }
    for min in [1000, 2000, 3000] {
        for factor in [1.6, 2.0] {
            for max in [7000, 10_000] {
                grid.push(format!(
                    r#"{{"minDelay":{min},"factor":{factor},"maxDelay":{max},"jitter":"equal","firstDelay":null}}"#
                ));
            }
        }
    }
    for min in [500, 1000, 1500, 2000] {
        for max in [7000, 10_000, 15_000] {
            grid.push(format!(
                r#"{{"minDelay":{min},"maxDelay":{max},"jitter":"decorrelated","firstDelay":null}}"#
            ));
        }
    }
    for first in [1200, 1300] {
        for first_jitter in [0.2, 0.25] {
            // The second retry's window (minDelay·factor), the growth, the cap.
            for second in [3500.0, 4000.0, 4500.0, 8000.0] {
                for factor in [2.0, 2.5] {
                    for max in [9000, 10_000, 15_000] {
                        let min = (second / factor) as Millis;
                        grid.push(format!(
                            r#"{{"firstDelay":{first},"firstJitter":{first_jitter},"minDelay":{min},"factor":{factor},"maxDelay":{max},"jitter":"full"}}"#
                        ));
                    }
                }
            }
        }
    }
    let peers: Vec<(&str, [Millis; 6])> = PEERS
        .iter()
        .map(|key| {
            let contender = CONTENDERS.iter().find(|c| c.key == *key).expect("a peer");
            (*key, six(&Maker::new(contender), seeds))
        })
        .collect();
    let no_worse = |a: &[Millis; 6], b: &[Millis; 6]| a.iter().zip(b).all(|(x, y)| x <= y);
    type Row<'a> = (String, [Millis; 6], Vec<&'a str>, f64, f64);
    let mut rows: Vec<Row> = grid
        .iter()
        .map(|reconnect| {
            let config: Config = serde_json::from_str(&format!(r#"{{"reconnect":{reconnect}}}"#))
                .unwrap_or_else(|error| panic!("{reconnect}: {error}"));
            let row = six(&Maker::Ours(config), seeds);
            let dominated: Vec<&str> = peers
                .iter()
                .filter(|(_, peer)| no_worse(&row, peer))
                .map(|(key, _)| *key)
                .collect();
            // How far it is from the peers it does not dominate: the sum of its relative losses.
            let loss: f64 = peers
                .iter()
                .filter(|(key, _)| !dominated.contains(key))
                .flat_map(|(_, peer)| row.iter().zip(peer))
                .map(|(&x, &y)| (x as f64 - y as f64).max(0.0) / y as f64)
                .sum();
            // And how safely it dominates the others: its smallest relative margin on any figure.
            let margin = peers
                .iter()
                .filter(|(key, _)| dominated.contains(key))
                .flat_map(|(_, peer)| row.iter().zip(peer))
                .map(|(&x, &y)| (y as f64 - x as f64) / y as f64)
                .fold(f64::INFINITY, f64::min);
            (reconnect.clone(), row, dominated, loss, margin)
        })
        .collect();
    rows.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.3.total_cmp(&b.3)));
    let most = rows.first().map_or(0, |row| row.2.len());
    println!(
        "herd search: {} settings on the real core, {} seeds, in {:.1} s; the most peers dominated: {most}",
        grid.len(),
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
    let lone_back = SCENARIOS.iter().find(|s| s.alone).map_or(0, |s| s.downtime);
    let line = |(reconnect, row, dominated, loss, margin): &Row| {
        let margin = if margin.is_finite() {
            format!("{:.1} %", 100.0 * margin)
        } else {
            "-".to_string()
        };
        println!(
            "{:>6} {:>6} {:>6} {:>6} {:>5} {:>5}  loss {:.3}  margin {margin:>6}  [{}]  {reconnect}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4].saturating_sub(lone_back),
            row[5].saturating_sub(lone_back),
            loss,
            dominated.join(", ")
        );
    };
    println!(
        "back 99% attempts 10 s 99% attempts lone 50 lone 90 (ms); loss: the sum of the relative \
         losses to the peers not dominated; margin: the smallest relative lead on those dominated"
    );
    rows.iter().take(16).for_each(line);
    println!("the front of the lone median against the attempts with the server back at once:");
    let mut front: Vec<_> = rows
        .iter()
        .filter(|a| {
            !rows.iter().any(|b| {
                b.1[4] <= a.1[4] && b.1[1] <= a.1[1] && (b.1[4], b.1[1]) != (a.1[4], a.1[1])
            })
        })
        .collect();
    front.sort_by_key(|row| row.1[4]);
    front.into_iter().for_each(line);
}

fn main() {
    let started = Instant::now();
    let defaults = Config::default().reconnect;
    assert!(
        (
            defaults.first_delay,
            defaults.first_jitter,
            defaults.min_delay,
            defaults.factor,
            defaults.max_delay,
            defaults.jitter
        ) == (Some(1200), 0.25, 1600, 2.5, 9000, Jitter::Full),
        "the default policy changed: update the name of the contender \"ours\""
    );
    // `HERD_SEEDS=n` runs the first n seeds only, for a quick look while exploring; the figures
    // that BENCHMARKS.md shows come from all of them.
    let seeds = std::env::var("HERD_SEEDS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(&SEEDS[..], |n| &SEEDS[..n.clamp(1, SEEDS.len())]);
    if std::env::var_os("HERD_SEARCH").is_some() {
        return search(seeds);
    }
    println!(
        "herd: {CLIENTS} clients drop at once; the server accepts at most {HANDSHAKES_PER_SECOND} \
         handshakes/s (token bucket, burst {BURST}) and refuses the rest (in scenario 'alone', \
         every handshake); one-way latency {}-{} ms; medians of {} seeded runs",
        ONE_WAY_MS.0,
        ONE_WAY_MS.1,
        seeds.len()
    );
    let makers: Vec<Maker> = CONTENDERS.iter().map(Maker::new).collect();
    for (contender, maker) in CONTENDERS.iter().zip(&makers) {
        if let Some(config) = maker.config() {
            println!(
                "herd: '{}' runs the core with the Config {}",
                contender.key,
                serde_json::to_string(config).expect("a Config serializes")
            );
        }
    }
    let mut scenarios_json = Vec::new();
    // Per contender, the six figures issue 18 compares: 99 % and attempts with the server back
    // at once and after 10 s, the median and 90th percentile of a client dropped alone.
    let mut compared = vec![[Millis::MAX; 6]; CONTENDERS.len()];
    for scenario in &SCENARIOS {
        println!(
            "\nherd: scenario '{}' ({})\n{:<72} {:>8} {:>8} {:>8} {:>8} {:>9} {:>15}",
            scenario.key,
            scenario.title,
            "policy",
            "50 %",
            "90 %",
            "99 %",
            "100 %",
            "attempts",
            "peak per 100 ms"
        );
        let mut policies_json = Vec::new();
        for (contender, maker) in CONTENDERS.iter().zip(&makers) {
            let run_started = Instant::now();
            let runs: Vec<Figures> = seeds
                .iter()
                .map(|&seed| figures(&run(maker, scenario, seed)))
                .collect();
            let t50 = from_sort_key(median(&runs, |f| past_horizon_last(f.t50)));
            let t90 = from_sort_key(median(&runs, |f| past_horizon_last(f.t90)));
            let t99 = from_sort_key(median(&runs, |f| past_horizon_last(f.t99)));
            let t100 = from_sort_key(median(&runs, |f| past_horizon_last(f.t100)));
            let attempts = median(&runs, |f| f.attempts);
            let peak = median(&runs, |f| f.peak);
            let row = &mut compared[policies_json.len()];
            match scenario.key {
                "restart" => (row[0], row[1]) = (past_horizon_last(t99), attempts as Millis),
                "outage" => (row[2], row[3]) = (past_horizon_last(t99), attempts as Millis),
                _ => (row[4], row[5]) = (past_horizon_last(t50), past_horizon_last(t90)),
            }
            println!(
                "{:<72} {:>8} {:>8} {:>8} {:>8} {:>9} {:>15}   ({:.1} s)",
                contender.name,
                seconds(t50),
                seconds(t90),
                seconds(t99),
                seconds(t100),
                attempts,
                peak,
                run_started.elapsed().as_secs_f64()
            );
            let mut policy = json!({
                "key": contender.key,
                "name": contender.name,
                "t50Ms": t50,
                "t90Ms": t90,
                "t99Ms": t99,
                "t100Ms": t100,
                "attempts": attempts,
                "peakPerWindow": peak,
                "lastAttemptMs": runs[0].last_attempt,
                "runs": {
                    "t99Ms": runs.iter().map(|f| f.t99).collect::<Vec<_>>(),
                    "attempts": runs.iter().map(|f| f.attempts).collect::<Vec<_>>(),
                },
                "attemptsPerWindow": runs[0].series,
            });
            if let Some(config) = maker.config() {
                policy["config"] = serde_json::to_value(config).expect("a Config serializes");
            }
            policies_json.push(policy);
        }
        scenarios_json.push(json!({
            "key": scenario.key,
            "title": scenario.title,
            "downtimeMs": scenario.downtime,
            "alone": scenario.alone,
            "policies": policies_json,
        }));
    }
    let dominance = summarize(&compared);
    let json = json!({
        "dominance": dominance,
        "defaults": {
            "firstDelayMs": defaults.first_delay,
            "firstJitter": defaults.first_jitter,
            "minDelayMs": defaults.min_delay,
            "factor": defaults.factor,
            "maxDelayMs": defaults.max_delay,
        },
        "clients": CLIENTS,
        "handshakesPerSecond": HANDSHAKES_PER_SECOND,
        "burst": BURST,
        "oneWayMs": [ONE_WAY_MS.0, ONE_WAY_MS.1],
        "windowMs": WINDOW,
        "seriesMs": SERIES,
        "horizonMs": HORIZON,
        "seeds": seeds,
        "scenarios": scenarios_json,
    });

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/.build");
    let out = format!("{dir}/herd.json");
    if let Err(error) =
        std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&out, format!("{json}\n")))
    {
        eprintln!("herd: cannot write {out}: {error}");
        std::process::exit(1);
    }
    println!(
        "\nherd: wrote {out} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
