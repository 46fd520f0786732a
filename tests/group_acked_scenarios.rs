#![cfg(not(target_arch = "wasm32"))]
//! Scenarios of a share group with acknowledged delivery (`Member::new_acked`, `share` with
//! `delivery: 'acked'`) on a virtual clock: the tabs of `group_sim` sharing one session at its
//! simulated server (`group_sim::acked`), which checks on every frame that no message arrives
//! twice and every member's arrive in its order.

mod group_sim;

use group_sim::acked::PER_SESSION;
use group_sim::Sim;
use resilient_websocket::machine::group::GroupTiming;
use resilient_websocket::machine::Millis;

fn bound() -> Millis {
    GroupTiming::bound(Some(10_000))
}

/// Three tabs sharing one session, posts taking up to 20 ms, frames up to `net_delay`: settled,
/// with one holder writable.
fn settled(seed: u64, net_delay: Millis) -> Sim {
    let mut sim = Sim::new_acked(3, GroupTiming::for_bound(bound()), 20, seed);
    if let Some(server) = sim.server.as_mut() {
        server.net_delay = net_delay;
    }
    sim.advance(2 * bound());
    sim
}

/// How often each of tab `index`'s messages arrived at the server, in the order they arrived.
fn arrived(sim: &Sim, index: usize) -> Vec<u64> {
    let id = sim.tabs[index].member.id();
    let server = sim.server.as_ref().expect("an acked profile");
    server
        .arrivals()
        .filter(|(owner, _)| *owner == id)
        .map(|&(_, seq)| seq)
        .collect()
}

#[test]
fn a_message_is_confirmed_when_the_server_has_it_not_when_written() {
    let mut sim = settled(1, 5);
    let holder = sim.the_holder();
    let follower = (holder + 1) % 3;
    let seq = sim.send(follower).expect("runs");
    sim.advance(50);
    assert_eq!(arrived(&sim, follower), vec![seq], "written and arrived");
    assert!(sim.tabs[follower].member.is_numbered(seq));
    assert!(
        sim.tabs[follower].confirmed.is_empty(),
        "the ack is 100 ms away"
    );
    sim.advance(100);
    assert_eq!(sim.tabs[follower].confirmed, vec![seq]);
    assert_eq!(sim.tabs[follower].member.unconfirmed(), 0);
}

#[test]
fn a_crashed_holders_unacknowledged_messages_arrive_once() {
    for seed in 0..50 {
        let mut sim = settled(seed, 30);
        let old = sim.the_holder();
        let followers: Vec<usize> = (0..3).filter(|&tab| tab != old).collect();
        for _ in 0..4 {
            for &tab in &followers {
                sim.send(tab);
            }
            sim.advance(7);
        }
        sim.advance(40);
        // Numbered (some arrived, some on their way), none acknowledged yet: the holder dies.
        let numbered = followers
            .iter()
            .all(|&tab| (1..=4).all(|seq| sim.tabs[tab].member.is_numbered(seq)));
        assert!(numbered, "seed {seed}: the crash comes after numbering");
        sim.crash(old);
        sim.advance(3 * bound());
        assert_ne!(sim.the_holder(), old);
        for &tab in &followers {
            assert_eq!(
                arrived(&sim, tab),
                vec![1, 2, 3, 4],
                "seed {seed}: tab {tab}"
            );
            assert_eq!(sim.tabs[tab].confirmed, vec![1, 2, 3, 4], "seed {seed}");
            assert!(sim.tabs[tab].unconfirmed.is_empty());
            assert_eq!(sim.tabs[tab].sessions_lost, 0);
        }
        assert_eq!(sim.server.as_ref().map(|s| s.sessions.len()), Some(1));
    }
}

