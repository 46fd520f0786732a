//! The JS built-ins the driver reaches for everywhere, bound so that a property name crosses into
//! JS as a `&str` the glue decodes, instead of as a `JsValue` string made first and dropped after.

use wasm_bindgen::prelude::*;

/// The one closure type of every event handler and timer callback the driver installs: a single
/// signature means wasm-bindgen's glue for it exists once.
pub(crate) type Handler = Closure<dyn FnMut(JsValue)>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &str, value: &JsValue) -> bool;
    /// `globalThis`, which every environment the module runs in (windows, workers, Node) has.
    #[wasm_bindgen(js_name = globalThis)]
    type Global;
    /// The global object, read afresh on each call as `globalThis.globalThis` (an imported static
    /// would be cached in a lazily initialised cell, whose machinery costs more than the call).
    #[wasm_bindgen(static_method_of = Global, getter, js_name = globalThis)]
    fn global_this() -> JsValue;
}

/// `obj[key]` when `obj` is an object or a function, else `undefined`. A getter that throws
/// propagates.
pub(crate) fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if obj.is_object() || obj.is_function() {
        reflect_get(obj, key)
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

/// `obj[key]`, or `undefined` when it cannot be read (for the environment's own objects, whose
/// properties do not throw).
pub(crate) fn field(obj: &JsValue, key: &str) -> JsValue {
    get(obj, key).unwrap_or(JsValue::UNDEFINED)
}

/// `globalThis[key]`, or `undefined`.
pub(crate) fn global(key: &str) -> JsValue {
    field(&Global::global_this(), key)
}

/// `obj[key] = value`, where it does not throw: on plain objects the driver made, and for a
/// socket's handler and `binaryType` attributes (as with the typed setters, an exception from a
/// user's `WebSocket` subclass would propagate).
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    reflect_set(obj, key, value);
}
