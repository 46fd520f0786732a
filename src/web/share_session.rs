//! What a share group's connection with acknowledged delivery needs of its `WebDriver` beyond
//! the JS class's exports (js/share-link.js; `share` with `delivery: 'acked'`, API.md §7): the
//! group's one session goes from holder to holder.
//!
//! A new holder's connection continues the session the group knows
//! ([`WebDriver::adopt_session`]), and sends with [`WebDriver::send_tracked`], whose ids the hooks
//! `numbered` and `released` (`HookSlot`) name, so that the group hears each number before the
//! server can have the message, and each acknowledgement. Its `open` report carries the
//! incarnation and the server's ack (src/web/pump.rs).

use super::acked::SessionTokens;
use super::error;
use super::exports::WebDriver;
use super::state::state_mut;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl WebDriver {
    /// Before [`WebDriver::start`]: the session is `sid` (its `key`), at incarnation `epoch` (0:
    /// none welcomed yet, a new session), of which the group received the server's messages up
    /// to `received`.
    #[wasm_bindgen(js_name = adoptSession)]
    pub fn adopt_session(&self, sid: String, key: String, epoch: f64, received: f64) {
        let mut inner = state_mut(&self.inner);
        if let Some(number) = inner.machine.adopt_session(epoch as u64, received as u64) {
            inner.tokens = Some(SessionTokens::adopted(number, sid, key));
        }
    }

    /// `send(data)` that returns the message's id (for the hooks `numbered` and `released`), or
    /// minus the number of the [`ErrorCode`](super::abi::ErrorCode) to throw.
    #[wasm_bindgen(js_name = sendTracked)]
    pub fn send_tracked(&self, data: JsValue, bytes: f64) -> f64 {
        match self.send_message(data, bytes as u64) {
            Ok(id) => id.0 as f64,
            Err(refused) => -f64::from(error::code(Err(error::send_error(refused))) as u8),
        }
    }
}
