//! What the browser reports, turned into the core's `handle_*` calls: a socket's events, the
//! timer, and the page's network and lifecycle events. Each input is followed by a `pump`.

#[cfg(feature = "acked")]
use super::acked;
use super::attempt::attempt_failed;
use super::direct;
use super::env::PageEvent;
use super::hooks;
use super::pump::pump;
use super::socket::SocketEvent;
use super::state::{state, state_mut, Inner};
use super::{env, js, Shared};
use crate::machine::{ConnectionState, Generation};
use alloc::rc::Weak;
use core::cell::RefCell;
use web_sys::WebSocket;

pub(super) fn on_timer(weak: &Weak<RefCell<Inner>>) {
    if let Some(rc) = weak.upgrade() {
        {
            let mut inner = state_mut(&rc);
            inner.timer.fired();
            direct::report_traffic(&mut inner);
            inner.machine.handle_timeout(env::now());
        }
        pump(&rc);
    }
}

pub(super) fn on_page_event(weak: &Weak<RefCell<Inner>>, event: PageEvent) {
    let Some(rc) = weak.upgrade() else { return };
    {
        let now = env::now();
        let mut inner = state_mut(&rc);
        direct::report_traffic(&mut inner);
        let machine = &mut inner.machine;
        match event {
            PageEvent::Online => machine.handle_online(now),
            PageEvent::Offline => machine.handle_offline(now),
            PageEvent::Visibility => machine.handle_visibility(now, !env::hidden()),
            PageEvent::PageHide => machine.handle_pagehide(now),
            PageEvent::PageShow { persisted } => machine.handle_pageshow(now, persisted),
            PageEvent::Freeze => machine.handle_freeze(now),
            PageEvent::Resume => machine.handle_resume(now),
        }
    }
    pump(&rc);
}

pub(super) fn on_socket(weak: &Weak<RefCell<Inner>>, gen: Generation, event: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    match event {
        SocketEvent::Open => {
            // Read with no borrow held: the socket may be a user's WebSocket subclass.
            let ws = state(&rc).ws_of(gen);
            let opened = ws.map(|ws| (js::field(&ws, "protocol"), js::field(&ws, "extensions")));
            let mut inner = state_mut(&rc);
            inner.pending = None;
            inner.attempts_since_open = 0;
            inner.machine.handle_open(env::now(), gen);
            let accepted = inner.machine.connection_state() == ConnectionState::Open;
            if let (true, Some((protocol, extensions))) = (accepted, opened) {
                inner.protocol = protocol;
                inner.extensions = extensions;
            }
        }
        #[cfg(feature = "acked")]
        SocketEvent::Message(data) if state(&rc).acked() => {
            acked::receive(&mut state_mut(&rc), gen, &data);
        }
        SocketEvent::Message(data) => {
            let is_pong = hooks::is_pong(&rc, &data);
            let mut inner = state_mut(&rc);
            inner.inbound = Some(data);
            inner.machine.handle_message(env::now(), gen, is_pong);
        }
        SocketEvent::Error => {
            // Every engine fires `error` with the socket already CLOSED and its `close` next,
            // except WebKit for a port the fetch standard blocks: `error` with the socket still
            // CONNECTING, and no `close` ever. Fail that attempt now, as the others do.
            let stuck = state(&rc)
                .ws_of(gen)
                .is_some_and(|ws| ws.ready_state() == WebSocket::CONNECTING);
            if stuck {
                return attempt_failed(&rc, gen);
            }
            state_mut(&rc).errored = Some(gen);
            return;
        }
        SocketEvent::Close(event) => {
            let verdict = hooks::should_reconnect(&rc, gen, &event);
            let mut inner = state_mut(&rc);
            if inner.pending == Some(gen) {
                inner.pending = None;
            }
            if inner.errored.take() == Some(gen) {
                inner.machine.handle_error(env::now(), gen);
            }
            inner.machine.handle_close(
                env::now(),
                gen,
                event.code(),
                &event.reason(),
                event.was_clean(),
                verdict,
            );
        }
    }
    pump(&rc);
    // A pong, or a message the core ignored, was not dispatched: let go of its data.
    state_mut(&rc).inbound = None;
}

/// Tells the core if the live socket stopped accepting data before its `close` event: once the
/// server has started the closing handshake, the browser's socket reads CLOSING and discards what
/// it is handed (it only logs a warning). Called before anything is handed to the socket, so that
/// such messages stay queued for the next connection instead. The socket's `readyState` is read
/// with no borrow held (it may be a user's WebSocket subclass).
pub(super) fn notice_peer_closing(rc: &Shared) {
    let live = {
        let inner = state(rc);
        inner.socket.as_ref().map(|s| (s.ws.clone(), s.gen))
    };
    if let Some((ws, gen)) = live {
        if ws.ready_state() >= WebSocket::CLOSING {
            state_mut(rc).machine.handle_peer_closing(env::now(), gen);
        }
    }
}
