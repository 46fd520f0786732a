//! Acknowledged delivery in the browser: envelopes around the user's payloads (PROTOCOL.md).
//!
//! The core numbers and acknowledges; this module only wraps and unwraps. Payloads stay JS
//! values: a text envelope is a string concatenation, a binary one is assembled in a fresh JS
//! buffer, and only the few bytes of a header are copied into linear memory to be parsed.
//!
//! Only with the `acked` feature. The rest of the driver reaches it through [`perform`],
//! [`receive`] and [`send_ping`], each behind that feature.

use super::state::{state, state_mut, Inner};
use super::{env, js, socket, Shared};
use crate::machine::wire::{self, Frame, Violation, MAX_CLIENT_HEADER};
use crate::machine::{Generation, Output};
use alloc::string::String;
use js_sys::{Array, ArrayBuffer, JsString, Math, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, WebSocket};

/// Performs one of the core's outputs of acknowledged delivery (the others are the pump's).
pub(super) fn perform(rc: &Shared, output: Output) {
    match output {
        Output::TransmitAcked { gen, id, seq, ack } => {
            let (ws, payload) = {
                let inner = state(rc);
                (inner.ws_of(gen), inner.payloads.get(id))
            };
            if let (Some(ws), Some(payload)) = (ws, payload) {
                // A share group hears of the number before the server can have the message.
                #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
                tell(rc, |hooks| hooks.numbered.clone(), id, Some(seq));
                let _ = socket::send(&ws, &envelope(&payload, seq, ack));
            }
        }
        Output::Release { id } => {
            state(rc).payloads.remove(id);
            #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
            tell(rc, |hooks| hooks.released.clone(), id, None);
        }
        Output::SendHello {
            gen,
            session,
            epoch,
            ack,
        } => {
            let hello = hello(&mut state_mut(rc).tokens, session, epoch, ack);
            send_control(rc, gen, &hello);
        }
        Output::SendAck { gen, ack } => send_control(rc, gen, &wire::ack_frame(ack)),
        Output::SendPong { gen } => send_control(rc, gen, wire::PONG),
        _ => {}
    }
}

/// Calls a share group's hook about message `id` (js/share-link.js's, not user code: it only
/// posts on the group's channel), with no borrow of the driver held.
#[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
fn tell(
    rc: &Shared,
    hook: impl Fn(&super::hooks::Hooks) -> Option<js_sys::Function>,
    id: crate::machine::MsgId,
    seq: Option<u64>,
) {
    let Some(hook) = hook(&state(rc).hooks) else {
        return;
    };
    let seq = seq.map_or(JsValue::UNDEFINED, |seq| JsValue::from_f64(seq as f64));
    if let Err(error) = hook.call2(&JsValue::UNDEFINED, &JsValue::from_f64(id.0 as f64), &seq) {
        super::pump::report(rc, error);
    }
}

/// A message on the socket `gen` of an acked instance: its header goes to the core, its payload
/// waits in `inbound` for the core's `Event::Message`.
pub(super) fn receive(inner: &mut Inner, gen: Generation, data: &JsValue) {
    let as_blob = inner.binary_type == "blob";
    let (frame, payload) = open(data, as_blob);
    inner.inbound = payload;
    inner.machine.handle_frame(env::now(), gen, frame);
}

/// The heartbeat of an acked instance: the protocol's ping.
pub(super) fn send_ping(rc: &Shared, gen: Generation) {
    send_control(rc, gen, wire::PING);
}

/// Sends a frame of the acked protocol (hello, ack, ping, pong) on `gen` if it is open.
fn send_control(rc: &Shared, gen: Generation, frame: &str) {
    let ws = state(rc).ws_of(gen);
    if let Some(ws) = ws.filter(|ws| ws.ready_state() == WebSocket::OPEN) {
        let _ = socket::send(&ws, &JsValue::from_str(frame));
    }
}

/// The id and secret key of the current session, made anew whenever the core starts a session.
pub(crate) struct SessionTokens {
    number: u32,
    sid: String,
    key: String,
}

impl SessionTokens {
    /// A share group's session, taken over from another tab, as the core's session `number`.
    #[cfg(all(feature = "share", feature = "acked", feature = "js-face"))]
    pub(super) fn adopted(number: u32, sid: String, key: String) -> SessionTokens {
        SessionTokens { number, sid, key }
    }
}

/// The hello frame of session `number` (making its tokens if it is a new session).
fn hello(tokens: &mut Option<SessionTokens>, number: u32, epoch: u64, ack: u64) -> String {
    let current = match tokens {
        Some(t) if t.number == number => t,
        _ => tokens.insert(SessionTokens {
            number,
            sid: random_token(),
            key: random_token(),
        }),
    };
    wire::hello_frame(&current.sid, &current.key, epoch, ack)
}

