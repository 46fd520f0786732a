//! Scenario tests of acknowledged delivery in the core, on a virtual clock: the handshake, acks,
//! resends, session loss, the caps, and every protocol violation a hostile server can commit.
//!
//! Run natively by `cargo test`, and compiled for wasm32 (the target the core ships for, with its
//! 32-bit `usize`) in Chromium, Firefox and WebKit as a module of tests/wasm_core.rs.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use resilient_websocket::machine::wire::{self, Frame, Violation};
use resilient_websocket::machine::{
    AckedConfig, BufferConfig, Config, ConnectionState as CS, DropReason, Event, Generation,
    Machine, Millis, MsgId, Output, ReadyState, SendError,
};

const ACK_INTERVAL: Millis = 100;

fn g(n: u32) -> Generation {
    Generation(n)
}

fn acked() -> Config {
    Config {
        acked: Some(AckedConfig {
            ack_interval: ACK_INTERVAL,
        }),
        ..Config::default()
    }
}

fn tx(gen: u32, id: u64, seq: u64, ack: u64) -> Output {
    Output::TransmitAcked {
        gen: g(gen),
        id: MsgId(id),
        seq,
        ack,
    }
}

fn hello(gen: u32, session: u32, epoch: u64, ack: u64) -> Output {
    Output::SendHello {
        gen: g(gen),
        session,
        epoch,
        ack,
    }
}

fn welcome(ack: u64, resumed: bool, epoch: u64) -> Result<Frame, Violation> {
    Ok(Frame::Welcome {
        ack,
        resumed,
        epoch,
    })
}

fn data(seq: u64, ack: u64) -> Result<Frame, Violation> {
    Ok(Frame::Data { seq, ack })
}

struct Sim {
    m: Machine,
}

impl Sim {
    /// The outputs, every close event among them dispatched (as the driver reports it).
    fn drain(&mut self) -> Vec<Output> {
        let out: Vec<Output> = std::iter::from_fn(|| self.m.poll_output()).collect();
        for output in &out {
            if let Output::Emit(Event::Close { .. }) = output {
                self.m.handle_close_dispatched();
            }
        }
        out
    }

    /// Connected and welcomed (epoch 7) on generation 1, outputs drained.
    fn open(config: Config) -> Sim {
        let mut sim = Sim {
            m: Machine::new(config, 1, 0),
        };
        sim.drain();
        sim.m.handle_open(0, g(1));
        sim.drain();
        sim.m.handle_frame(0, g(1), welcome(0, false, 7));
        sim.drain();
        sim
    }

    fn frame(&mut self, now: Millis, frame: Result<Frame, Violation>) -> Vec<Output> {
        self.m.handle_frame(now, g(1), frame);
        self.drain()
    }

    fn send(&mut self, now: Millis) -> Vec<Output> {
        assert!(self.m.send(now, 10).is_ok());
        self.drain()
    }

    fn send_closed(&mut self) {
        assert_eq!(self.m.send(2, 1), Err(SendError::InvalidState));
    }
}

#[test]
fn the_open_event_waits_for_the_welcome_and_queued_messages_are_numbered_after_it() {
    let mut sim = Sim {
        m: Machine::new(acked(), 1, 0),
    };
    assert_eq!(sim.drain(), vec![Output::Connect { gen: g(1) }]);
    sim.m.send(0, 10).unwrap();
    sim.m.handle_open(5, g(1));
    assert_eq!(sim.drain(), vec![hello(1, 1, 0, 0)]);
    assert_eq!(sim.m.ready_state(), ReadyState::Connecting);
    // A send while the hello is out still queues.
    sim.m.send(6, 10).unwrap();
    assert!(sim.drain().is_empty());
    sim.m.handle_frame(8, g(1), welcome(0, false, 3));
    assert_eq!(
        sim.drain(),
        vec![
            Output::Emit(Event::StateChange {
                from: CS::Connecting,
                to: CS::Open
            }),
            Output::Emit(Event::Open { gen: g(1) }),
            Output::Replay { gen: g(1) },
        ]
    );
    sim.m.replay(8, g(1), &[]);
    assert_eq!(sim.drain(), vec![tx(1, 0, 1, 0), tx(1, 1, 2, 0)]);
    assert_eq!(sim.m.stats(8).unacked, 2);
    assert_eq!(
        sim.m.queued_bytes(),
        20,
        "unacknowledged bytes count as buffered"
    );
}

