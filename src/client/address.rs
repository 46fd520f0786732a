//! The URL and subprotocols of a new handle, checked as the browser's `WebSocket` constructor
//! checks them (the JS face makes the same checks in `js/options.js`).
//!
//! The driver hands them to the browser's constructor on every attempt, and a constructor that
//! throws fails that attempt; checked once here, a bad URL is an error of `connect` instead of a
//! retry loop.

use super::error::OpenError;
use crate::web::js;
use alloc::string::String;
use alloc::vec::Vec;

/// `url` resolved against the document's base URL (the script's in a worker) by the browser's
/// URL parser, with `http:` as `ws:` and `https:` as `wss:`.
pub(crate) fn resolve(url: &str) -> Result<String, OpenError> {
    let base = [
        js::field(&js::global("document"), "baseURI"),
        js::field(&js::global("location"), "href"),
    ]
    .into_iter()
    .find_map(|href| href.as_string());
    let parsed = match &base {
        Some(base) => web_sys::Url::new_with_base(url, base),
        None => web_sys::Url::new(url),
    }
    .map_err(|_| OpenError::InvalidUrl(url.into()))?;
    let href = parsed.href();
    let (scheme, rest) = href
        .split_once(':')
        .ok_or_else(|| OpenError::InvalidUrl(url.into()))?;
    let scheme = match scheme {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        _ => return Err(OpenError::UnsupportedScheme(url.into())),
    };
    // The URL parser percent-encodes '#' everywhere but in the fragment delimiter.
    if rest.contains('#') {
        return Err(OpenError::Fragment(url.into()));
    }
    Ok([scheme, ":", rest].concat())
}

/// Each subprotocol an RFC 2616 token (visible ASCII but separators), none twice (compared
/// case-insensitively).
pub(crate) fn check_protocols(protocols: &[String]) -> Result<(), OpenError> {
    let mut seen: Vec<String> = Vec::new();
    for protocol in protocols {
        let token = !protocol.is_empty()
            && protocol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(OpenError::InvalidProtocol(protocol.clone()));
        }
        let folded = protocol.to_ascii_lowercase();
        if seen.contains(&folded) {
            return Err(OpenError::DuplicateProtocol(protocol.clone()));
        }
        seen.push(folded);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(protocols: &[&str]) -> Result<(), OpenError> {
        check_protocols(
            &protocols
                .iter()
                .map(|p| String::from(*p))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn protocols_are_tokens_given_once() {
        assert_eq!(checked(&[]), Ok(()));
        assert_eq!(checked(&["chat.v1", "a!#$%&'*+-.^_`|~9"]), Ok(()));
        assert_eq!(
            checked(&["chat", "Chat"]),
            Err(OpenError::DuplicateProtocol("Chat".into()))
        );
        for bad in ["", "a b", "a,b", "a/b", "é", "a\"b", "(a)"] {
            assert_eq!(
                checked(&[bad]),
                Err(OpenError::InvalidProtocol(bad.into())),
                "{bad:?}"
            );
        }
    }
}
