//! Scenario tests of the core on a virtual clock: exact timings and exact output sequences.
//!
//! Run natively by `cargo test`, and compiled for wasm32 (the target the core ships for, with its
//! 32-bit `usize`) in Chromium, Firefox and WebKit as a module of tests/wasm_core.rs.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_websocket::machine::{
    BufferConfig, CloseError, Config, ConnectionState as CS, DropReason, Event, Generation,
    HeartbeatConfig, Jitter, Machine, Millis, MsgId, Output, Overflow, ReadyState, ReconnectConfig,
    SendError, Verdict,
};

const SEED: u64 = 7;

fn g(n: u32) -> Generation {
    Generation(n)
}

fn ev(event: Event) -> Output {
    Output::Emit(event)
}

fn sc(from: CS, to: CS) -> Output {
    ev(Event::StateChange { from, to })
}

fn close_ev(code: u16, reason: &str, was_clean: bool) -> Output {
    ev(Event::Close {
        code,
        reason: reason.into(),
        was_clean,
    })
}

fn reconnecting(attempt: u32, delay: Millis) -> Output {
    ev(Event::Reconnecting { attempt, delay })
}

fn close_socket(gen: u32, code: u16, reason: &str, detach: bool) -> Output {
    Output::CloseSocket {
        gen: g(gen),
        code,
        reason: reason.into(),
        detach,
    }
}

fn dropped(id: u64, reason: DropReason) -> Output {
    ev(Event::Drop {
        id: MsgId(id),
        reason,
    })
}

fn transmit(gen: u32, id: u64) -> Output {
    Output::Transmit {
        gen: g(gen),
        id: MsgId(id),
    }
}

/// A machine on a virtual clock; every call drains the outputs, as the driver must.
struct Sim {
    m: Machine,
}

impl Sim {
    fn new(config: Config) -> (Sim, Vec<Output>) {
        Sim::with_seed(config, SEED)
    }

    fn with_seed(config: Config, seed: u64) -> (Sim, Vec<Output>) {
        let mut sim = Sim {
            m: Machine::new(config, seed, 0),
        };
        let out = sim.drain();
        (sim, out)
    }

    /// The outputs, with every close event dispatched at once, as the driver does when no
    /// listener calls back in.
    fn drain(&mut self) -> Vec<Output> {
        let out = self.undispatched();
        self.dispatch(&out);
        out
    }

    /// The outputs, their close events still on their way to the user (a listener of an earlier
    /// event is running).
    fn undispatched(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.m.poll_output()).collect()
    }

    /// The driver reports that the close events among `out` have been dispatched.
    fn dispatch(&mut self, out: &[Output]) {
        for output in out {
            if let Output::Emit(Event::Close { .. }) = output {
                self.m.handle_close_dispatched();
            }
        }
    }

    fn open(&mut self, t: Millis, gen: u32) -> Vec<Output> {
        self.m.handle_open(t, g(gen));
        self.drain()
    }

    fn message(&mut self, t: Millis, gen: u32, is_pong: bool) -> Vec<Output> {
        self.m.handle_message(t, g(gen), is_pong);
        self.drain()
    }

    fn closed(&mut self, t: Millis, gen: u32, code: u16, reason: &str) -> Vec<Output> {
        self.closed_with(t, gen, code, reason, None)
    }

    fn closed_with(
        &mut self,
        t: Millis,
        gen: u32,
        code: u16,
        reason: &str,
        verdict: Option<Verdict>,
    ) -> Vec<Output> {
        self.m
            .handle_close(t, g(gen), code, reason, code != 1006, verdict);
        self.drain()
    }

    fn timeout(&mut self, t: Millis) -> Vec<Output> {
        self.m.handle_timeout(t);
        self.drain()
    }

    /// Jumps to the next deadline and fires the timer there.
    fn fire(&mut self) -> (Millis, Vec<Output>) {
        let t = self.m.poll_timeout().expect("a deadline is armed");
        (t, self.timeout(t))
    }

    fn send(&mut self, t: Millis, bytes: u64) -> (Result<MsgId, SendError>, Vec<Output>) {
        let result = self.m.send(t, bytes);
        (result, self.drain())
    }

    fn close(&mut self, t: Millis, code: Option<u16>, reason: Option<&str>) -> Vec<Output> {
        self.m.close(t, code, reason).expect("valid close");
        self.drain()
    }

    fn reconnect(&mut self, t: Millis) -> Vec<Output> {
        self.m.reconnect(t, None, None).expect("valid reconnect");
        self.drain()
    }

    fn replay(&mut self, t: Millis, gen: u32, rejected: &[u64]) -> Vec<Output> {
        let rejected: Vec<MsgId> = rejected.iter().map(|&id| MsgId(id)).collect();
        self.m.replay(t, g(gen), &rejected);
        self.drain()
    }

    /// The delay of the single `Reconnecting` event in `out`.
    fn delay_in(out: &[Output]) -> Millis {
        let delays: Vec<Millis> = out
            .iter()
            .filter_map(|o| match o {
                Output::Emit(Event::Reconnecting { delay, .. }) => Some(*delay),
                _ => None,
            })
            .collect();
        assert_eq!(delays.len(), 1, "{out:?}");
        delays[0]
    }
}

/// The backoff these scenarios are written against: 1 s·1.6ⁿ capped at 30 s, full jitter, every
/// retry on that schedule (the defaults before the thundering-herd benchmark moved them;
/// `default_backoff_*` tests today's). Round numbers that make every delay easy to follow.
fn one_second_backoff() -> ReconnectConfig {
    ReconnectConfig {
        min_delay: 1000,
        max_delay: 30_000,
        factor: 1.6,
        first_delay: None,
        ..ReconnectConfig::default()
    }
}

/// The default config with [`one_second_backoff`].
fn base() -> Config {
    Config {
        reconnect: one_second_backoff(),
        ..Config::default()
    }
}

fn no_jitter() -> Config {
    Config {
        reconnect: ReconnectConfig {
            jitter: Jitter::None,
            ..one_second_backoff()
        },
        ..Config::default()
    }
}

fn with_heartbeat(mut config: Config) -> Config {
    config.heartbeat = Some(HeartbeatConfig::default());
    config
}

// ---------------------------------------------------------------- readyState / connectionState

#[test]
fn first_connection_is_immediate_and_open_is_announced() {
    let (mut sim, out) = Sim::new(Config::default());
    assert_eq!(out, vec![Output::Connect { gen: g(1) }]);
    assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    assert_eq!(sim.m.connection_state(), CS::Connecting);
    assert_eq!(sim.m.poll_timeout(), Some(10_000), "connect timeout armed");
    assert_eq!(
        sim.open(120, 1),
        vec![sc(CS::Connecting, CS::Open), ev(Event::Open { gen: g(1) })]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Open);
    assert_eq!(
        sim.m.poll_timeout(),
        None,
        "no heartbeat, nothing to wait for"
    );
}

#[test]
fn a_lost_connection_is_connecting_again_until_reopened() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    assert_eq!(sim.m.handle_error(10_000, g(1)), ());
    assert_eq!(sim.drain(), vec![ev(Event::Error)]);
    assert_eq!(
        sim.closed(10_000, 1, 1006, ""),
        vec![
            sc(CS::Open, CS::Reconnecting),
            close_ev(1006, "", false),
            reconnecting(1, 1000)
        ]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    assert_eq!(
        sim.fire(),
        (11_000, vec![Output::Connect { gen: g(2) }]),
        "still 'reconnecting'"
    );
    assert_eq!(
        sim.open(11_050, 2),
        vec![
            sc(CS::Reconnecting, CS::Open),
            ev(Event::Open { gen: g(2) })
        ]
    );
    let stats = sim.m.stats(11_050);
    assert_eq!((stats.attempts, stats.reconnects), (2, 1));
    assert_eq!(stats.downtime_ms, 1050);
}

