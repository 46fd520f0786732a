//! Acknowledged delivery's part of the [`Machine`] (the `acked` feature, PROTOCOL.md): the hello
//! and the welcome, inbound frames, acks, resends and the end of a session.
//!
//! The rest of the machine reaches it only through the few `pub(super)` methods below (the
//! greeting on open, numbering on transmit, the ack deadline, the window's size, the end of a
//! session). A build without the feature has plain twins of exactly those in `super`, which do
//! what plain delivery does, so none of this module's code is in it.

use alloc::vec::Vec;

use super::phase::Phase;
use super::policy;
use super::session::{InFlight, Session, Welcomed};
use super::shared::{DropReason, Event, Generation, Millis, MsgId, Output};
use super::wire::{Frame, Violation};
use super::{CloseInfo, Config, Machine};

/// The session of a machine made with `config`: `None` for plain delivery.
pub(super) fn session(config: &Config) -> Option<Session> {
    config.acked.map(|acked| Session::new(acked.ack_interval))
}

impl Machine {
    /// Whether acknowledged delivery is on.
    pub fn is_acked(&self) -> bool {
        self.session.is_some()
    }

    /// Acknowledged delivery: a frame arrived on the socket `gen`, its header parsed by
    /// [`wire::parse_text`](super::wire::parse_text) or
    /// [`wire::parse_binary`](super::wire::parse_binary) (or rejected by them). A data frame in
    /// order emits [`Event::Message`] (the driver dispatches the payload after the header); a
    /// duplicate is dropped silently; any protocol violation closes the socket with its code
    /// (4500–4999, terminal under the default policy). Ignored in plain mode.
    pub fn handle_frame(&mut self, now: Millis, gen: Generation, frame: Result<Frame, Violation>) {
        let outcome = match self.phase {
            _ if self.session.is_none() => return,
            Phase::Connecting {
                gen: g,
                greeting: true,
                ..
            } if g == gen => match (frame, self.session.as_mut()) {
                (
                    Ok(Frame::Welcome {
                        ack,
                        resumed,
                        epoch,
                    }),
                    Some(session),
                ) => session
                    .on_welcome(ack, resumed, epoch)
                    .map(|welcomed| self.welcomed(now, gen, welcomed)),
                (Err(violation), _) => Err(violation),
                _ => Err(Violation::Malformed),
            },
            Phase::Open { gen: g, .. } if g == gen => {
                self.traffic(now);
                frame.and_then(|frame| self.on_frame(now, gen, frame))
            }
            // The closing handshake: messages and acks still count; violations no longer matter.
            Phase::Closing { gen: g, .. } if g == gen => {
                if let Ok(frame) = frame {
                    let _ = self.on_frame(now, gen, frame);
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(violation) = outcome {
            self.violated(now, gen, violation);
        }
    }

    /// Share groups (`share` with acknowledged delivery): continue, from the next hello on, the
    /// session another tab held, at incarnation `epoch` (0: none welcomed yet) with the server's
    /// messages received up to `received` (see `Session::adopt`). For a machine that has not
    /// connected yet. Returns the session's number, by which [`Output::SendHello`] names it
    /// (`None` in plain mode, where there is nothing to adopt).
    #[cfg(feature = "share")]
    pub fn adopt_session(&mut self, epoch: u64, received: u64) -> Option<u32> {
        let session = self.session.as_mut()?;
        session.adopt(epoch, received);
        Some(session.number)
    }

    /// Where the session stands: its incarnation (0 before the first welcome), the highest of
    /// our messages the server acknowledged, and the highest of its messages received. `None` in
    /// plain mode.
    #[cfg(feature = "share")]
    pub fn session_position(&self) -> Option<(u64, u64, u64)> {
        self.session
            .as_ref()
            .map(|s| (s.epoch, s.acked(), s.received()))
    }

    // ---- what the rest of the machine asks of acknowledged delivery ----

    /// The socket `gen` opened: with acknowledged delivery, sends the hello and returns true (the
    /// welcome opens, in [`Machine::handle_frame`]); in plain mode returns false.
    pub(super) fn greet(&mut self, gen: Generation) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        let (number, epoch, ack) = (session.number, session.epoch, session.received());
        if let Phase::Connecting { greeting, .. } = &mut self.phase {
            *greeting = true;
        }
        self.outputs.push_back(Output::SendHello {
            gen,
            session: number,
            epoch,
            ack,
        });
        true
    }

    /// Hands the message `id` to the open socket `gen`: as is, or numbered in an envelope.
    pub(super) fn transmit(&mut self, gen: Generation, id: MsgId, bytes: u64) {
        let output = match self.session.as_mut() {
            Some(session) => {
                let (seq, ack) = session.number(id, bytes);
                Output::TransmitAcked { gen, id, seq, ack }
            }
            None => Output::Transmit { gen, id },
        };
        self.outputs.push_back(output);
    }

    /// When the standalone ack is due, if one is.
    pub(super) fn ack_due(&self) -> Option<Millis> {
        self.session.as_ref().and_then(Session::ack_due)
    }

    /// Sends the standalone ack on the open socket `gen` if it is due at `now`.
    pub(super) fn send_due_ack(&mut self, now: Millis, gen: Generation) {
        if let Some(ack) = self.session.as_mut().and_then(|s| s.take_due_ack(now)) {
            self.outputs.push_back(Output::SendAck { gen, ack });
        }
    }

    /// The messages sent and not yet acknowledged, and their bytes: the window, which the
    /// client must keep as surely as the queue.
    pub(super) fn unacked(&self) -> (usize, u64) {
        self.session
            .as_ref()
            .map_or((0, 0), |s| (s.window_len(), s.window_bytes()))
    }

    /// A terminal close ends the acknowledged-delivery session: what the server never
    /// acknowledged is reported, and `reconnect()` starts a new session.
    pub(super) fn finish_session(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        for message in session.restart() {
            self.drop_message(message.id, DropReason::Unconfirmed);
        }
    }

    // ---- inbound frames ----

    /// A frame on the open (or closing) socket `gen`.
    fn on_frame(&mut self, now: Millis, gen: Generation, frame: Frame) -> Result<(), Violation> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        match frame {
            Frame::Data { seq, ack } => {
                let released = session.release(ack)?;
                let deliver = session.on_data(now, seq)?;
                self.released(released);
                if deliver {
                    self.emit(Event::Message);
                }
            }
            Frame::Ack { ack } => {
                let released = session.release(ack)?;
                self.released(released);
            }
            Frame::Ping => self.outputs.push_back(Output::SendPong { gen }),
            Frame::Pong => {}
            Frame::Welcome { .. } => return Err(Violation::Malformed),
        }
        Ok(())
    }

    fn released(&mut self, released: Vec<InFlight>) {
        for message in released {
            self.outputs.push_back(Output::Release { id: message.id });
        }
    }

    /// The welcome arrived on `gen`: open, after telling the user about a lost session.
    fn welcomed(&mut self, now: Millis, gen: Generation, welcomed: Welcomed) {
        match welcomed {
            Welcomed::Resumed { released, resend } => {
                self.released(released);
                self.enter_open(now, gen);
                // What the server lacks goes before anything the `open` handlers send.
                self.resend(gen, &resend);
                self.announce_open(gen);
            }
            Welcomed::Fresh { lost, unconfirmed } => {
                for message in &unconfirmed {
                    self.drop_message(message.id, DropReason::Unconfirmed);
                }
                if lost {
                    self.emit(Event::SessionLost {
                        unconfirmed: unconfirmed.len() as u32,
                    });
                }
                self.opened(now, gen);
            }
        }
    }

    /// Sends again, on the socket `gen` that just opened, the messages the server lacks.
    fn resend(&mut self, gen: Generation, resend: &[InFlight]) {
        for message in resend {
            self.stats.resent = self.stats.resent.saturating_add(1);
            let ack = self.session.as_mut().map_or(0, Session::piggyback);
            self.outputs.push_back(Output::TransmitAcked {
                gen,
                id: message.id,
                seq: message.seq,
                ack,
            });
        }
    }

    /// The server broke the protocol on `gen`: close with the violation's code and treat it as
    /// a loss under the default policy (terminal: 4500–4999). Like every close the core initiates,
    /// it does not ask `shouldReconnect`, which judges closes the server sends.
    fn violated(&mut self, now: Millis, gen: Generation, violation: Violation) {
        let (code, reason) = (violation.close_code(), violation.reason());
        self.close_socket(gen, code, reason);
        self.emit(Event::Error);
        let decision = policy::decide(code, reason, None, &self.config.reconnect);
        self.lose(now, CloseInfo::new(code, reason, false), decision);
    }
}