#[test]
fn acks_release_payloads_and_piggyback_or_follow_within_the_interval() {
    let mut sim = Sim::open(acked());
    assert_eq!(sim.send(10), vec![tx(1, 0, 1, 0)]);
    assert_eq!(sim.send(11), vec![tx(1, 1, 2, 0)]);
    // A data frame from the server carries its ack; ours is owed within the interval.
    assert_eq!(
        sim.frame(20, data(1, 1)),
        vec![
            Output::Release { id: MsgId(0) },
            Output::Emit(Event::Message)
        ]
    );
    assert_eq!(sim.m.poll_timeout(), Some(20 + ACK_INTERVAL));
    sim.m.handle_timeout(20 + ACK_INTERVAL - 1);
    assert!(sim.drain().is_empty(), "not before the interval");
    // Something sent meanwhile carries the ack, so no standalone ack follows.
    assert_eq!(sim.send(50), vec![tx(1, 2, 3, 1)]);
    assert_eq!(sim.m.poll_timeout(), None);
    // A duplicate is not delivered, but is acknowledged again.
    assert!(sim.frame(60, data(1, 0)).is_empty());
    sim.m.handle_timeout(60 + ACK_INTERVAL);
    assert_eq!(sim.drain(), vec![Output::SendAck { gen: g(1), ack: 1 }]);
    // A standalone ack from the server releases what it covers.
    assert_eq!(
        sim.frame(70, Ok(Frame::Ack { ack: 3 })),
        vec![
            Output::Release { id: MsgId(1) },
            Output::Release { id: MsgId(2) }
        ]
    );
    assert_eq!(sim.m.stats(70).unacked, 0);
    assert_eq!(sim.m.queued_bytes(), 0);
}

#[test]
fn a_burst_is_acknowledged_at_once_every_256_messages() {
    let mut sim = Sim::open(acked());
    for seq in 1..256 {
        sim.frame(10, data(seq, 0));
    }
    assert_eq!(sim.m.poll_timeout(), Some(10 + ACK_INTERVAL));
    sim.frame(10, data(256, 0));
    assert_eq!(sim.m.poll_timeout(), Some(10));
    sim.m.handle_timeout(10);
    assert_eq!(
        sim.drain(),
        vec![Output::SendAck {
            gen: g(1),
            ack: 256
        }]
    );
}

#[test]
fn a_resumed_session_resends_what_the_server_lacks_before_the_open_event() {
    let mut sim = Sim::open(acked());
    for now in 0..3 {
        sim.send(now);
    }
    sim.frame(5, data(1, 0));
    sim.frame(5, data(2, 0));
    sim.m.handle_close(10, g(1), 1006, "", false, None);
    sim.drain();
    let retry = sim.m.poll_timeout().unwrap();
    sim.m.handle_timeout(retry);
    assert_eq!(sim.drain(), vec![Output::Connect { gen: g(2) }]);
    sim.m.handle_open(retry, g(2));
    // The hello names the epoch and the last server message received.
    assert_eq!(sim.drain(), vec![hello(2, 1, 7, 2)]);
    sim.m.handle_frame(retry, g(2), welcome(1, true, 7));
    let out = sim.drain();
    assert_eq!(
        out,
        vec![
            Output::Release { id: MsgId(0) },
            Output::Emit(Event::StateChange {
                from: CS::Reconnecting,
                to: CS::Open
            }),
            tx(2, 1, 2, 2),
            tx(2, 2, 3, 2),
            Output::Emit(Event::Open { gen: g(2) }),
        ]
    );
    assert_eq!(sim.m.stats(retry).resent, 2);
}

#[test]
fn a_lost_session_reports_the_unconfirmed_messages_and_starts_over() {
    let mut sim = Sim::open(acked());
    sim.send(0);
    sim.send(0);
    sim.frame(1, data(1, 1));
    sim.m.handle_close(10, g(1), 1006, "", false, None);
    sim.drain();
    // Queued while away: never sent, so it goes out in the new session.
    sim.m.send(11, 10).unwrap();
    let retry = sim.m.poll_timeout().unwrap();
    sim.m.handle_timeout(retry);
    sim.drain();
    sim.m.handle_open(retry, g(2));
    assert_eq!(sim.drain(), vec![hello(2, 1, 7, 1)]);
    sim.m.handle_frame(retry, g(2), welcome(0, false, 9));
    let out = sim.drain();
    assert_eq!(
        out[..2],
        [
            Output::Emit(Event::Drop {
                id: MsgId(1),
                reason: DropReason::Unconfirmed
            }),
            Output::Emit(Event::SessionLost { unconfirmed: 1 }),
        ]
    );
    assert!(out.contains(&Output::Emit(Event::Open { gen: g(2) })));
    sim.m.replay(retry, g(2), &[]);
    // Numbering starts over, and the new session's first server message is 1 again.
    assert_eq!(sim.drain(), vec![tx(2, 2, 1, 0)]);
    sim.m.handle_frame(retry, g(2), data(1, 0));
    assert_eq!(sim.drain(), vec![Output::Emit(Event::Message)]);
}