#[test]
fn start_closed_waits_for_reconnect() {
    let (mut sim, out) = Sim::new(Config {
        start_closed: true,
        ..Config::default()
    });
    assert_eq!(out, vec![]);
    assert_eq!(sim.m.ready_state(), ReadyState::Closed);
    assert_eq!(sim.m.poll_timeout(), None);
    assert_eq!(sim.send(5, 3).0, Err(SendError::InvalidState));
    assert_eq!(
        sim.reconnect(100),
        vec![
            sc(CS::Closed, CS::Connecting),
            Output::Connect { gen: g(1) }
        ]
    );
    assert_eq!(sim.m.poll_timeout(), Some(10_100));
}

#[test]
fn user_close_waits_for_the_real_close_event() {
    let (mut sim, _) = Sim::new(Config::default());
    sim.open(0, 1);
    assert_eq!(
        sim.close(500, Some(4001), Some("bye")),
        vec![
            sc(CS::Open, CS::Closing),
            close_socket(1, 4001, "bye", false)
        ]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Closing);
    assert_eq!(sim.send(501, 1).0, Err(SendError::InvalidState));
    assert_eq!(sim.message(502, 1, false), vec![ev(Event::Message)]);
    // A verdict cannot undo the user's close.
    assert_eq!(
        sim.closed_with(600, 1, 4001, "bye", Some(Verdict::Reconnect)),
        vec![sc(CS::Closing, CS::Closed), close_ev(4001, "bye", true)]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Closed);
    assert_eq!(sim.m.poll_timeout(), None);
    assert_eq!(
        sim.close(700, None, None),
        vec![],
        "closing twice is a no-op"
    );
}

#[test]
fn user_close_stops_waiting_for_a_dead_server_after_connect_timeout() {
    let (mut sim, _) = Sim::new(Config::default());
    sim.open(0, 1);
    sim.close(1000, None, None);
    assert_eq!(sim.m.poll_timeout(), Some(11_000));
    assert_eq!(sim.timeout(10_999), vec![]);
    assert_eq!(
        sim.timeout(11_000),
        vec![
            close_socket(1, 1000, "", true),
            sc(CS::Closing, CS::Closed),
            close_ev(1006, "", false)
        ]
    );
    assert_eq!(
        sim.closed(12_000, 1, 1000, ""),
        vec![],
        "late close ignored"
    );
}

#[test]
fn user_close_without_a_socket_is_closed_at_once() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(0, 1, 1006, "");
    let (id, _) = sim.send(10, 4);
    assert_eq!(id, Ok(MsgId(0)));
    assert_eq!(
        sim.close(20, None, Some("done")),
        vec![
            sc(CS::Reconnecting, CS::Closed),
            close_ev(1000, "done", true),
            dropped(0, DropReason::Closed)
        ]
    );
    assert_eq!(sim.m.poll_timeout(), None, "the backoff timer is gone");
}

#[test]
fn user_close_from_an_error_listener_makes_the_pending_close_the_terminal_one() {
    // A refused handshake: the browser fires `error`, then `close` 1006; the driver hands both to
    // the core together, and `ws.onerror = () => ws.close()` runs before the close is dispatched.
    let (mut sim, _) = Sim::new(no_jitter());
    sim.m.handle_error(5, g(1));
    sim.m.handle_close(5, g(1), 1006, "", false, None);
    let pending = sim.undispatched();
    assert_eq!(
        pending,
        vec![
            ev(Event::Error),
            sc(CS::Connecting, CS::Reconnecting),
            close_ev(1006, "", false),
            reconnecting(1, 1000)
        ]
    );
    let (id, _) = sim.send(6, 4);
    assert_eq!(
        sim.close(6, None, None),
        vec![
            sc(CS::Reconnecting, CS::Closed),
            dropped(id.expect("queued").0, DropReason::Closed)
        ],
        "no second close event: the pending 1006 is the terminal one"
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Closed);
    assert_eq!(sim.m.poll_timeout(), None, "the retry is cancelled");
    sim.dispatch(&pending);
    assert_eq!(sim.close(7, None, None), vec![], "closing twice is a no-op");
}

#[test]
fn user_close_from_a_close_listener_adds_no_close_event() {
    // Heartbeat death and connect timeout synthesize their close event; `onclose = () =>
    // ws.close()` turns it into the terminal one, as for a close the browser reported.
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(0, 1);
    let (_, ping) = sim.fire();
    assert_eq!(ping, vec![Output::SendHeartbeat { gen: g(1) }]);
    let dead_at = sim.m.poll_timeout().expect("the pong deadline");
    sim.m.handle_timeout(dead_at);
    let pending = sim.undispatched();
    assert!(pending.contains(&close_ev(4000, "heartbeat timeout", false)));
    assert_eq!(
        sim.close(dead_at, Some(4001), None),
        vec![sc(CS::Reconnecting, CS::Closed)]
    );
    sim.dispatch(&pending);

    let (mut sim, _) = Sim::new(no_jitter());
    let timed_out_at = sim.m.poll_timeout().expect("the connect timeout");
    sim.m.handle_timeout(timed_out_at);
    let pending = sim.undispatched();
    assert!(pending.contains(&close_ev(1006, "connect timeout", false)));
    assert_eq!(
        sim.close(timed_out_at, None, None),
        vec![sc(CS::Reconnecting, CS::Closed)]
    );
    sim.dispatch(&pending);
    assert_eq!(sim.m.ready_state(), ReadyState::Closed);
}

#[test]
fn user_close_after_the_close_event_was_dispatched_emits_its_own() {
    // Once every listener of the lost socket's close ran with readyState CONNECTING, that close
    // was not terminal: the user's close() in the backoff wait is, with its own clean event.
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(5, 1, 1006, "");
    assert_eq!(
        sim.close(6, Some(4002), Some("later")),
        vec![
            sc(CS::Reconnecting, CS::Closed),
            close_ev(4002, "later", true)
        ]
    );
}

#[test]
fn user_close_validates_like_native() {
    let (mut sim, _) = Sim::new(Config::default());
    assert_eq!(
        sim.m.close(0, Some(1001), None),
        Err(CloseError::InvalidCode)
    );
    assert_eq!(
        sim.m.close(0, Some(2999), None),
        Err(CloseError::InvalidCode)
    );
    assert_eq!(
        sim.m.close(0, Some(5000), None),
        Err(CloseError::InvalidCode)
    );
    let long = "é".repeat(62); // 124 bytes
    assert_eq!(
        sim.m.close(0, Some(1000), Some(&long)),
        Err(CloseError::ReasonTooLong)
    );
    assert_eq!(sim.drain(), vec![], "a refused close changes nothing");
    assert_eq!(sim.m.close(0, Some(3000), Some(&long[2..])), Ok(()));
}

#[test]
fn close_while_connecting_gets_its_close_from_the_socket() {
    let (mut sim, _) = Sim::new(Config::default());
    assert_eq!(
        sim.close(5, None, None),
        vec![
            sc(CS::Connecting, CS::Closing),
            close_socket(1, 1000, "", false)
        ]
    );
    sim.m.handle_error(6, g(1));
    assert_eq!(sim.drain(), vec![ev(Event::Error)]);
    assert_eq!(
        sim.closed(6, 1, 1006, ""),
        vec![sc(CS::Closing, CS::Closed), close_ev(1006, "", false)]
    );
}

#[test]
fn stale_generations_are_ignored() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    sim.reconnect(100);
    assert_eq!(sim.open(101, 1), vec![]);
    assert_eq!(sim.message(102, 1, false), vec![]);
    sim.m.handle_error(103, g(1));
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.closed(104, 1, 1006, ""), vec![]);
    assert_eq!(sim.open(105, 7), vec![], "a future generation too");
    assert_eq!(sim.m.connection_state(), CS::Reconnecting);
    assert_eq!(sim.open(106, 2)[0], sc(CS::Reconnecting, CS::Open));
}

// ---------------------------------------------------------------- backoff

