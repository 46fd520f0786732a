//! Core errors as the codes the exported methods return; the JS class throws the `DOMException`
//! each code stands for (`ERRORS` in `js/class.js`), so that the messages are not part of the
//! wasm module.

use super::abi::ErrorCode;
use crate::machine::{CloseError, SendError};

pub(crate) fn send_error(error: SendError) -> ErrorCode {
    match error {
        SendError::InvalidState => ErrorCode::Closed,
        SendError::QuotaExceeded => ErrorCode::BufferFull,
    }
}

pub(crate) fn close_error(error: CloseError) -> ErrorCode {
    match error {
        CloseError::InvalidCode => ErrorCode::InvalidCode,
        CloseError::ReasonTooLong => ErrorCode::ReasonTooLong,
    }
}

/// The code of an outcome: [`ErrorCode::None`] for success.
pub(crate) fn code(outcome: Result<(), ErrorCode>) -> ErrorCode {
    outcome.err().unwrap_or(ErrorCode::None)
}