#[test]
fn a_terminal_close_ends_the_session_and_reconnect_starts_a_new_one() {
    let mut sim = Sim::open(acked());
    sim.send(0);
    sim.m.close(1, None, None).unwrap();
    sim.drain();
    // An ack still arriving during the closing handshake counts.
    sim.frame(2, Ok(Frame::Ack { ack: 1 }));
    sim.send_closed();
    sim.m.handle_close(3, g(1), 1000, "", true, None);
    assert_eq!(
        sim.drain(),
        vec![
            Output::Emit(Event::StateChange {
                from: CS::Closing,
                to: CS::Closed
            }),
            Output::Emit(Event::Close {
                code: 1000,
                reason: String::new(),
                was_clean: true
            }),
        ],
        "nothing unconfirmed: the ack came in"
    );
    sim.m.reconnect(4, None, None).unwrap();
    sim.drain();
    sim.m.handle_open(5, g(2));
    assert_eq!(sim.drain(), vec![hello(2, 2, 0, 0)], "session 2, no epoch");
}

#[test]
fn a_give_up_reports_unconfirmed_messages() {
    let mut config = acked();
    config.reconnect.max_retries = Some(0);
    let mut sim = Sim::open(config);
    sim.send(0);
    sim.m.handle_close(1, g(1), 1006, "", false, None);
    let out = sim.drain();
    let giveup = out.iter().position(|o| *o == Output::Emit(Event::GiveUp));
    let unconfirmed = out.iter().position(|o| {
        *o == Output::Emit(Event::Drop {
            id: MsgId(0),
            reason: DropReason::Unconfirmed,
        })
    });
    assert!(giveup.is_some() && unconfirmed > giveup, "{out:?}");
}

#[test]
fn unacknowledged_messages_count_against_the_caps_even_while_open() {
    let mut config = acked();
    config.buffer = BufferConfig {
        max_messages: 2,
        ..BufferConfig::default()
    };
    let mut sim = Sim::open(config);
    sim.send(0);
    sim.send(0);
    assert_eq!(sim.m.send(0, 10), Err(SendError::QuotaExceeded));
    sim.frame(1, Ok(Frame::Ack { ack: 1 }));
    assert!(sim.m.send(2, 10).is_ok(), "the ack made room");
}

#[test]
fn pings_are_answered() {
    let mut sim = Sim::open(acked());
    assert_eq!(
        sim.frame(1, Ok(Frame::Ping)),
        vec![Output::SendPong { gen: g(1) }]
    );
    assert!(sim.frame(2, Ok(Frame::Pong)).is_empty());
}

/// Every violation closes the socket with its code and, under the default policy (4500–4999 are
/// terminal), gives up: reconnecting to a server that breaks the protocol would not help.
#[test]
fn a_hostile_server_is_closed_with_the_documented_code() {
    let cases: [(&str, Result<Frame, Violation>, u16); 8] = [
        ("malformed frame", Err(Violation::Malformed), 4500),
        (
            "a wrong version",
            wire::parse_text("w2,0,new,1", true).map(|f| f.0),
            4505,
        ),
        ("a gap", data(2, 0), 4501),
        ("an ack for a message never sent", data(1, 5), 4502),
        (
            "a standalone ack never sent",
            Ok(Frame::Ack { ack: 1 }),
            4502,
        ),
        ("a second welcome", welcome(0, false, 7), 4500),
        (
            "a sequence number out of range",
            wire::parse_text("d9007199254740992,0;x", false).map(|f| f.0),
            4501,
        ),
        (
            "a frame that is not ours",
            wire::parse_text("hello", true).map(|f| f.0),
            4500,
        ),
    ];
    for (what, frame, code) in cases {
        let mut sim = Sim::open(acked());
        let out = sim.frame(1, frame);
        let reason = match code {
            4500 => "malformed frame",
            4501 => "sequence out of range",
            4502 => "ack for a message never sent",
            _ => "unsupported protocol version",
        };
        assert_eq!(
            out[0],
            Output::CloseSocket {
                gen: g(1),
                code,
                reason: reason.into(),
                detach: true
            },
            "{what}"
        );
        assert!(
            out.contains(&Output::Emit(Event::GiveUp)),
            "{what}: {out:?}"
        );
        assert_eq!(sim.m.ready_state(), ReadyState::Closed, "{what}");
    }
}