/// Fails every attempt at once and returns (time of each Connect, each delay).
fn failing_schedule(config: Config, seed: u64, retries: usize) -> (Vec<Millis>, Vec<Millis>) {
    let (mut sim, _) = Sim::with_seed(config, seed);
    let (mut connects, mut delays) = (vec![0], vec![]);
    let mut t = 0;
    for gen in 1..=retries as u32 {
        let out = sim.closed(t, gen, 1006, "");
        delays.push(Sim::delay_in(&out));
        let (at, out) = sim.fire();
        assert_eq!(out, vec![Output::Connect { gen: g(gen + 1) }]);
        t = at;
        connects.push(t);
    }
    (connects, delays)
}

#[test]
fn backoff_without_jitter_grows_by_factor_up_to_max_delay() {
    let (connects, delays) = failing_schedule(no_jitter(), SEED, 10);
    assert_eq!(
        delays,
        vec![1000, 1600, 2560, 4096, 6553, 10485, 16777, 26843, 30000, 30000]
    );
    assert_eq!(
        connects,
        vec![0, 1000, 2600, 5160, 9256, 15809, 26294, 43071, 69914, 99914, 129914]
    );
}

#[test]
fn full_jitter_sequence_for_a_fixed_seed() {
    let (_, delays) = failing_schedule(base(), 42, 10);
    assert_eq!(
        delays,
        vec![742, 256, 713, 1410, 249, 9104, 3664, 21492, 10198, 18555]
    );
    let (_, again) = failing_schedule(base(), 42, 10);
    assert_eq!(delays, again, "same seed, same schedule");
    let (_, other) = failing_schedule(base(), 43, 10);
    assert_ne!(delays, other, "every attempt draws anew from the seed");
}

#[test]
fn default_backoff_retries_first_after_1_2_s_then_within_4_s_then_within_9_s() {
    let defaults = ReconnectConfig::default();
    assert_eq!(
        (
            defaults.first_delay,
            defaults.first_jitter,
            defaults.min_delay,
            defaults.factor,
            defaults.max_delay,
            defaults.jitter
        ),
        (Some(1200), 0.25, 1600, 2.5, 9000, Jitter::Full)
    );
    // The ceilings of the later retries: minDelay·factorⁿ capped (the first is not on them).
    let mut config = Config::default();
    config.reconnect.jitter = Jitter::None;
    let (_, ceilings) = failing_schedule(config, SEED, 4);
    assert!((900..=1500).contains(&ceilings[0]), "{ceilings:?}");
    assert_eq!(ceilings[1..], [4000, 9000, 9000]);
    // The first retry uniform in 1.2 s ± 25 %, later ones under those ceilings, drawn anew.
    let (mut first, mut highest_second, mut highest_later) = ((Millis::MAX, 0), 0, 0);
    for seed in 0..200 {
        let (_, delays) = failing_schedule(Config::default(), seed, 4);
        assert!(
            (900..=1500).contains(&delays[0]),
            "seed {seed}: first retry {}",
            delays[0]
        );
        assert!(delays[1] <= 4000, "seed {seed}: {delays:?}");
        assert!(
            delays[2..].iter().all(|&d| d <= 9000),
            "seed {seed}: {delays:?}"
        );
        first = (first.0.min(delays[0]), first.1.max(delays[0]));
        highest_second = highest_second.max(delays[1]);
        highest_later = highest_later.max(*delays[2..].iter().max().unwrap());
    }
    assert!(
        first.0 < 950 && first.1 > 1450 && highest_second > 3600 && highest_later > 8500,
        "{first:?} {highest_second} {highest_later}"
    );
    // 1012/1013: the first retry on the schedule (0–1.6 s), plus 5 × minDelay (at most
    // maxDelay): 8–9.6 s.
    for seed in 0..20 {
        let (mut sim, _) = Sim::with_seed(Config::default(), seed);
        let delay = Sim::delay_in(&sim.closed(0, 1, 1012, ""));
        assert!((8000..=9600).contains(&delay), "seed {seed}: {delay}");
    }
}

/// `firstDelay` with no jitter and round numbers: 1 s·2ⁿ capped at 10 s, first retry 300 ms.
fn quick_first() -> Config {
    Config {
        reconnect: ReconnectConfig {
            first_delay: Some(300),
            first_jitter: 0.0,
            min_delay: 1000,
            factor: 2.0,
            max_delay: 10_000,
            jitter: Jitter::None,
            ..ReconnectConfig::default()
        },
        ..Config::default()
    }
}

#[test]
fn first_delay_replaces_only_the_first_retry_of_the_schedule() {
    let (connects, delays) = failing_schedule(quick_first(), SEED, 6);
    // Retry 0 waits firstDelay; retries 1, 2, … keep their places on the schedule (2 s, 4 s, …).
    assert_eq!(delays, vec![300, 2000, 4000, 8000, 10_000, 10_000]);
    assert_eq!(connects, vec![0, 300, 2300, 6300, 14_300, 24_300, 34_300]);
    // Without it, the first retry is the schedule's minDelay.
    let mut config = quick_first();
    config.reconnect.first_delay = None;
    let (_, delays) = failing_schedule(config, SEED, 3);
    assert_eq!(delays, vec![1000, 2000, 4000]);
}

#[test]
fn first_jitter_spreads_the_first_retry_around_first_delay() {
    let mut config = quick_first();
    config.reconnect.first_delay = Some(4000);
    config.reconnect.first_jitter = 0.25;
    let firsts: Vec<Millis> = (0..200)
        .map(|seed| failing_schedule(config.clone(), seed, 1).1[0])
        .collect();
    assert!(
        firsts.iter().all(|d| (3000..=5000).contains(d)),
        "{firsts:?}"
    );
    let distinct: std::collections::BTreeSet<_> = firsts.iter().collect();
    assert!(distinct.len() > 150, "spread: {} of 200", distinct.len());
    assert!(firsts.iter().any(|&d| d < 3200) && firsts.iter().any(|&d| d > 4800));
}

#[test]
fn first_delay_is_capped_by_max_delay() {
    let mut config = quick_first();
    config.reconnect.first_delay = Some(60_000);
    let (_, delays) = failing_schedule(config, SEED, 2);
    assert_eq!(delays, vec![10_000, 2000]);
}

#[test]
fn first_delay_comes_back_only_after_a_connection_that_stayed_up() {
    let (mut sim, _) = Sim::new(quick_first());
    // Open, up for 60 s (> minUptime), then dropped: the first retry takes firstDelay.
    sim.open(10, 1);
    let out = sim.closed(60_000, 1, 1006, "");
    assert!(out.contains(&reconnecting(1, 300)), "{out:?}");
    let (t, _) = sim.fire();
    assert_eq!(t, 60_300);
    // Open again but dropped within minUptime: the counter goes on, on the schedule.
    sim.open(t + 50, 2);
    let out = sim.closed(t + 1000, 2, 1006, "");
    assert_eq!(Sim::delay_in(&out), 2000);
    // Up for long enough this time: firstDelay again.
    let (t, _) = sim.fire();
    sim.open(t + 50, 3);
    let out = sim.closed(t + 60_000, 3, 1006, "");
    assert_eq!(Sim::delay_in(&out), 300);
}

#[test]
fn a_close_announcing_a_restart_keeps_the_first_retry_on_the_schedule() {
    for code in [1012, 1013] {
        let (mut sim, _) = Sim::new(quick_first());
        // minDelay plus 5 × minDelay: the schedule's first delay, not firstDelay, under the wait.
        let delay = Sim::delay_in(&sim.closed(0, 1, code, ""));
        assert_eq!(delay, 1000 + 5000, "{code}");
    }
    // Any other close takes firstDelay, a clean one included.
    for code in [1000, 1001, 1006, 1011, 4000] {
        let (mut sim, _) = Sim::new(quick_first());
        assert_eq!(Sim::delay_in(&sim.closed(0, 1, code, "")), 300, "{code}");
    }
}

fn jittered(jitter: Jitter) -> Config {
    Config {
        reconnect: ReconnectConfig {
            jitter,
            ..one_second_backoff()
        },
        ..Config::default()
    }
}