#[test]
fn a_frozen_holders_late_frames_are_fenced_and_their_messages_sent_again() {
    // Frames take up to 1.5 s: many of the frozen holder's arrive after the new holder's hello,
    // which the server ignores; their members send them again through the new holder.
    for seed in 0..20 {
        let mut sim = settled(seed, 1500);
        let old = sim.the_holder();
        let followers: Vec<usize> = (0..3).filter(|&tab| tab != old).collect();
        for &tab in &followers {
            sim.send(tab);
            sim.send(tab);
        }
        sim.advance(5);
        sim.freeze(old, 20_000);
        sim.advance(4 * bound());
        assert_ne!(sim.the_holder(), old);
        for &tab in &followers {
            assert_eq!(arrived(&sim, tab), vec![1, 2], "seed {seed}: tab {tab}");
            assert_eq!(sim.tabs[tab].confirmed, vec![1, 2], "seed {seed}");
        }
        sim.thaw_all();
        sim.advance(3 * bound());
        for &tab in &followers {
            assert_eq!(
                arrived(&sim, tab),
                vec![1, 2],
                "seed {seed}: after the thaw"
            );
        }
    }
}

#[test]
fn every_tab_dispatches_each_server_message_once_across_takeovers() {
    let mut sim = settled(3, 5);
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.push(sim.server_message());
        sim.advance(3);
    }
    let old = sim.the_holder();
    sim.crash(old);
    // While nobody holds: the server keeps them for the next connection.
    for _ in 0..3 {
        sent.push(sim.server_message());
    }
    sim.advance(3 * bound());
    sent.push(sim.server_message());
    sim.advance(100);
    assert_eq!(sent, vec![1, 2, 3, 4, 5, 6, 7]);
    for (index, tab) in sim.tabs.iter().enumerate() {
        if tab.alive {
            assert_eq!(tab.received, sent, "tab {index}");
        }
    }
}

#[test]
fn a_tab_that_joined_late_and_takes_over_names_what_the_group_received() {
    let mut sim = settled(4, 5);
    for _ in 0..3 {
        sim.server_message();
    }
    sim.advance(100);
    let joiner = sim.open_tab();
    sim.advance(100);
    // Every tab that was there when the messages came goes; the joiner holds next.
    for tab in 0..joiner {
        sim.crash(tab);
    }
    sim.server_message();
    sim.advance(3 * bound());
    assert_eq!(sim.the_holder(), joiner);
    let server = sim.server.as_ref().expect("an acked profile");
    assert_eq!(server.refusals, 0, "its hello named the 3 messages");
    assert_eq!(server.sessions.len(), 1, "the session went on");
    assert_eq!(
        sim.tabs[joiner].received,
        vec![4],
        "only what came after it joined"
    );
}

#[test]
fn a_lost_session_reports_what_may_not_have_arrived_and_sends_the_rest_anew() {
    let mut sim = settled(5, 5);
    let holder = sim.the_holder();
    let follower = (holder + 1) % 3;
    sim.send(follower);
    sim.advance(150);
    assert_eq!(sim.tabs[follower].confirmed, vec![1]);
    sim.send(follower);
    sim.advance(50);
    assert!(
        sim.tabs[follower].member.is_numbered(2),
        "sent, not acknowledged"
    );
    // The server restarts without its sessions before it acknowledges message 2.
    sim.server_forgets();
    sim.send(follower);
    sim.advance(bound());
    sim.server_message();
    sim.advance(100);
    let tab = &sim.tabs[follower];
    assert_eq!(
        tab.unconfirmed,
        vec![2],
        "reported: it may or may not have arrived"
    );
    assert_eq!(
        tab.confirmed,
        vec![1, 3],
        "message 3 went into the new session"
    );
    for (index, tab) in sim.tabs.iter().enumerate() {
        assert_eq!(tab.sessions_lost, 1, "tab {index}");
        assert_eq!(
            tab.received,
            vec![PER_SESSION + 1],
            "tab {index}: the new session's"
        );
    }
    let server = sim.server.as_ref().expect("an acked profile");
    assert_eq!(server.sessions.len(), 2);
}
