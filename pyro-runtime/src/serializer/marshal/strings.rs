//! Marshal strings on their own: a Pyro5 daemon answers early
//! handshake failures (garbage, a full thread pool) with a marshal-encoded `str` in CONNECTFAIL
//! whatever serializer the client asked for, and pyro's daemon does the same.

use super::codes::{ASCII, ASCII_INTERNED, FLAG_REF, SHORT_ASCII, SHORT_ASCII_INTERNED, UNICODE};

/// Encodes `text` as a marshal `str` (type `u`: 4-byte little-endian length, UTF-8).
///
/// ```
/// use pyro::serializer::marshal;
/// assert_eq!(marshal::encode_str("hi"), [b'u', 2, 0, 0, 0, b'h', b'i']);
/// ```
pub fn encode_str(text: &str) -> Vec<u8> {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let text = &text.as_bytes()[..len as usize];
    let mut out = Vec::with_capacity(5 + text.len());
    out.push(UNICODE);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(text);
    out
}

/// Decodes a marshal `str` of any of the string types Python writes (`u`, `a`, `A`, `z`, `Z`,
/// with or without FLAG_REF). `None` if the bytes are not exactly one such string.
///
/// ```
/// use pyro::serializer::marshal;
/// assert_eq!(marshal::decode_str(b"\xfa\x0cinvalid data").as_deref(), Some("invalid data"));
/// assert_eq!(marshal::decode_str(b"\xfa\x0cinvalid"), None);
/// ```
pub fn decode_str(bytes: &[u8]) -> Option<String> {
    let (&code, rest) = bytes.split_first()?;
    let (len, rest) = match code & !FLAG_REF {
        SHORT_ASCII | SHORT_ASCII_INTERNED => {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        }
        UNICODE | ASCII | ASCII_INTERNED => {
            let (len, rest) = rest.split_first_chunk::<4>()?;
            (usize::try_from(u32::from_le_bytes(*len)).ok()?, rest)
        }
        _ => return None,
    };
    if rest.len() != len {
        return None;
    }
    String::from_utf8(rest.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_pyro5_encodings() {
        assert_eq!(decode_str(b"\xc1\x03\x00\x00\x00xyz").as_deref(), Some("xyz"));
        assert_eq!(decode_str(b"\xf5\x06\x00\x00\x00h\xc3\xa9llo").as_deref(), Some("héllo"));
        assert_eq!(decode_str(&encode_str("no free workers")).as_deref(), Some("no free workers"));
        assert_eq!(decode_str(b"N"), None);
        assert_eq!(decode_str(b""), None);
    }
}
