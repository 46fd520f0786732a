#![cfg(not(target_arch = "wasm32"))]
//! Property test of share groups (`machine::group`): random schedules of up to eight tabs on the
//! simulated profile of `group_sim` (random post and lock delays within the settle's third, random
//! connect times, a thawing tab's backlog in either order), with sends, inbound messages, freezes of any length (of any tab, and of the
//! holder), crashes, new tabs and dropped sockets, then a quiet stretch with every tab thawed.
//!
//! During the schedule (checked by the simulation on every write): the terms of writes never
//! decrease (never two holders writing in one window); no message is written twice, by one holder
//! or two; every tab's messages are written in its order, none skipped. After the quiet stretch:
//! one holder, its socket open; every message of a live tab written, and confirmed to it, exactly
//! once; every message ever confirmed (also to a tab that crashed later) was written.
//!
//! The same schedules run again with acknowledged delivery, against a simulated server
//! (`run_acked`, its own header below).

mod group_sim;

use std::collections::HashSet;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use group_sim::{Sim, Socket};
use resilient_websocket::machine::group::GroupTiming;
use resilient_websocket::machine::Millis;

/// Random schedules per run and property: few enough for a loaded CI machine (about 4 s in a debug
/// build for both; 300,000 of each passed in a release build).
const CASES: u32 = 1_000;
/// Longest schedule of one case.
const MAX_STEPS: usize = 80;
/// Most tabs one case opens.
const MAX_TABS: usize = 8;

#[derive(Clone, Debug)]
enum Action {
    Advance(Millis),
    Send(usize),
    ServerMessage,
    Freeze(usize, Millis),
    /// Freezes whichever tab holds now: takeovers, and concurrent stealers, are what matter.
    FreezeHolder(Millis),
    Crash(usize),
    OpenTab,
    DropSocket(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0u64..2500).prop_map(Action::Advance),
        6 => (0usize..MAX_TABS).prop_map(Action::Send),
        1 => Just(Action::ServerMessage),
        2 => ((0usize..MAX_TABS), (0u64..8000)).prop_map(|(tab, ms)| Action::Freeze(tab, ms)),
        2 => (0u64..8000).prop_map(Action::FreezeHolder),
        1 => (0usize..MAX_TABS).prop_map(Action::Crash),
        1 => Just(Action::OpenTab),
        1 => (0usize..MAX_TABS).prop_map(Action::DropSocket),
    ]
}

#[derive(Clone, Debug)]
struct Schedule {
    tabs: usize,
    heartbeat_timeout: Millis,
    /// Post and lock delays, as thousandths of the longest the design allows (a third of settle).
    post_delay: u64,
    lock_delay: u64,
    connect_delay: Millis,
    timers_first: bool,
    seed: u64,
    actions: Vec<Action>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        1usize..=5,
        400u64..12_000,
        0u64..=1000,
        0u64..=1000,
        1u64..300,
        any::<bool>(),
        any::<u64>(),
        proptest::collection::vec(action(), 0..MAX_STEPS),
    )
        .prop_map(
            |(
                tabs,
                heartbeat_timeout,
                post_delay,
                lock_delay,
                connect_delay,
                timers_first,
                seed,
                actions,
            )| {
                Schedule {
                    tabs,
                    heartbeat_timeout,
                    post_delay,
                    lock_delay,
                    connect_delay,
                    timers_first,
                    seed,
                    actions,
                }
            },
        )
}

/// The profile of `schedule` (acked: its group shares one session), with `schedule`'s delays.
fn profile(schedule: &Schedule, acked: bool) -> Sim {
    let bound = GroupTiming::bound(Some(schedule.heartbeat_timeout));
    let timing = GroupTiming::for_bound(bound);
    // A third of the settle, which is an eighth of the bound.
    let longest = bound / 24;
    let post_delay = longest * schedule.post_delay / 1000;
    let mut sim = if acked {
        Sim::new_acked(schedule.tabs, timing, post_delay, schedule.seed)
    } else {
        Sim::new(schedule.tabs, timing, post_delay, schedule.seed)
    };
    sim.lock_delay = longest * schedule.lock_delay / 1000;
    sim.connect_delay = schedule.connect_delay;
    sim.timers_first = schedule.timers_first;
    sim
}

/// Plays `schedule`'s actions (the server forgets its sessions before action `forget_at`), then a
/// quiet stretch with every tab thawed.
fn play(sim: &mut Sim, schedule: &Schedule, forget_at: Option<usize>, quiet: Millis) {
    for (step, action) in schedule.actions.iter().enumerate() {
        if forget_at == Some(step) {
            sim.server_forgets();
        }
        let count = sim.tabs.len();
        match *action {
            Action::Advance(ms) => sim.advance(ms),
            Action::Send(tab) => {
                let _ = sim.send(tab % count);
            }
            Action::ServerMessage => {
                sim.server_message();
            }
            Action::Freeze(tab, ms) => sim.freeze(tab % count, ms),
            Action::FreezeHolder(ms) => {
                for tab in sim.holders() {
                    sim.freeze(tab, ms);
                }
            }
            Action::Crash(tab) => sim.crash(tab % count),
            Action::OpenTab => {
                if count < MAX_TABS {
                    sim.open_tab();
                }
            }
            Action::DropSocket(tab) => sim.drop_socket(tab % count),
        }
    }
    sim.thaw_all();
    sim.advance(quiet);
}

