//! Core errors as the small codes the exported methods return; the JS class throws the
//! `DOMException` each code stands for (`ERRORS` in `js/class.js`), so that the messages are not
//! part of the wasm module. 0 is success.

use crate::machine::{CloseError, SendError};

pub(crate) fn send_error(error: SendError) -> u8 {
    match error {
        SendError::InvalidState => 1,
        SendError::QuotaExceeded => 2,
    }
}

pub(crate) fn close_error(error: CloseError) -> u8 {
    match error {
        CloseError::InvalidCode => 3,
        CloseError::ReasonTooLong => 4,
    }
}
