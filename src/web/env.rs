//! What the driver reads from the environment: the clock, a random seed, and the network and
//! page-lifecycle events.

use super::js::{field, global, Handler};
use crate::machine::Millis;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;
use web_sys::EventTarget;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: monotonic, and present in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds on the monotonic clock the core's deadlines are measured against.
pub(crate) fn now() -> Millis {
    // performance.now() is non-negative and finite; the cast saturates rather than panics anyway.
    performance_now() as Millis
}

/// A seed for the core's jitter PRNG. Jitter needs spread across clients, not secrecy.
pub(crate) fn seed() -> u64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
}

/// `navigator.onLine`; true where there is no navigator to ask.
pub(crate) fn online() -> bool {
    field(&global("navigator"), "onLine")
        .as_bool()
        .unwrap_or(true)
}

/// `document.hidden`; false where there is no document.
pub(crate) fn hidden() -> bool {
    field(&global("document"), "hidden")
        .as_bool()
        .unwrap_or(false)
}

/// A browser event the core reacts to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PageEvent {
    Online,
    Offline,
    Visibility,
    PageHide,
    PageShow { persisted: bool },
    Freeze,
    Resume,
}

/// The events listened to, in registration order: the event, whether it fires on `document`
/// (else on the window), whether `network` (else `pageLifecycle`) enables it, and what it means.
const PAGE_EVENTS: [(&str, bool, bool, PageEvent); 7] = [
    ("online", false, true, PageEvent::Online),
    ("offline", false, true, PageEvent::Offline),
    ("visibilitychange", true, false, PageEvent::Visibility),
    ("pagehide", false, false, PageEvent::PageHide),
    (
        "pageshow",
        false,
        false,
        PageEvent::PageShow { persisted: false },
    ),
    ("freeze", true, false, PageEvent::Freeze),
    ("resume", true, false, PageEvent::Resume),
];

/// One `addEventListener` registration, removed when dropped.
struct Registration {
    target: EventTarget,
    kind: &'static str,
    handler: Handler,
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Removing a listener that is registered cannot throw.
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.handler.as_ref().unchecked_ref());
    }
}

/// The listeners of one instance on `globalThis` and `document`; dropping them unregisters them.
pub(crate) struct PageListeners {
    _registrations: Vec<Registration>,
}

impl PageListeners {
    /// Registers `network` (online/offline) and `page_lifecycle` (visibilitychange, pagehide,
    /// pageshow, freeze, resume) listeners, on whichever targets this environment has.
    pub(crate) fn register(
        network: bool,
        page_lifecycle: bool,
        report: impl Fn(PageEvent) + Clone + 'static,
    ) -> PageListeners {
        let window = global_target("window").or_else(|| global_target("self"));
        let document = global_target("document");
        let mut registrations = Vec::new();
        for (kind, on_document, is_network, meaning) in PAGE_EVENTS {
            let target = if on_document { &document } else { &window };
            let wanted = if is_network { network } else { page_lifecycle };
            let (true, Some(target)) = (wanted, target) else {
                continue;
            };
            let report = report.clone();
            let handler = Handler::new(move |event: JsValue| {
                report(match meaning {
                    PageEvent::PageShow { .. } => PageEvent::PageShow {
                        persisted: field(&event, "persisted").is_truthy(),
                    },
                    meaning => meaning,
                })
            });
            if target
                .add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref())
                .is_ok()
            {
                registrations.push(Registration {
                    target: target.clone(),
                    kind,
                    handler,
                });
            }
        }
        PageListeners {
            _registrations: registrations,
        }
    }
}

fn global_target(key: &str) -> Option<EventTarget> {
    global(key).dyn_into::<EventTarget>().ok()
}
