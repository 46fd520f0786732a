//! The envelope codec of acknowledged delivery (`delivery: 'acked'`), as PROTOCOL.md specifies it.
//!
//! Pure functions over the few bytes of a header: payloads never pass through here. The driver
//! hands over at most [`MAX_CLIENT_HEADER`] characters of an inbound text frame (or bytes of a
//! binary one), learns where the payload starts, and slices it off in JS without copying it into
//! linear memory. Numbers are written without `core::fmt`, which would cost more wasm than the
//! whole codec.

use alloc::string::String;

/// The protocol version this build speaks.
pub const VERSION: u64 = 1;

/// The largest sequence number or ack (`Number.MAX_SAFE_INTEGER`, so a JS peer counts exactly).
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// The longest header a server may send to a client: `w1,<ack>,resumed,<epoch>` with both numbers
/// at 16 digits is 52 characters. A text frame whose first this many characters hold no complete
/// header is malformed.
pub const MAX_CLIENT_HEADER: usize = 64;

/// The first byte of a binary data frame (`d`, as in text).
pub const BINARY_DATA: u8 = b'd';

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A data message numbered `seq`, carrying the sender's cumulative `ack`.
    Data {
        /// The message's sequence number (1, 2, …).
        seq: u64,
        /// The highest sequence number the sender has received without a gap.
        ack: u64,
    },
    /// A standalone cumulative ack.
    Ack {
        /// The highest sequence number the sender has received without a gap.
        ack: u64,
    },
    /// The server's answer to the client's hello.
    Welcome {
        /// The last client sequence number the server has.
        ack: u64,
        /// `true` when the server continued the session the client named; `false` when it
        /// started a new one (it did not know or no longer kept that session).
        resumed: bool,
        /// The incarnation of the session's state on the server (random, never 0). The client
        /// names it in its next hello; the server resumes only the incarnation named, so state
        /// the server made for a hello whose welcome was lost is never mistaken for the state the
        /// client knows.
        epoch: u64,
    },
    /// A protocol-level ping; the answer is [`Frame::Pong`].
    Ping,
    /// The answer to a ping.
    Pong,
}

/// Why a frame was rejected. Each maps to the close code of PROTOCOL.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Not a frame of this protocol, or a frame not allowed at this point.
    Malformed,
    /// A sequence number skips ahead (a gap) or exceeds [`MAX_SEQ`].
    SeqOutOfRange,
    /// An ack for a message that was never sent.
    AckUnsent,
    /// A welcome of a protocol version this build does not speak.
    Version,
}

impl Violation {
    /// The close code the detecting side sends (PROTOCOL.md, "Errors"). All are in 4500–4999, so
    /// the default policy treats them as terminal: a peer that breaks the protocol will not be
    /// fixed by reconnecting to it.
    pub fn close_code(self) -> u16 {
        match self {
            Violation::Malformed => 4500,
            Violation::SeqOutOfRange => 4501,
            Violation::AckUnsent => 4502,
            Violation::Version => 4505,
        }
    }

    /// The close reason sent with [`Violation::close_code`].
    pub fn reason(self) -> &'static str {
        match self {
            Violation::Malformed => "malformed frame",
            Violation::SeqOutOfRange => "sequence out of range",
            Violation::AckUnsent => "ack for a message never sent",
            Violation::Version => "unsupported protocol version",
        }
    }
}

/// Parses the header of an inbound text frame from its first characters. `complete` tells whether
/// `head` is the whole frame (else it is a prefix of [`MAX_CLIENT_HEADER`] characters). Returns
/// the frame and, for data, where the payload starts (a byte offset, which equals the UTF-16
/// offset: headers are ASCII).
pub fn parse_text(head: &str, complete: bool) -> Result<(Frame, usize), Violation> {
    let bytes = head.as_bytes();
    let (&kind, rest) = bytes.split_first().ok_or(Violation::Malformed)?;
    if kind == b'd' {
        let (seq, rest) = number(rest)?;
        let (ack, rest) = number(rest.strip_prefix(b",").ok_or(Violation::Malformed)?)?;
        if rest.first() != Some(&b';') {
            return Err(Violation::Malformed);
        }
        let frame = data(seq, ack)?;
        return Ok((frame, bytes.len() - rest.len() + 1));
    }
    // Every other frame is a header alone.
    if !complete {
        return Err(Violation::Malformed);
    }
    let frame = match kind {
        b'a' => {
            let (ack, rest) = number(rest)?;
            end(rest)?;
            Frame::Ack { ack }
        }
        b'w' => {
            let (version, rest) = number(rest)?;
            if version != VERSION {
                return Err(Violation::Version);
            }
            let (ack, rest) = number(rest.strip_prefix(b",").ok_or(Violation::Malformed)?)?;
            let (resumed, rest) = if let Some(rest) = rest.strip_prefix(b",resumed,") {
                (true, rest)
            } else if let Some(rest) = rest.strip_prefix(b",new,") {
                (false, rest)
            } else {
                return Err(Violation::Malformed);
            };
            let (epoch, rest) = number(rest)?;
            end(rest)?;
            if epoch == 0 {
                return Err(Violation::Malformed);
            }
            Frame::Welcome {
                ack,
                resumed,
                epoch,
            }
        }
        b'p' if rest.is_empty() => Frame::Ping,
        b'q' if rest.is_empty() => Frame::Pong,
        _ => return Err(Violation::Malformed),
    };
    Ok((frame, bytes.len()))
}