fn run(schedule: &Schedule) {
    let bound = GroupTiming::bound(Some(schedule.heartbeat_timeout));
    let mut sim = profile(schedule, false);
    play(
        &mut sim,
        schedule,
        None,
        10 * bound + 10 * schedule.connect_delay,
    );

    let written: HashSet<(u64, u64)> = sim
        .writes
        .iter()
        .map(|write| (write.owner.0, write.seq))
        .collect();
    for (index, tab) in sim.tabs.iter().enumerate() {
        let id = tab.member.id().0;
        for seq in &tab.confirmed {
            assert!(
                written.contains(&(id, *seq)),
                "tab {index}: {seq} confirmed, never written"
            );
        }
        if !tab.alive {
            continue;
        }
        assert_eq!(tab.member.unconfirmed(), 0, "tab {index} still waits");
        assert_eq!(
            tab.confirmed, tab.sent,
            "tab {index}: confirmed once each, in order"
        );
        let order: Vec<u64> = sim
            .writes
            .iter()
            .filter(|w| w.owner.0 == id)
            .map(|w| w.seq)
            .collect();
        assert_eq!(order, tab.sent, "tab {index}: written once each, in order");
    }
    assert_one_open_holder(&sim);
}

/// After the quiet stretch, if any tab lives: one holder, its socket open.
fn assert_one_open_holder(sim: &Sim) {
    if sim.tabs.iter().any(|tab| tab.alive) {
        let holders = sim.holders();
        assert_eq!(
            holders.len(),
            1,
            "holders after the quiet stretch: {holders:?}"
        );
        assert_eq!(sim.tabs[holders[0]].socket, Socket::Open);
    }
}

/// The same schedules with acknowledged delivery: the group shares one session at a simulated
/// server (`group_sim::acked`), frames take up to `net_delay` to reach it, and the server may
/// also lose the session. During the schedule the simulation checks that nothing arrives twice
/// at the server and every member's messages arrive in its order, and that every tab dispatches
/// the server's messages once each, in order. After the quiet stretch: every message of a live
/// tab arrived, or was reported (`Unconfirmed`) only if a session was lost, and each was
/// confirmed or reported exactly once; every tab alive has the server's messages from its first
/// on, none missing.
fn run_acked(schedule: &Schedule, net_delay: Millis, forget_at: Option<usize>) {
    let bound = GroupTiming::bound(Some(schedule.heartbeat_timeout));
    let mut sim = profile(schedule, true);
    if let Some(server) = sim.server.as_mut() {
        server.net_delay = net_delay;
    }
    let quiet = 10 * bound + 10 * schedule.connect_delay + 10 * net_delay;
    play(&mut sim, schedule, forget_at, quiet);

    let server = sim.server.as_ref().expect("an acked profile");
    let arrived: HashSet<(u64, u64)> = server
        .arrivals()
        .map(|&(owner, seq)| (owner.0, seq))
        .collect();
    let lost_a_session = server.sessions.len() > 1;
    for (index, tab) in sim.tabs.iter().enumerate() {
        let id = tab.member.id().0;
        for seq in &tab.confirmed {
            assert!(
                arrived.contains(&(id, *seq)),
                "tab {index}: {seq} confirmed, never arrived"
            );
        }
        if !lost_a_session {
            assert!(
                tab.unconfirmed.is_empty() && tab.sessions_lost == 0,
                "tab {index}: a loss reported with the session kept"
            );
        }
        if !tab.alive {
            continue;
        }
        assert_eq!(tab.member.unconfirmed(), 0, "tab {index} still waits");
        let mut settled: Vec<u64> = tab
            .confirmed
            .iter()
            .chain(&tab.unconfirmed)
            .copied()
            .collect();
        settled.sort_unstable();
        assert_eq!(
            settled, tab.sent,
            "tab {index}: each message confirmed or reported, once"
        );
        for seq in &tab.sent {
            assert!(
                arrived.contains(&(id, *seq)) || tab.unconfirmed.contains(seq),
                "tab {index}: {seq} neither arrived nor reported"
            );
        }
        let current = group_sim::acked::PER_SESSION * (server.sessions.len() as u64 - 1);
        let last: Vec<u64> = tab
            .received
            .iter()
            .filter(|&&n| n > current)
            .map(|&n| n - current)
            .collect();
        if let Some(&first) = last.first() {
            let expected: Vec<u64> = (first..=server.sent).collect();
            assert_eq!(last, expected, "tab {index}: the server's messages");
        }
    }
    assert_one_open_holder(&sim);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn share_groups_never_write_twice_and_lose_nothing(schedule in schedule()) {
        run(&schedule);
    }

    #[test]
    fn acked_share_groups_deliver_every_message_once(
        schedule in schedule(),
        net_delay in 0u64..400,
        forget in proptest::option::weighted(0.2, 0usize..MAX_STEPS),
    ) {
        run_acked(&schedule, net_delay, forget);
    }
}