#[test]
fn before_the_welcome_only_a_welcome_of_our_epoch_is_accepted() {
    for (what, frame, code) in [
        ("data before the welcome", data(1, 0), 4500),
        ("resuming an epoch we never saw", welcome(0, true, 99), 4500),
        (
            "a welcome of another version",
            wire::parse_text("w2,0,new,1", true).map(|f| f.0),
            4505,
        ),
    ] {
        let mut sim = Sim {
            m: Machine::new(acked(), 1, 0),
        };
        sim.drain();
        sim.m.handle_open(0, g(1));
        sim.drain();
        sim.m.handle_frame(1, g(1), frame);
        let out = sim.drain();
        assert!(
            matches!(out[0], Output::CloseSocket { code: c, .. } if c == code),
            "{what}: {out:?}"
        );
    }
}

#[test]
fn plain_mode_ignores_frames() {
    let mut sim = Sim {
        m: Machine::new(Config::default(), 1, 0),
    };
    sim.drain();
    sim.m.handle_open(0, g(1));
    sim.drain();
    sim.m.handle_frame(1, g(1), Err(Violation::Malformed));
    assert!(sim.drain().is_empty());
    assert!(!sim.m.is_acked());
}

#[test]
fn acknowledged_delivery_never_takes_a_direct_path() {
    let sim = Sim::open(acked());
    assert_eq!(sim.m.ready_state(), ReadyState::Open);
    assert!(
        !sim.m.direct_delivery(g(1)),
        "every frame carries a header the core reads"
    );
    assert!(
        !sim.m.direct_send(g(1)),
        "every message sent is numbered and kept until acknowledged"
    );
}

#[cfg(feature = "share")]
#[test]
fn an_adopted_session_names_the_groups_position_and_numbers_on_from_the_servers_ack() {
    // A share group's new holder continues the session its previous holder's connection had,
    // whose unacknowledged messages stay with the group's members (`machine::group`).
    let mut sim = Sim {
        m: Machine::new(acked(), 1, 0),
    };
    assert_eq!(sim.m.adopt_session(9, 41), Some(1));
    sim.drain();
    sim.m.handle_open(5, g(1));
    assert_eq!(sim.drain(), vec![hello(1, 1, 9, 41)]);
    // The server has 12 of the group's messages: numbering goes on at 13, whatever this tab
    // heard of the numbering.
    sim.m.handle_frame(8, g(1), welcome(12, true, 9));
    sim.drain();
    sim.m.replay(8, g(1), &[]);
    sim.drain();
    assert_eq!(sim.m.session_position(), Some((9, 12, 41)));
    assert_eq!(sim.send(10), vec![tx(1, 0, 13, 41)]);
    // The server's next message is 42; a duplicate of 41 is not dispatched.
    assert!(sim.frame(11, data(41, 0)).is_empty());
    assert_eq!(
        sim.frame(12, data(42, 13)),
        vec![
            Output::Release { id: MsgId(0) },
            Output::Emit(Event::Message)
        ]
    );
    assert_eq!(sim.m.session_position(), Some((9, 13, 42)));
}

#[cfg(feature = "share")]
#[test]
fn an_adopted_session_whose_incarnation_is_gone_is_reported_lost() {
    let mut sim = Sim {
        m: Machine::new(acked(), 1, 0),
    };
    sim.m.adopt_session(9, 41);
    sim.drain();
    sim.m.handle_open(5, g(1));
    sim.drain();
    sim.m.handle_frame(8, g(1), welcome(0, false, 10));
    let out = sim.drain();
    assert!(
        out.contains(&Output::Emit(Event::SessionLost { unconfirmed: 0 })),
        "{out:?}"
    );
    assert_eq!(sim.m.session_position(), Some((10, 0, 0)));
}