#[test]
fn each_jitter_strategy_stays_in_its_range() {
    let ceilings = [
        1000, 1600, 2560, 4096, 6553, 10485, 16777, 26843, 30000, 30000,
    ];
    for seed in 0..50 {
        let (_, full) = failing_schedule(jittered(Jitter::Full), seed, 10);
        let (_, equal) = failing_schedule(jittered(Jitter::Equal), seed, 10);
        let (_, ratio) = failing_schedule(jittered(Jitter::Ratio(0.5)), seed, 10);
        let (_, decorrelated) = failing_schedule(jittered(Jitter::Decorrelated), seed, 10);
        let mut previous = 1000;
        for n in 0..10 {
            let d = ceilings[n];
            assert!(full[n] <= d);
            assert!((d / 2..=d).contains(&equal[n]), "equal {n}: {}", equal[n]);
            assert!(
                (d / 2..=(d * 3 / 2).min(30_000)).contains(&ratio[n]),
                "ratio {n}: {}",
                ratio[n]
            );
            assert!((1000..=(previous * 3).min(30_000)).contains(&decorrelated[n]));
            previous = decorrelated[n];
        }
    }
}

#[test]
fn max_retries_ends_in_giveup_and_drops_the_queue() {
    let mut config = no_jitter();
    config.reconnect.max_retries = Some(2);
    let (mut sim, _) = Sim::new(config);
    sim.closed(0, 1, 1006, "");
    sim.fire();
    let _ = sim.send(1500, 10);
    assert_eq!(sim.closed(1500, 2, 1006, ""), {
        vec![close_ev(1006, "", false), reconnecting(2, 1600)]
    });
    sim.fire();
    assert_eq!(
        sim.closed(3200, 3, 1006, ""),
        vec![
            sc(CS::Reconnecting, CS::Closed),
            close_ev(1006, "", false),
            ev(Event::GiveUp),
            dropped(0, DropReason::GaveUp)
        ]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Closed);
    assert_eq!(sim.m.poll_timeout(), None);
    assert_eq!(sim.send(3300, 1).0, Err(SendError::InvalidState));
    // reconnect() reopens after a give-up, with a fresh counter.
    assert_eq!(
        sim.reconnect(4000),
        vec![
            sc(CS::Closed, CS::Connecting),
            Output::Connect { gen: g(4) }
        ]
    );
    assert_eq!(sim.closed(4001, 4, 1006, "")[2], reconnecting(1, 1000));
}

#[test]
fn max_retries_zero_gives_up_after_the_first_failure() {
    let mut config = no_jitter();
    config.reconnect.max_retries = Some(0);
    let (mut sim, _) = Sim::new(config);
    assert_eq!(
        sim.closed(50, 1, 1006, ""),
        vec![
            sc(CS::Connecting, CS::Closed),
            close_ev(1006, "", false),
            ev(Event::GiveUp)
        ]
    );
}

#[test]
fn connect_timeout_abandons_the_handshake_and_counts_as_a_failure() {
    let (mut sim, _) = Sim::new(no_jitter());
    assert_eq!(sim.timeout(9_999), vec![]);
    assert_eq!(
        sim.fire(),
        (
            10_000,
            vec![
                close_socket(1, 1000, "connect timeout", true),
                ev(Event::Error),
                sc(CS::Connecting, CS::Reconnecting),
                close_ev(1006, "connect timeout", false),
                reconnecting(1, 1000)
            ]
        )
    );
    assert_eq!(sim.fire(), (11_000, vec![Output::Connect { gen: g(2) }]));
    assert_eq!(sim.m.poll_timeout(), Some(21_000));
    assert_eq!(
        sim.open(10_999 + 1000, 1),
        vec![],
        "the abandoned socket is stale"
    );
    let (t, out) = sim.fire();
    assert_eq!(
        (t, Sim::delay_in(&out)),
        (21_000, 1600),
        "second failure in a row"
    );
}

#[test]
fn min_uptime_resets_the_attempt_counter_only_after_staying_open() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(0, 1, 1006, "");
    sim.fire(); // gen 2 at 1000
    sim.closed(1000, 2, 1006, "");
    sim.fire(); // gen 3 at 2600
    sim.open(2600, 3);
    // Flapping: open for 4999 ms does not count as stable.
    assert_eq!(sim.closed(7599, 3, 1000, "")[2], reconnecting(3, 2560));
    let (t, _) = sim.fire(); // gen 4
    sim.open(t, 4);
    assert_eq!(sim.closed(t + 5000, 4, 1001, "")[2], reconnecting(1, 1000));
}

// ---------------------------------------------------------------- close-code policy

#[test]
fn default_policy_terminal_codes_give_up() {
    for code in [1002, 1003, 1007, 1008, 1009, 1010, 3500, 3999, 4500, 4999] {
        let (mut sim, _) = Sim::new(no_jitter());
        sim.open(0, 1);
        assert_eq!(
            sim.closed(10, 1, code, "no"),
            vec![
                sc(CS::Open, CS::Closed),
                close_ev(code, "no", true),
                ev(Event::GiveUp)
            ],
            "code {code}"
        );
    }
    for code in [1000, 1001, 1005, 1006, 1011, 1014, 3000, 3499, 4000, 4499] {
        let (mut sim, _) = Sim::new(no_jitter());
        sim.open(0, 1);
        let out = sim.closed(10, 1, code, "");
        assert_eq!(out[2], reconnecting(1, 1000), "code {code}");
        assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    }
}

#[test]
fn service_restart_and_try_again_later_wait_five_min_delays_longer_than_the_backoff() {
    for code in [1012, 1013] {
        // Without jitter: the backoff's 1 s, then 5 × minDelay on top.
        let (mut sim, _) = Sim::new(no_jitter());
        assert_eq!(sim.closed(0, 1, code, "")[2], reconnecting(1, 6000));
        assert_eq!(sim.fire().0, 6000);
    }
    // With full jitter the delays stay spread: 5 s plus a draw in 0–1 s. Clients a restart closed
    // at the same instant come back over that second, not all at once.
    let delays: Vec<Millis> = (0..200)
        .map(|seed| {
            let (mut sim, _) = Sim::with_seed(base(), seed);
            Sim::delay_in(&sim.closed(0, 1, 1012, ""))
        })
        .collect();
    assert!(
        delays.iter().all(|d| (5000..=6000).contains(d)),
        "{delays:?}"
    );
    let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
    assert!(
        distinct.len() > 150,
        "spread: {} distinct delays of 200",
        distinct.len()
    );
    // What is added never exceeds maxDelay.
    let mut config = no_jitter();
    config.reconnect.max_delay = 3000;
    let (mut sim, _) = Sim::new(config);
    assert_eq!(sim.closed(0, 1, 1013, "")[2], reconnecting(1, 1000 + 3000));
}