/// The payload in a data envelope: a string for a string, else a `Uint8Array` (or a `Blob` for a
/// `Blob`), which the socket sends as one binary frame.
fn envelope(payload: &JsValue, seq: u64, ack: u64) -> JsValue {
    if let Some(text) = payload.dyn_ref::<JsString>() {
        let mut header = String::new();
        wire::text_header(seq, ack, &mut header);
        return JsString::from(header).concat(text).into();
    }
    let (header, len) = wire::binary_header(seq, ack);
    let header = Uint8Array::from(header.get(..len).unwrap_or_default());
    if let Some(blob) = payload.dyn_ref::<Blob>() {
        let parts = Array::of2(&header, blob);
        if let Ok(enveloped) = Blob::new_with_u8_array_sequence(&parts) {
            return enveloped.into();
        }
    }
    let body = bytes_of(payload).unwrap_or_else(|| Uint8Array::new_with_length(0));
    let frame = Uint8Array::new_with_length(header.length() + body.length());
    frame.set(&header, 0);
    frame.set(&body, header.length());
    frame.into()
}

/// An inbound frame (a string, or an `ArrayBuffer`: acked sockets always receive array
/// buffers) split into its parsed header and, for data, the payload the user receives (a `Blob`
/// when `as_blob`).
fn open(data: &JsValue, as_blob: bool) -> (Result<Frame, Violation>, Option<JsValue>) {
    if let Some(text) = data.dyn_ref::<JsString>() {
        let len = text.length();
        let head = text.slice(0, len.min(MAX_CLIENT_HEADER as u32));
        let head = JsValue::from(head).as_string().unwrap_or_default();
        return match wire::parse_text(&head, len as usize <= MAX_CLIENT_HEADER) {
            Ok((frame @ Frame::Data { .. }, at)) => {
                (Ok(frame), Some(text.slice(at as u32, len).into()))
            }
            Ok((frame, _)) => (Ok(frame), None),
            Err(violation) => (Err(violation), None),
        };
    }
    let Some(buffer) = data.dyn_ref::<ArrayBuffer>() else {
        return (Err(Violation::Malformed), None);
    };
    let len = buffer.byte_length();
    // The header is at most 17 bytes (a kind byte, two LEB128 numbers). Read byte by byte rather
    // than with `to_vec` or `copy_to`, whose length assertions bring panic formatting along.
    let view = Uint8Array::new_with_byte_offset_and_length(buffer, 0, len.min(17));
    let mut head = [0u8; 17];
    let head = &mut head[..(view.length() as usize).min(17)];
    for (i, byte) in (0..).zip(head.iter_mut()) {
        *byte = view.get_index(i);
    }
    match wire::parse_binary(head) {
        Ok((frame, at)) => {
            let body = buffer.slice(at as u32);
            let payload = if as_blob {
                Blob::new_with_u8_array_sequence(&Array::of1(&body))
                    .map_or_else(|_| body.clone().into(), JsValue::from)
            } else {
                body.into()
            };
            (Ok(frame), Some(payload))
        }
        Err(violation) => (Err(violation), None),
    }
}

/// The bytes of an `ArrayBuffer` or a view (typed array, `DataView`), without copying.
fn bytes_of(payload: &JsValue) -> Option<Uint8Array> {
    if let Some(buffer) = payload.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buffer));
    }
    if !ArrayBuffer::is_view(payload) {
        return None;
    }
    let offset = js::field(payload, "byteOffset").as_f64()? as u32;
    let len = js::field(payload, "byteLength").as_f64()? as u32;
    Some(Uint8Array::new_with_byte_offset_and_length(
        &js::field(payload, "buffer"),
        offset,
        len,
    ))
}

/// 16 random bytes from `crypto.getRandomValues`, as 22 URL-safe base64 characters. The key must
/// be unguessable: it is what stops another client from taking the session over. `Math.random`
/// fills in only where there is no `crypto` at all (no browser lacks it).
fn random_token() -> String {
    let bytes = Uint8Array::new_with_length(16);
    let crypto = js::global("crypto");
    let filled = js::field(&crypto, "getRandomValues")
        .dyn_into::<js_sys::Function>()
        .is_ok_and(|fill| fill.call1(&crypto, &bytes).is_ok());
    // Byte by byte rather than `to_vec`, whose length assertion brings panic formatting along.
    let mut raw = [0u8; 16];
    for (i, byte) in (0..).zip(&mut raw) {
        *byte = if filled {
            bytes.get_index(i)
        } else {
            (Math::random() * 256.0) as u8
        };
    }
    base64url(&raw)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