/// Parses the header of an inbound binary frame from its first bytes (at most 17 are read).
/// Returns the data header and where the payload starts.
pub fn parse_binary(head: &[u8]) -> Result<(Frame, usize), Violation> {
    let rest = head
        .strip_prefix(&[BINARY_DATA])
        .ok_or(Violation::Malformed)?;
    let (seq, rest) = varint(rest)?;
    let (ack, rest) = varint(rest)?;
    Ok((data(seq, ack)?, head.len() - rest.len()))
}

/// The header of an outbound text data frame: `d<seq>,<ack>;`, to be followed by the payload.
pub fn text_header(seq: u64, ack: u64, out: &mut String) {
    out.push('d');
    push_decimal(out, seq);
    out.push(',');
    push_decimal(out, ack);
    out.push(';');
}

/// The header of an outbound binary data frame (`d`, then seq and ack as LEB128), to be followed
/// by the payload. Returns the buffer and the header's length in it.
pub fn binary_header(seq: u64, ack: u64) -> ([u8; 17], usize) {
    let mut out = [0u8; 17];
    out[0] = BINARY_DATA;
    let len = push_varint(&mut out, 1, seq);
    let len = push_varint(&mut out, len, ack);
    (out, len)
}

/// A standalone ack frame: `a<ack>`.
pub fn ack_frame(ack: u64) -> String {
    let mut out = String::from("a");
    push_decimal(&mut out, ack);
    out
}

/// The client's hello: `h<version>,<sid>,<key>,<epoch>,<ack>`. `sid` and `key` are the
/// session's id and secret (22 URL-safe base64 characters each, from `crypto.getRandomValues`);
/// `epoch` is that of the last welcome (0 before the first).
pub fn hello_frame(sid: &str, key: &str, epoch: u64, ack: u64) -> String {
    let mut out = String::from("h");
    push_decimal(&mut out, VERSION);
    out.push(',');
    out.push_str(sid);
    out.push(',');
    out.push_str(key);
    out.push(',');
    push_decimal(&mut out, epoch);
    out.push(',');
    push_decimal(&mut out, ack);
    out
}

/// The ping and pong frames.
pub const PING: &str = "p";
/// See [`PING`].
pub const PONG: &str = "q";

fn data(seq: u64, ack: u64) -> Result<Frame, Violation> {
    if seq == 0 {
        return Err(Violation::SeqOutOfRange);
    }
    Ok(Frame::Data { seq, ack })
}

fn end(rest: &[u8]) -> Result<(), Violation> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(Violation::Malformed)
    }
}

/// A decimal number without leading zeros (`0` alone is fine), at most [`MAX_SEQ`].
///
/// Like the rest of this module it never indexes or slices by position: a failed bounds check
/// would pull the panic's formatting machinery into the wasm.
fn number(text: &[u8]) -> Result<(u64, &[u8]), Violation> {
    let len = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let (digits, rest) = text.split_at_checked(len).ok_or(Violation::Malformed)?;
    if len == 0 || (len > 1 && digits.first() == Some(&b'0')) {
        return Err(Violation::Malformed);
    }
    if len > 16 {
        return Err(Violation::SeqOutOfRange);
    }
    let value = digits
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    if value > MAX_SEQ {
        return Err(Violation::SeqOutOfRange);
    }
    Ok((value, rest))
}

/// An unsigned LEB128 number of at most 8 bytes, minimally encoded, at most [`MAX_SEQ`].
fn varint(bytes: &[u8]) -> Result<(u64, &[u8]), Violation> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(8) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(Violation::Malformed);
            }
            if value > MAX_SEQ {
                return Err(Violation::SeqOutOfRange);
            }
            return Ok((value, bytes.get(i + 1..).unwrap_or_default()));
        }
    }
    if bytes.len() >= 8 {
        Err(Violation::SeqOutOfRange)
    } else {
        Err(Violation::Malformed)
    }
}