#[test]
fn retry_after_ms_in_the_reason_sets_the_delay() {
    let (mut sim, _) = Sim::new(base());
    let out = sim.closed(0, 1, 1013, r#"{"retryAfterMs": 12345}"#);
    assert_eq!(out[2], reconnecting(1, 12_345));
    assert_eq!(sim.fire().0, 12_345);
    // Capped by maxDelay.
    let out = sim.closed(20_000, 2, 1000, r#"{"why":"deploy","retryAfterMs":99999}"#);
    assert_eq!(out[1], reconnecting(2, 30_000));
    // Not JSON: the backoff applies (no jitter here, so exactly minDelay).
    let (mut sim, _) = Sim::new(no_jitter());
    let out = sim.closed(0, 1, 1000, "retryAfterMs: 12345");
    assert_eq!(out[2], reconnecting(1, 1000));
}

#[test]
fn retry_after_ms_scanner() {
    use resilient_websocket::machine::retry_after_ms as hint;
    assert_eq!(hint(r#"{"retryAfterMs":0}"#), Some(0));
    assert_eq!(hint(" {\n\"retryAfterMs\" :\t250 } "), Some(250));
    assert_eq!(hint(r#"{"a":1,"retryAfterMs":2500.1}"#), Some(2501));
    assert_eq!(hint(r#"{"retryAfterMs":2500.0,"b":2}"#), Some(2500));
    assert_eq!(hint(r#"{"retryAfterMs":-5}"#), None);
    assert_eq!(hint(r#"{"retryAfterMs":"5"}"#), None);
    assert_eq!(hint(r#"{"retryAfterMs":5e3}"#), None);
    assert_eq!(hint(r#"{"retryAfterMs":5."}"#), None);
    assert_eq!(hint(r#"{"retryafterms":5}"#), None);
    assert_eq!(hint(r#"["retryAfterMs",5]"#), None);
    assert_eq!(hint(r#"{"retryAfterMs":5"#), None);
    assert_eq!(hint(""), None);
    assert_eq!(
        hint(r#"{"retryAfterMs":99999999999999999999999}"#),
        Some(u64::MAX)
    );
}

#[test]
fn the_user_predicate_verdict_overrides_the_default_policy() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    let out = sim.closed_with(10, 1, 1006, "", Some(Verdict::Stop));
    assert_eq!(out[2], ev(Event::GiveUp));

    let (mut sim, _) = Sim::new(no_jitter());
    let out = sim.closed_with(10, 1, 1008, "", Some(Verdict::Reconnect));
    assert_eq!(out[2], reconnecting(1, 1000));
    let out = sim.closed_with(1010, 1, 1008, "", Some(Verdict::Default));
    assert_eq!(out, vec![], "stale");
    sim.fire();
    let out = sim.closed_with(1010, 2, 1008, "", Some(Verdict::Default));
    assert_eq!(out[2], ev(Event::GiveUp));

    let (mut sim, _) = Sim::new(no_jitter());
    let out = sim.closed_with(10, 1, 1008, "", Some(Verdict::ReconnectAfter(60_000)));
    assert_eq!(
        out[2],
        reconnecting(1, 60_000),
        "the user's delay is taken as given"
    );
    assert_eq!(sim.m.poll_timeout(), Some(60_010));
}

// ---------------------------------------------------------------- heartbeat

#[test]
fn a_dead_connection_is_detected_at_exactly_interval_plus_timeout() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(1000, 1);
    assert_eq!(sim.m.poll_timeout(), Some(26_000));
    assert_eq!(
        sim.fire(),
        (26_000, vec![Output::SendHeartbeat { gen: g(1) }])
    );
    assert_eq!(sim.m.poll_timeout(), Some(36_000));
    assert_eq!(sim.timeout(35_999), vec![]);
    assert_eq!(
        sim.fire(),
        (
            36_000,
            vec![
                close_socket(1, 4000, "heartbeat timeout", true),
                sc(CS::Open, CS::Reconnecting),
                close_ev(4000, "heartbeat timeout", false),
                reconnecting(1, 1000)
            ]
        )
    );
    assert_eq!(sim.fire(), (37_000, vec![Output::Connect { gen: g(2) }]));
}

#[test]
fn any_inbound_traffic_postpones_the_ping_and_answers_it() {
    let (mut sim, _) = Sim::new(with_heartbeat(Config::default()));
    sim.open(0, 1);
    assert_eq!(sim.message(10_000, 1, false), vec![ev(Event::Message)]);
    assert_eq!(sim.m.poll_timeout(), Some(35_000));
    assert_eq!(
        sim.timeout(25_000),
        vec![],
        "a spurious early firing does nothing"
    );
    assert_eq!(
        sim.fire(),
        (35_000, vec![Output::SendHeartbeat { gen: g(1) }])
    );
    // Not the pong, but traffic all the same: alive, round trip measured.
    assert_eq!(
        sim.message(35_030, 1, false),
        vec![ev(Event::Heartbeat { rtt: 30 }), ev(Event::Message)]
    );
    assert_eq!(sim.m.poll_timeout(), Some(60_030));
    assert_eq!(sim.fire().1, vec![Output::SendHeartbeat { gen: g(1) }]);
    assert_eq!(
        sim.message(60_070, 1, true),
        vec![ev(Event::Heartbeat { rtt: 40 })],
        "a pong is not a message event"
    );
    assert_eq!(sim.m.stats(60_070).last_rtt, Some(40));
    assert_eq!(sim.m.poll_timeout(), Some(85_070));
}

#[test]
fn direct_delivery_holds_while_open_with_no_ping_out_and_its_traffic_moves_the_idle_deadline() {
    let (mut sim, _) = Sim::new(with_heartbeat(Config::default()));
    assert!(!sim.m.direct_delivery(g(1)), "not while connecting");
    sim.open(0, 1);
    assert!(sim.m.direct_delivery(g(1)));
    assert!(!sim.m.direct_delivery(g(2)), "not for another socket");
    // Messages the driver delivered itself, the last at 10 s, reported when the timer fires at
    // the idle deadline it had armed: no ping, the deadline moves to 35 s.
    assert_eq!(sim.m.poll_timeout(), Some(25_000));
    sim.m.handle_direct_traffic(10_000, g(1));
    sim.m.handle_direct_traffic(4_000, g(1));
    assert_eq!(sim.drain(), vec![], "reported traffic emits nothing");
    assert_eq!(sim.timeout(25_000), vec![]);
    assert_eq!(
        sim.m.poll_timeout(),
        Some(35_000),
        "an earlier report never moves it back"
    );
    sim.m.handle_direct_traffic(20_000, g(2));
    assert_eq!(
        sim.m.poll_timeout(),
        Some(35_000),
        "another socket's traffic does not count"
    );
    assert_eq!(
        sim.fire(),
        (35_000, vec![Output::SendHeartbeat { gen: g(1) }])
    );
    assert!(
        !sim.m.direct_delivery(g(1)),
        "a ping is out: messages go through the core"
    );
    sim.m.handle_direct_traffic(35_010, g(1));
    assert_eq!(sim.drain(), vec![], "direct traffic does not answer a ping");
    assert_eq!(
        sim.message(35_020, 1, false),
        vec![ev(Event::Heartbeat { rtt: 20 }), ev(Event::Message)]
    );
    assert!(sim.m.direct_delivery(g(1)), "answered: direct again");
    sim.close(36_000, None, None);
    assert!(!sim.m.direct_delivery(g(1)), "not while closing");
}

#[test]
fn direct_send_holds_exactly_while_a_send_would_only_be_transmitted() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    assert_eq!(sim.send(0, 3), (Ok(MsgId(0)), vec![]), "queued");
    assert!(!sim.m.direct_send(g(1)), "not while connecting");
    assert!(sim.open(10, 1).contains(&Output::Replay { gen: g(1) }));
    assert!(sim.m.direct_send(g(1)), "open, even before the replay");
    assert!(!sim.m.direct_send(g(2)), "not for another socket");
    // What the core does with a send now: transmit it at once (ahead of the replay), nothing else.
    assert_eq!(sim.send(11, 4), (Ok(MsgId(1)), vec![transmit(1, 1)]));
    assert_eq!(sim.replay(12, 1, &[]), vec![transmit(1, 0)]);
    assert_eq!(
        sim.fire(),
        (25_010, vec![Output::SendHeartbeat { gen: g(1) }])
    );
    assert!(
        sim.m.direct_send(g(1)),
        "a ping out changes nothing for sends"
    );
    assert_eq!(sim.send(25_013, 5), (Ok(MsgId(2)), vec![transmit(1, 2)]));
    // The server's close frame arrived: sends queue for the next connection.
    sim.m.handle_peer_closing(25_020, g(1));
    assert!(!sim.m.direct_send(g(1)), "not once the server is closing");
    assert_eq!(sim.send(25_030, 6), (Ok(MsgId(3)), vec![]), "queued");
    sim.closed(25_100, 1, 1001, "going away");
    assert!(!sim.m.direct_send(g(1)), "not after the close");
    sim.fire();
    sim.open(26_200, 2);
    assert!(sim.m.direct_send(g(2)));
    sim.close(26_300, None, None);
    assert!(!sim.m.direct_send(g(2)), "not while closing");
}

#[test]
fn a_timer_firing_late_never_kills_a_healthy_connection() {
    let (mut sim, _) = Sim::new(with_heartbeat(Config::default()));
    sim.open(0, 1);
    // The idle timer fires 60 s late: the ping goes out now, with a full timeout from now.
    assert_eq!(
        sim.timeout(85_000),
        vec![Output::SendHeartbeat { gen: g(1) }]
    );
    assert_eq!(sim.m.poll_timeout(), Some(95_000));
    assert_eq!(
        sim.message(94_000, 1, true),
        vec![ev(Event::Heartbeat { rtt: 9000 })]
    );
    assert_eq!(sim.m.connection_state(), CS::Open);
}

#[test]
fn a_deadline_passed_while_hidden_is_reprobed_when_visible_before_it_counts() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(0, 1);
    sim.m.handle_visibility(1000, false);
    assert_eq!(sim.drain(), vec![]);
    // Throttled timers: the idle timer fires 60 s late, then the pong timer 60 s late.
    assert_eq!(
        sim.timeout(85_000),
        vec![Output::SendHeartbeat { gen: g(1) }]
    );
    assert_eq!(sim.m.poll_timeout(), Some(95_000));
    assert_eq!(
        sim.timeout(155_000),
        vec![],
        "hidden: not trusted, not dead"
    );
    assert_eq!(sim.m.poll_timeout(), None, "nothing to do until visible");
    assert_eq!(sim.m.connection_state(), CS::Open);
    sim.m.handle_visibility(200_000, true);
    assert_eq!(sim.drain(), vec![Output::SendHeartbeat { gen: g(1) }]);
    assert_eq!(sim.m.poll_timeout(), Some(210_000));
    assert_eq!(sim.timeout(209_999), vec![]);
    let (t, out) = sim.fire();
    assert_eq!(t, 210_000);
    assert_eq!(out[0], close_socket(1, 4000, "heartbeat timeout", true));
    assert_eq!(out[2], close_ev(4000, "heartbeat timeout", false));
}

#[test]
fn a_reprobe_that_is_answered_keeps_the_connection() {
    let (mut sim, _) = Sim::new(with_heartbeat(Config::default()));
    sim.open(0, 1);
    sim.m.handle_visibility(1000, false);
    sim.timeout(25_000);
    // The pong deadline passes without the timer firing at all (frozen timers), then visible.
    sim.m.handle_visibility(100_000, true);
    assert_eq!(sim.drain(), vec![Output::SendHeartbeat { gen: g(1) }]);
    assert_eq!(
        sim.message(100_080, 1, true),
        vec![ev(Event::Heartbeat { rtt: 80 })]
    );
    assert_eq!(sim.m.poll_timeout(), Some(125_080));
}

#[test]
fn a_deadline_passed_while_visible_counts() {
    let (mut sim, _) = Sim::new(with_heartbeat(Config::default()));
    sim.open(0, 1);
    sim.timeout(25_000);
    // Late timer, page visible the whole time: deadlines are the clock's, death is declared.
    assert_eq!(
        sim.timeout(95_000)[0],
        close_socket(1, 4000, "heartbeat timeout", true)
    );
}

// ---------------------------------------------------------------- outbound buffer

#[test]
fn queued_messages_replay_in_order_after_the_open_handlers() {
    let (mut sim, _) = Sim::new(Config::default());
    for (i, bytes) in [3, 5, 7].into_iter().enumerate() {
        assert_eq!(sim.send(i as Millis, bytes), (Ok(MsgId(i as u64)), vec![]));
    }
    assert_eq!(sim.m.queued_bytes(), 15);
    assert_eq!(
        sim.open(100, 1),
        vec![
            sc(CS::Connecting, CS::Open),
            ev(Event::Open { gen: g(1) }),
            Output::Replay { gen: g(1) }
        ]
    );
    // The onopen handler subscribes: sent at once, ahead of the queue.
    assert_eq!(sim.send(100, 2), (Ok(MsgId(3)), vec![transmit(1, 3)]));
    assert_eq!(
        sim.replay(100, 1, &[]),
        vec![transmit(1, 0), transmit(1, 1), transmit(1, 2)]
    );
    assert_eq!(sim.replay(100, 1, &[]), vec![], "exactly once");
    let stats = sim.m.stats(100);
    assert_eq!(
        (stats.replayed, stats.queued, stats.queued_bytes),
        (3, 0, 0)
    );
    assert_eq!(sim.send(200, 1), (Ok(MsgId(4)), vec![transmit(1, 4)]));
}

#[test]
fn nothing_to_replay_means_no_replay_marker() {
    let (mut sim, _) = Sim::new(Config::default());
    assert_eq!(sim.open(1, 1).len(), 2);
}

#[test]
fn a_socket_lost_before_replay_keeps_the_queue_for_the_next_one() {
    let (mut sim, _) = Sim::new(no_jitter());
    let _ = sim.send(0, 1);
    sim.open(10, 1);
    sim.closed(20, 1, 1006, "");
    assert!(sim.m.replay_candidates(20, g(1)).is_empty());
    assert_eq!(sim.replay(20, 1, &[]), vec![], "stale replay ignored");
    assert_eq!(sim.m.stats(20).queued, 1);
    sim.fire();
    assert_eq!(sim.open(1020, 2)[2], Output::Replay { gen: g(2) });
    assert_eq!(sim.replay(1020, 2, &[]), vec![transmit(2, 0)]);
}

#[test]
fn sends_queue_once_the_server_started_closing_and_go_out_on_the_next_connection() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    assert_eq!(sim.send(10, 4), (Ok(MsgId(0)), vec![transmit(1, 0)]));
    // The server's close frame arrived: the browser socket reads CLOSING and discards data.
    sim.m.handle_peer_closing(20, g(1));
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.send(30, 5), (Ok(MsgId(1)), vec![]), "queued, not sent");
    assert_eq!(sim.send(40, 6), (Ok(MsgId(2)), vec![]));
    assert_eq!(sim.m.ready_state(), ReadyState::Open);
    assert_eq!(sim.m.queued_bytes(), 11);
    // Its close event follows the handshake; the next connection replays the queue in order.
    let out = sim.closed(200, 1, 1001, "going away");
    assert_eq!(Sim::delay_in(&out), 1000);
    sim.fire();
    assert_eq!(sim.open(1300, 2)[2], Output::Replay { gen: g(2) });
    assert_eq!(
        sim.replay(1300, 2, &[]),
        vec![transmit(2, 1), transmit(2, 2)]
    );
}

#[test]
fn a_replay_waits_while_the_server_is_closing_the_socket() {
    let (mut sim, _) = Sim::new(no_jitter());
    let _ = sim.send(0, 3);
    sim.open(10, 1);
    sim.m.handle_peer_closing(10, g(1));
    assert!(sim.m.replay_candidates(10, g(1)).is_empty());
    assert_eq!(
        sim.replay(10, 1, &[]),
        vec![],
        "nothing handed to a closing socket"
    );
    assert_eq!(sim.m.stats(10).queued, 1);
    // A terminal code then: the queue is reported dropped, not lost silently.
    let out = sim.closed(50, 1, 1008, "policy");
    assert!(out.contains(&dropped(0, DropReason::GaveUp)), "{out:?}");
}

#[test]
fn peer_closing_of_a_stale_socket_changes_nothing() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    sim.m.handle_peer_closing(5, g(7));
    assert_eq!(sim.send(10, 4), (Ok(MsgId(0)), vec![transmit(1, 0)]));
}

#[test]
fn overflow_throw_refuses_by_count_and_by_bytes() {
    let mut config = Config::default();
    config.buffer.max_messages = 2;
    config.buffer.max_bytes = 10;
    let (mut sim, _) = Sim::new(config);
    assert_eq!(sim.send(0, 6).0, Ok(MsgId(0)));
    assert_eq!(sim.send(0, 5), (Err(SendError::QuotaExceeded), vec![]));
    assert_eq!(sim.send(0, 4).0, Ok(MsgId(1)));
    assert_eq!(sim.send(0, 0), (Err(SendError::QuotaExceeded), vec![]));
    assert_eq!(sim.m.queued_bytes(), 10);
    // OPEN: not queued, so no cap applies.
    sim.open(1, 1);
    assert_eq!(sim.send(1, 100).0, Ok(MsgId(2)));
}

#[test]
fn overflow_drop_oldest_makes_room() {
    let config = Config {
        buffer: BufferConfig {
            max_messages: 3,
            max_bytes: 10,
            overflow: Overflow::DropOldest,
            ..BufferConfig::default()
        },
        ..Config::default()
    };
    let (mut sim, _) = Sim::new(config);
    for bytes in [4, 3, 2] {
        let _ = sim.send(0, bytes);
    }
    assert_eq!(
        sim.send(0, 1),
        (Ok(MsgId(3)), vec![dropped(0, DropReason::Overflow)])
    );
    assert_eq!(
        sim.send(0, 9),
        (
            Ok(MsgId(4)),
            vec![
                dropped(1, DropReason::Overflow),
                dropped(2, DropReason::Overflow)
            ]
        )
    );
    // Bigger than the whole queue: only the new one goes, the queue is spared.
    assert_eq!(
        sim.send(0, 11),
        (Ok(MsgId(5)), vec![dropped(5, DropReason::Overflow)])
    );
    assert_eq!((sim.m.stats(0).queued, sim.m.queued_bytes()), (2, 10));
    assert_eq!(sim.m.stats(0).dropped, 4);
}

#[test]
fn overflow_drop_newest_drops_the_new_message() {
    let mut config = Config::default();
    config.buffer.max_messages = 1;
    config.buffer.overflow = Overflow::DropNewest;
    let (mut sim, _) = Sim::new(config);
    assert_eq!(sim.send(0, 1), (Ok(MsgId(0)), vec![]));
    assert_eq!(
        sim.send(0, 1),
        (Ok(MsgId(1)), vec![dropped(1, DropReason::Overflow)])
    );
    sim.open(1, 1);
    assert_eq!(sim.replay(1, 1, &[]), vec![transmit(1, 0)]);
}

#[test]
fn ttl_drops_what_is_too_old_at_replay_time() {
    let mut config = Config::default();
    config.buffer.ttl = Some(5000);
    let (mut sim, _) = Sim::new(config);
    let _ = sim.send(0, 1);
    let _ = sim.send(1000, 1);
    let _ = sim.send(3000, 1);
    sim.open(6000, 1);
    assert_eq!(
        sim.m.replay_candidates(6000, g(1)),
        vec![MsgId(1), MsgId(2)],
        "age 5000 is not older than the ttl"
    );
    assert_eq!(sim.drain(), vec![dropped(0, DropReason::Expired)]);
    // The filter ran slowly: by now message 1 has expired too.
    assert_eq!(
        sim.replay(6001, 1, &[]),
        vec![dropped(1, DropReason::Expired), transmit(1, 2)]
    );
}

#[test]
fn the_replay_filter_drops_what_it_rejects_in_order() {
    let (mut sim, _) = Sim::new(Config::default());
    for _ in 0..4 {
        let _ = sim.send(0, 1);
    }
    sim.open(10, 1);
    assert_eq!(
        sim.m.replay_candidates(10, g(1)),
        vec![MsgId(0), MsgId(1), MsgId(2), MsgId(3)]
    );
    assert_eq!(
        sim.replay(10, 1, &[1, 3, 99]),
        vec![
            transmit(1, 0),
            dropped(1, DropReason::Filtered),
            transmit(1, 2),
            dropped(3, DropReason::Filtered)
        ]
    );
    assert_eq!(sim.m.stats(10).replayed, 2);
}

#[test]
fn the_replay_filter_accepts_rejected_ids_in_any_order() {
    let (mut sim, _) = Sim::new(Config::default());
    for _ in 0..3 {
        let _ = sim.send(0, 1);
    }
    sim.open(10, 1);
    assert_eq!(
        sim.replay(10, 1, &[2, 0]),
        vec![
            dropped(0, DropReason::Filtered),
            transmit(1, 1),
            dropped(2, DropReason::Filtered)
        ]
    );
}

#[test]
fn replay_false_drops_every_queued_message() {
    let mut config = Config::default();
    config.buffer.replay = false;
    let (mut sim, _) = Sim::new(config);
    let _ = sim.send(0, 1);
    let _ = sim.send(0, 1);
    sim.open(10, 1);
    assert_eq!(
        sim.replay(10, 1, &[]),
        vec![
            dropped(0, DropReason::Filtered),
            dropped(1, DropReason::Filtered)
        ]
    );
}

#[test]
fn user_close_drops_the_queue_and_cancels_the_replay() {
    let (mut sim, _) = Sim::new(Config::default());
    let _ = sim.send(0, 1);
    sim.open(10, 1);
    // The onopen handler closes.
    assert_eq!(
        sim.close(10, None, None),
        vec![
            sc(CS::Open, CS::Closing),
            close_socket(1, 1000, "", false),
            dropped(0, DropReason::Closed)
        ]
    );
    assert_eq!(sim.replay(10, 1, &[]), vec![]);
}

// ---------------------------------------------------------------- network

#[test]
fn offline_suspends_retries_and_online_attempts_within_a_second() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(0, 1, 1006, "");
    assert_eq!(sim.m.poll_timeout(), Some(1000));
    sim.m.handle_offline(500);
    assert_eq!(sim.drain(), vec![sc(CS::Reconnecting, CS::Offline)]);
    assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    assert_eq!(sim.m.poll_timeout(), None);
    assert_eq!(sim.timeout(60_000), vec![], "no attempt while offline");
    sim.m.handle_online(60_000);
    assert_eq!(
        sim.drain(),
        vec![sc(CS::Offline, CS::Reconnecting), reconnecting(1, 390)]
    );
    assert_eq!(sim.fire(), (60_390, vec![Output::Connect { gen: g(2) }]));
    assert_eq!(sim.m.stats(60_390).attempts, 2);
}

#[test]
fn online_jitter_stays_within_a_second() {
    for seed in 0..200 {
        let (mut sim, _) = Sim::with_seed(Config::default(), seed);
        sim.closed(0, 1, 1006, "");
        sim.m.handle_offline(1);
        sim.m.handle_online(2);
        let delay = Sim::delay_in(&sim.drain());
        assert!(delay <= 1000);
    }
}

#[test]
fn failures_while_offline_burn_no_attempt() {
    let mut config = no_jitter();
    config.reconnect.max_retries = Some(0);
    let (mut sim, _) = Sim::new(config);
    sim.m.handle_offline(0);
    assert_eq!(sim.drain(), vec![], "the attempt in flight is kept");
    assert_eq!(
        sim.closed(30, 1, 1006, ""),
        vec![sc(CS::Connecting, CS::Offline), close_ev(1006, "", false)],
        "no give-up, no schedule"
    );
    assert_eq!(sim.m.poll_timeout(), None);
    sim.m.handle_online(5000);
    let out = sim.drain();
    assert_eq!(out[1], reconnecting(1, 390));
    // A terminal code is terminal even offline.
    let (mut sim, _) = Sim::new(no_jitter());
    sim.m.handle_offline(0);
    assert_eq!(sim.closed(30, 1, 1008, "")[2], ev(Event::GiveUp));
}

#[test]
fn online_resets_the_backoff() {
    let (mut sim, _) = Sim::new(no_jitter());
    for gen in 1..=4 {
        sim.closed(0, gen, 1006, "");
        sim.fire();
    }
    let out = sim.closed(0, 5, 1006, "");
    assert_eq!(out[1], reconnecting(5, 6553));
    sim.m.handle_online(100);
    assert_eq!(sim.drain(), vec![reconnecting(1, 390)]);
    sim.fire();
    assert_eq!(sim.closed(600, 6, 1006, "")[1], reconnecting(2, 1600));
}

#[test]
fn online_probes_an_open_socket_with_a_short_deadline() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(0, 1);
    sim.m.handle_online(5000);
    assert_eq!(sim.drain(), vec![Output::SendHeartbeat { gen: g(1) }]);
    assert_eq!(sim.m.poll_timeout(), Some(8000));
    let (t, out) = sim.fire();
    assert_eq!(t, 8000);
    assert_eq!(out[0], close_socket(1, 4000, "heartbeat timeout", true));
    assert_eq!(out[3], reconnecting(1, 1000));
}

#[test]
fn offline_keeps_an_open_socket_but_probes_it() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(0, 1);
    sim.m.handle_offline(5000);
    assert_eq!(sim.drain(), vec![Output::SendHeartbeat { gen: g(1) }]);
    assert_eq!(sim.m.connection_state(), CS::Open);
    assert_eq!(
        sim.message(5020, 1, true),
        vec![ev(Event::Heartbeat { rtt: 20 })]
    );
    // Dead after all: closed, then nothing is scheduled while offline.
    sim.timeout(30_020);
    let (t, out) = sim.fire();
    assert_eq!(t, 40_020, "only the probe has the short deadline");
    assert_eq!(
        out,
        vec![
            close_socket(1, 4000, "heartbeat timeout", true),
            sc(CS::Open, CS::Offline),
            close_ev(4000, "heartbeat timeout", false)
        ]
    );
    assert_eq!(sim.m.poll_timeout(), None);
}

#[test]
fn without_heartbeat_online_and_offline_leave_an_open_socket_alone() {
    let (mut sim, _) = Sim::new(Config::default());
    sim.open(0, 1);
    sim.m.handle_offline(1);
    sim.m.handle_online(2);
    assert_eq!(sim.drain(), vec![]);
}

#[test]
fn network_false_ignores_online_and_offline() {
    let mut config = no_jitter();
    config.network = false;
    let (mut sim, _) = Sim::new(config);
    sim.closed(0, 1, 1006, "");
    sim.m.handle_offline(10);
    sim.m.handle_online(20);
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.m.poll_timeout(), Some(1000));
}

// ---------------------------------------------------------------- page lifecycle

#[test]
fn pagehide_closes_non_terminally_and_pageshow_reconnects_at_once() {
    let (mut sim, _) = Sim::new(with_heartbeat(no_jitter()));
    sim.open(0, 1);
    sim.m.handle_pagehide(1000);
    assert_eq!(
        sim.drain(),
        vec![
            close_socket(1, 1000, "page hidden", true),
            sc(CS::Open, CS::Reconnecting),
            close_ev(1001, "page hidden", true)
        ]
    );
    assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    assert_eq!(sim.m.poll_timeout(), None, "no reconnect while hidden");
    assert_eq!(
        sim.send(1001, 8),
        (Ok(MsgId(0)), vec![]),
        "the queue is kept"
    );
    sim.m.handle_pageshow(2000, false);
    assert_eq!(sim.drain(), vec![], "a fresh load is not a restore");
    sim.m.handle_pageshow(50_000, true);
    assert_eq!(
        sim.drain(),
        vec![reconnecting(1, 0), Output::Connect { gen: g(2) }]
    );
    assert_eq!(sim.open(50_040, 2)[2], Output::Replay { gen: g(2) });
    assert_eq!(sim.replay(50_040, 2, &[]), vec![transmit(2, 0)]);
}

#[test]
fn freeze_and_resume_behave_like_pagehide_and_pageshow() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.m.handle_freeze(5);
    assert_eq!(
        sim.drain(),
        vec![
            close_socket(1, 1000, "page hidden", true),
            sc(CS::Connecting, CS::Reconnecting),
            close_ev(1001, "page hidden", true)
        ]
    );
    sim.m.handle_resume(10_000);
    assert_eq!(
        sim.drain(),
        vec![reconnecting(1, 0), Output::Connect { gen: g(2) }]
    );
    sim.m.handle_resume(10_001);
    assert_eq!(sim.drain(), vec![], "resume without freeze does nothing");
}

#[test]
fn pagehide_during_a_backoff_wait_cancels_it_and_offline_pageshow_waits_for_online() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(0, 1, 1006, "");
    sim.m.handle_pagehide(10);
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.m.poll_timeout(), None);
    sim.m.handle_offline(20);
    assert_eq!(sim.drain(), vec![], "suspended, not offline, until shown");
    sim.m.handle_pageshow(30, true);
    assert_eq!(sim.drain(), vec![sc(CS::Reconnecting, CS::Offline)]);
    sim.m.handle_online(40);
    assert_eq!(
        sim.drain(),
        vec![sc(CS::Offline, CS::Reconnecting), reconnecting(1, 390)]
    );
}

#[test]
fn page_lifecycle_false_ignores_lifecycle_events() {
    let mut config = with_heartbeat(Config::default());
    config.page_lifecycle = false;
    let (mut sim, _) = Sim::new(config);
    sim.open(0, 1);
    sim.m.handle_visibility(1, false);
    sim.m.handle_pagehide(2);
    sim.m.handle_freeze(3);
    assert_eq!(sim.drain(), vec![]);
    sim.timeout(25_000);
    assert_eq!(
        sim.timeout(35_000)[0],
        close_socket(1, 4000, "heartbeat timeout", true),
        "never hidden: the deadline counts"
    );
}

// ---------------------------------------------------------------- reconnect()

#[test]
fn reconnect_drops_the_socket_and_connects_now() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.open(0, 1);
    sim.m
        .reconnect(100, Some(4100), Some("switch"))
        .expect("valid");
    assert_eq!(
        sim.drain(),
        vec![
            close_socket(1, 4100, "switch", true),
            sc(CS::Open, CS::Reconnecting),
            Output::Connect { gen: g(2) },
            close_ev(4100, "switch", true)
        ]
    );
    assert_eq!(
        sim.m.reconnect(100, Some(1001), None),
        Err(CloseError::InvalidCode)
    );
    assert_eq!(sim.drain(), vec![]);
}

#[test]
fn reconnect_during_a_backoff_wait_skips_the_wait_and_resets_the_backoff() {
    let (mut sim, _) = Sim::new(no_jitter());
    sim.closed(0, 1, 1006, "");
    sim.fire();
    sim.closed(1000, 2, 1006, "");
    assert_eq!(sim.m.poll_timeout(), Some(2600));
    assert_eq!(sim.reconnect(1200), vec![Output::Connect { gen: g(3) }]);
    assert_eq!(sim.closed(1300, 3, 1006, "")[1], reconnecting(1, 1000));
}

#[test]
fn reconnect_during_the_user_close_reports_that_close() {
    let (mut sim, _) = Sim::new(Config::default());
    sim.open(0, 1);
    sim.close(10, None, None);
    assert_eq!(
        sim.reconnect(20),
        vec![
            close_socket(1, 1000, "", true),
            sc(CS::Closing, CS::Reconnecting),
            Output::Connect { gen: g(2) },
            close_ev(1000, "", true)
        ]
    );
}

// ---------------------------------------------------------------- stats

#[test]
fn stats_count_attempts_reconnects_downtime_drops_and_replays() {
    let mut config = no_jitter();
    config.buffer.ttl = Some(500);
    let (mut sim, _) = Sim::new(config);
    sim.open(100, 1);
    sim.closed(1000, 1, 1006, ""); // down from 1000
    let _ = sim.send(1000, 3);
    let _ = sim.send(1900, 4);
    assert_eq!(
        sim.m.stats(1500).downtime_ms,
        500,
        "ongoing downtime counts"
    );
    sim.fire(); // 2000
    sim.open(2100, 2); // up again: 1100 ms down
    sim.replay(2100, 2, &[]); // id 0 expired, id 1 replayed
    sim.m.handle_message(2200, g(2), false);
    sim.close(3000, None, None);
    sim.closed(3100, 2, 1000, "");
    let stats = sim.m.stats(9999);
    assert_eq!(stats.attempts, 2);
    assert_eq!(stats.reconnects, 1);
    assert_eq!(stats.downtime_ms, 1100, "a user close is not downtime");
    assert_eq!(stats.dropped, 1);
    assert_eq!(stats.replayed, 1);
    assert_eq!(stats.last_rtt, None);
    assert_eq!((stats.queued, stats.queued_bytes), (0, 0));
}
