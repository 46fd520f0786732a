//! What the driver reads from the environment: the clock, a random seed, the document's base URL,
//! and the network and page-lifecycle events.

use crate::machine::Millis;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::Reflect;
use wasm_bindgen::closure::Closure;
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

/// `globalThis[key]`, or `undefined`.
fn global(key: &str) -> JsValue {
    Reflect::get(&js_sys::global(), &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]`, or `undefined`.
fn field(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// What relative URLs resolve against: the document's base URL in a page, the script's location in
/// a worker, nothing elsewhere (Node), where only absolute URLs are accepted.
pub(crate) fn base_url() -> Option<String> {
    field(&global("document"), "baseURI")
        .as_string()
        .or_else(|| field(&global("location"), "href").as_string())
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

/// One `addEventListener` registration, removed when dropped.
struct Registration {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Removing a listener that is registered cannot throw.
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
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
        let mut wanted: Vec<(&Option<EventTarget>, &'static str)> = Vec::new();
        if network {
            wanted.push((&window, "online"));
            wanted.push((&window, "offline"));
        }
        if page_lifecycle {
            wanted.push((&document, "visibilitychange"));
            wanted.push((&window, "pagehide"));
            wanted.push((&window, "pageshow"));
            wanted.push((&document, "freeze"));
            wanted.push((&document, "resume"));
        }
        let registrations = wanted
            .into_iter()
            .filter_map(|(target, kind)| {
                let target = target.clone()?;
                let report = report.clone();
                let closure =
                    Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                        report(match kind {
                            "online" => PageEvent::Online,
                            "offline" => PageEvent::Offline,
                            "visibilitychange" => PageEvent::Visibility,
                            "pagehide" => PageEvent::PageHide,
                            "pageshow" => PageEvent::PageShow {
                                persisted: field(&e, "persisted").is_truthy(),
                            },
                            "freeze" => PageEvent::Freeze,
                            _ => PageEvent::Resume,
                        })
                    });
                target
                    .add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())
                    .ok()?;
                Some(Registration {
                    target,
                    kind,
                    closure,
                })
            })
            .collect();
        PageListeners {
            _registrations: registrations,
        }
    }
}

fn global_target(key: &str) -> Option<EventTarget> {
    global(key).dyn_into::<EventTarget>().ok()
}
