//! Where the Rust face's events go: the callbacks registered with `on`, and the streams of
//! `events()`.
//!
//! Every list is copied out of its `RefCell` before any callback runs or any task is woken, so a
//! callback may register or remove listeners, open streams, send or close from inside an event,
//! and no user code ever runs while a borrow of this module's state is held.

use super::event::Event;
use alloc::collections::VecDeque;
use alloc::rc::{Rc, Weak};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use futures_core::Stream;

/// Names a callback registered with [`ResilientWebSocket::on`](super::ResilientWebSocket::on),
/// for [`ResilientWebSocket::off`](super::ResilientWebSocket::off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// One registered callback. `removed` is set by `off`, so that a callback removed by another
/// listener of the same event is not called for it (as `removeEventListener` works).
struct Listener {
    id: ListenerId,
    callback: Rc<dyn Fn(&Event)>,
    removed: Cell<bool>,
}

/// The listeners and streams of one handle.
#[derive(Default)]
pub(crate) struct Dispatch {
    listeners: RefCell<Vec<Rc<Listener>>>,
    /// Weak, so that a stream the app dropped stops collecting events.
    streams: RefCell<Vec<Weak<Queue>>>,
    next_id: Cell<u64>,
    /// The handle was dropped: nothing is delivered any more.
    detached: Cell<bool>,
}

impl Dispatch {
    pub(crate) fn add(&self, callback: Rc<dyn Fn(&Event)>) -> ListenerId {
        let id = ListenerId(self.next_id.get());
        self.next_id.set(id.0 + 1);
        if !self.detached.get() {
            self.listeners.borrow_mut().push(Rc::new(Listener {
                id,
                callback,
                removed: Cell::new(false),
            }));
        }
        id
    }

    /// Removes the callback `id`; false if there was none.
    pub(crate) fn remove(&self, id: ListenerId) -> bool {
        let mut listeners = self.listeners.borrow_mut();
        let Some(at) = listeners.iter().position(|l| l.id == id) else {
            return false;
        };
        listeners.remove(at).removed.set(true);
        true
    }

    /// A new stream of the events from now on (an ended one after the handle was dropped).
    pub(crate) fn stream(&self) -> EventStream {
        let queue = Rc::new(Queue::default());
        if self.detached.get() {
            queue.ended.set(true);
        } else {
            let mut streams = self.streams.borrow_mut();
            streams.retain(|q| q.strong_count() > 0);
            streams.push(Rc::downgrade(&queue));
        }
        EventStream { queue }
    }

    /// Hands `event` to every callback, in registration order, then to every stream.
    pub(crate) fn deliver(&self, event: Event) {
        if self.detached.get() {
            return;
        }
        let listeners = self.listeners.borrow().clone();
        for listener in listeners {
            // A callback of this event may have dropped the handle or removed this listener.
            if self.detached.get() || listener.removed.get() {
                continue;
            }
            (listener.callback)(&event);
        }
        let queues: Vec<Rc<Queue>> = self
            .streams
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for queue in queues {
            queue.push(event.clone());
        }
    }

    /// Detaches everything: callbacks are let go of, streams end once drained.
    pub(crate) fn detach(&self) {
        self.detached.set(true);
        // Taken out first: dropping a callback may drop what it captured, user code included.
        let listeners = core::mem::take(&mut *self.listeners.borrow_mut());
        for listener in &listeners {
            listener.removed.set(true);
        }
        drop(listeners);
        let streams = core::mem::take(&mut *self.streams.borrow_mut());
        for queue in streams.iter().filter_map(Weak::upgrade) {
            queue.end();
        }
    }
}

/// The events waiting for one stream.
#[derive(Default)]
struct Queue {
    events: RefCell<VecDeque<Event>>,
    waker: RefCell<Option<Waker>>,
    ended: Cell<bool>,
}

impl Queue {
    fn push(&self, event: Event) {
        self.events.borrow_mut().push_back(event);
        self.wake();
    }

    fn end(&self) {
        self.ended.set(true);
        self.wake();
    }

    fn wake(&self) {
        // Taken out before waking: a waker may poll at once on some executors.
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The events of one [`ResilientWebSocket`](super::ResilientWebSocket) from the moment
/// [`events`](super::ResilientWebSocket::events) was called, as a [`Stream`]. It ends (yields
/// `None`) once the handle has been dropped and the events before that were taken.
///
/// Every stream gets every event, and keeps them until they are taken: drop a stream that is no
/// longer read.
pub struct EventStream {
    queue: Rc<Queue>,
}

impl EventStream {
    /// The next event, or `None` once the handle is gone: `StreamExt::next` without the
    /// dependency.
    pub async fn next(&mut self) -> Option<Event> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let queue = &self.queue;
        if let Some(event) = queue.events.borrow_mut().pop_front() {
            return Poll::Ready(Some(event));
        }
        if queue.ended.get() {
            return Poll::Ready(None);
        }
        *queue.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl core::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventStream")
            .field("waiting", &self.queue.events.borrow().len())
            .field("ended", &self.queue.ended.get())
            .finish()
    }
}
