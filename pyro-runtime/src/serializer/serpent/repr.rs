//! Python's `repr()` of `str` and `bytes`, which serpent writes for every string.
//!
//! Both pick single quotes unless the text holds a `'` and no `"`; both escape the chosen quote,
//! backslash, tab, newline and carriage return. `str` escapes other non-printable characters as
//! `\xhh`, `\uhhhh` or `\Uhhhhhhhh`; `bytes` escapes every byte outside `0x20..0x7f` as `\xhh`.

use super::printable::is_printable;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How an ASCII byte is written inside a `str` repr: as it is, or escaped.
const fn ascii_plain(b: u8) -> bool {
    b >= 0x20 && b < 0x7f && b != b'\\' && b != b'\'' && b != b'"'
}

/// The quote Python's `repr()` chooses for text holding these bytes.
fn quote_for(bytes: &[u8]) -> u8 {
    if bytes.contains(&b'\'') && !bytes.contains(&b'"') { b'"' } else { b'\'' }
}

/// Appends `\x`, `\u` or `\U` and the lowercase hex digits of `n`, `width` of them.
fn push_hex_escape(out: &mut Vec<u8>, marker: u8, n: u32, width: u32) {
    out.push(b'\\');
    out.push(marker);
    for shift in (0..width).rev() {
        let digit = (n >> (shift * 4)) & 0xf;
        out.push(HEX[digit as usize]);
    }
}

/// Writes an escape for an ASCII byte that is not written as it is; `quote` is the chosen quote.
fn push_ascii_escape(out: &mut Vec<u8>, b: u8, quote: u8) {
    match b {
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\'' | b'"' if b == quote => out.extend_from_slice(&[b'\\', b]),
        b'\'' | b'"' => out.push(b),
        _ => push_hex_escape(out, b'x', u32::from(b), 2),
    }
}

/// Appends `repr(s)` for a Python `str`.
pub(super) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let quote = quote_for(bytes);
    out.reserve(s.len() + 2);
    out.push(quote);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if ascii_plain(b) {
            i += 1;
            continue;
        }
        if b < 0x80 {
            // `i` is at an ASCII byte, hence a char boundary.
            out.extend_from_slice(&bytes[start..i]);
            push_ascii_escape(out, b, quote);
            i += 1;
            start = i;
            continue;
        }
        // A multi-byte character starts at `i`.
        let Some(c) = s[i..].chars().next() else { break };
        let len = c.len_utf8();
        if !is_printable(c) {
            out.extend_from_slice(&bytes[start..i]);
            let n = u32::from(c);
            match n {
                0..=0xff => push_hex_escape(out, b'x', n, 2),
                0x100..=0xffff => push_hex_escape(out, b'u', n, 4),
                _ => push_hex_escape(out, b'U', n, 8),
            }
            start = i + len;
        }
        i += len;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(quote);
}

/// Appends `repr(b)` for a Python `bytes`: `b'...'`.
pub(super) fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let quote = quote_for(b);
    out.reserve(b.len() + 3);
    out.push(b'b');
    out.push(quote);
    let mut start = 0;
    for (i, &byte) in b.iter().enumerate() {
        if ascii_plain(byte) {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        push_ascii_escape(out, byte, quote);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(quote);
}