fn push_varint(out: &mut [u8; 17], mut at: usize, mut value: u64) -> usize {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let last = value == 0;
        // At most 8 bytes per number (MAX_SEQ has 53 bits): two always fit after the first byte.
        if let Some(slot) = out.get_mut(at) {
            *slot = if last { byte } else { byte | 0x80 };
        }
        at += 1;
        if last {
            return at;
        }
    }
}

fn push_decimal(out: &mut String, value: u64) {
    let mut scale = 1;
    while value / scale >= 10 {
        scale *= 10;
    }
    loop {
        out.push(char::from(b'0' + (value / scale % 10) as u8));
        if scale == 1 {
            return;
        }
        scale /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_data_round_trips() {
        let mut header = String::new();
        text_header(MAX_SEQ, 0, &mut header);
        let frame = header.clone() + "payload;with,separators";
        let (parsed, at) = parse_text(&frame[..MAX_CLIENT_HEADER.min(frame.len())], false).unwrap();
        assert_eq!(
            parsed,
            Frame::Data {
                seq: MAX_SEQ,
                ack: 0
            }
        );
        assert_eq!(&frame[at..], "payload;with,separators");
        assert!(header.len() <= MAX_CLIENT_HEADER);
    }

    #[test]
    fn binary_data_round_trips() {
        for (seq, ack) in [(1, 0), (127, 128), (MAX_SEQ, MAX_SEQ)] {
            let (header, len) = binary_header(seq, ack);
            let mut frame = header[..len].to_vec();
            frame.extend_from_slice(b"\x00\xffpayload");
            let (parsed, at) = parse_binary(&frame[..17.min(frame.len())]).unwrap();
            assert_eq!(parsed, Frame::Data { seq, ack });
            assert_eq!(&frame[at..], b"\x00\xffpayload");
        }
    }

    #[test]
    fn control_frames_parse() {
        let cases = [
            ("a0", Frame::Ack { ack: 0 }),
            ("a42", Frame::Ack { ack: 42 }),
            (
                "w1,0,new,5",
                Frame::Welcome {
                    ack: 0,
                    resumed: false,
                    epoch: 5,
                },
            ),
            (
                "w1,9007199254740991,resumed,9007199254740991",
                Frame::Welcome {
                    ack: MAX_SEQ,
                    resumed: true,
                    epoch: MAX_SEQ,
                },
            ),
            ("p", Frame::Ping),
            ("q", Frame::Pong),
        ];
        for (text, frame) in cases {
            assert_eq!(parse_text(text, true), Ok((frame, text.len())), "{text}");
        }
        assert_eq!(ack_frame(9), "a9");
        assert_eq!(hello_frame("s", "k", 3, 12), "h1,s,k,3,12");
    }

    #[test]
    fn hostile_text_is_rejected_with_its_violation() {
        let cases = [
            ("", Violation::Malformed),
            ("x", Violation::Malformed),
            ("d1;", Violation::Malformed),
            ("d01,0;", Violation::Malformed),
            ("d0,0;", Violation::SeqOutOfRange),
            ("d-1,0;", Violation::Malformed),
            ("d1,0", Violation::Malformed),
            ("d9007199254740992,0;", Violation::SeqOutOfRange),
            ("d99999999999999999999,0;", Violation::SeqOutOfRange),
            ("a", Violation::Malformed),
            ("a1x", Violation::Malformed),
            ("w2,0,new,1", Violation::Version),
            ("w1,0,maybe,1", Violation::Malformed),
            ("w1,0,new", Violation::Malformed),
            ("w1,0,new,0", Violation::Malformed),
            ("w1,0,new,1,", Violation::Malformed),
            ("w1,0", Violation::Malformed),
            ("pp", Violation::Malformed),
            ("h1,s,k,0", Violation::Malformed),
        ];
        for (text, violation) in cases {
            assert_eq!(parse_text(text, true), Err(violation), "{text:?}");
        }
        // A control frame longer than a header can be is malformed, whatever it starts with.
        assert_eq!(parse_text("a1", false), Err(Violation::Malformed));
    }

    #[test]
    fn hostile_binary_is_rejected_with_its_violation() {
        let cases: [(&[u8], Violation); 6] = [
            (b"", Violation::Malformed),
            (b"x\x01\x00", Violation::Malformed),
            (b"d\x00\x00", Violation::SeqOutOfRange),
            (b"d\x81", Violation::Malformed),
            (b"d\x81\x00\x00", Violation::Malformed),
            (
                b"d\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00",
                Violation::SeqOutOfRange,
            ),
        ];
        for (bytes, violation) in cases {
            assert_eq!(parse_binary(bytes), Err(violation), "{bytes:?}");
        }
    }
}
