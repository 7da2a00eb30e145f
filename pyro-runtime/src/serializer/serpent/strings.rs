//! String and bytes literals as Python's tokenizer reads them: the `r`, `u`, `b`, `br`/`rb`
//! prefixes, both quotes, triple quotes, every escape except `\N{name}`, and adjacent literals
//! concatenated (`'a' "b"`).

use super::super::SerializeError;
use super::parse::Parser;
use crate::value::Value;

/// What a literal's prefix says about it.
#[derive(Clone, Copy)]
struct Prefix {
    raw: bool,
    bytes: bool,
}

/// A decoded literal's content: text, or bytes (the raw text of a `b'..'` is ASCII).
enum Piece {
    Text(String),
    Bytes(Vec<u8>),
}

impl Parser<'_> {
    /// One or more adjacent string (or bytes) literals; `self.pos` is at the prefix or quote.
    pub(super) fn strings(&mut self) -> Result<Value, SerializeError> {
        let mut acc = self.literal()?;
        loop {
            let after = self.pos;
            self.skip_whitespace();
            if !self.at_literal() {
                self.pos = after;
                break;
            }
            let at = self.pos;
            match (&mut acc, self.literal()?) {
                (Piece::Text(a), Piece::Text(b)) => a.push_str(&b),
                (Piece::Bytes(a), Piece::Bytes(b)) => a.extend_from_slice(&b),
                _ => return Err(self.error_at(at, "cannot mix bytes and nonbytes literals")),
            }
        }
        Ok(match acc {
            Piece::Text(s) => Value::Str(s),
            Piece::Bytes(b) => Value::Bytes(b),
        })
    }

    /// Whether a string literal (with or without a prefix) starts at `self.pos`.
    fn at_literal(&self) -> bool {
        let mut i = self.pos;
        while i < self.pos + 2 && self.byte_at(i).is_some_and(|b| b.is_ascii_alphabetic()) {
            i += 1;
        }
        matches!(self.byte_at(i), Some(b'\'' | b'"'))
    }

    /// Reads the prefix letters before a quote.
    fn prefix(&mut self) -> Result<Prefix, SerializeError> {
        let start = self.pos;
        while self.is_name_byte(self.pos) {
            self.pos += 1;
        }
        let letters = self.slice(start, self.pos)?.to_ascii_lowercase();
        match letters.as_str() {
            "" | "u" => Ok(Prefix { raw: false, bytes: false }),
            "r" => Ok(Prefix { raw: true, bytes: false }),
            "b" => Ok(Prefix { raw: false, bytes: true }),
            "br" | "rb" => Ok(Prefix { raw: true, bytes: true }),
            "f" | "rf" | "fr" => Err(self.error_at(start, "an f-string is not a literal")),
            _ => Err(self.error_at(start, &format!("invalid string prefix {letters:?}"))),
        }
    }

    /// One literal: prefix, quotes, body.
    fn literal(&mut self) -> Result<Piece, SerializeError> {
        let open = self.pos;
        let prefix = self.prefix()?;
        let quote = match self.peek() {
            Some(quote @ (b'\'' | b'"')) => quote,
            _ => return Err(self.error_at(open, "expecting a string literal")),
        };
        let triple = self.byte_at(self.pos + 1) == Some(quote) && self.byte_at(self.pos + 2) == Some(quote);
        let body = self.pos + if triple { 3 } else { 1 };
        // Find the closing quote(s), in bulk; a backslash always takes the next byte with it.
        let bytes = self.bytes();
        let unterminated = || self.error_at(open, "unterminated string literal");
        let mut i = body;
        let mut plain = true; // no backslash, no newline to translate
        let end = loop {
            let rest = bytes.get(i..).ok_or_else(unterminated)?;
            let found = memchr::memchr3(quote, b'\\', b'\n', rest).ok_or_else(unterminated)?;
            let segment = &rest[..found];
            if memchr::memchr(b'\r', segment).is_some() {
                if !triple {
                    return Err(unterminated());
                }
                plain = false;
            }
            if prefix.bytes && !segment.is_ascii() {
                let at = i + segment.iter().position(|&b| b >= 0x80).unwrap_or(0);
                return Err(self.error_at(at, "bytes can only contain ASCII literal characters"));
            }
            let at = i + found;
            match bytes[at] {
                b'\\' => {
                    plain = false;
                    let crlf = bytes.get(at + 1) == Some(&b'\r') && bytes.get(at + 2) == Some(&b'\n');
                    i = at + if crlf { 3 } else { 2 };
                }
                b'\n' if !triple => return Err(unterminated()),
                b'\n' => i = at + 1,
                _ if !triple || (bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote)) => break at,
                _ => i = at + 1,
            }
        };
        self.pos = end + if triple { 3 } else { 1 };
        let raw_text = self.slice(body, end)?;
        if plain {
            return Ok(if prefix.bytes {
                Piece::Bytes(raw_text.as_bytes().to_vec())
            } else {
                Piece::Text(raw_text.to_owned())
            });
        }
        if prefix.bytes {
            let mut out = Vec::with_capacity(raw_text.len());
            self.decode(body, raw_text, prefix, &mut ByteSink(&mut out))?;
            Ok(Piece::Bytes(out))
        } else {
            let mut out = String::with_capacity(raw_text.len());
            self.decode(body, raw_text, prefix, &mut TextSink(&mut out))?;
            Ok(Piece::Text(out))
        }
    }

    /// Decodes a literal's body (at byte `base` of the input): escapes unless raw, and
    /// newlines (`\r\n` and `\r` become `\n`, as Python's tokenizer reads source).
    fn decode(&self, base: usize, body: &str, prefix: Prefix, out: &mut dyn Sink) -> Result<(), SerializeError> {
        let b = body.as_bytes();
        let mut segment = 0;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\r' => {
                    out.text(&body[segment..i]);
                    out.text("\n");
                    i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                    segment = i;
                }
                b'\\' if prefix.raw => {
                    // Kept, with the byte after it (which cannot end the literal).
                    i += 1;
                    if b.get(i) == Some(&b'\r') {
                        out.text(&body[segment..i]);
                        out.text("\n");
                        i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                        segment = i;
                    } else if i < b.len() {
                        i += body[i..].chars().next().map_or(1, char::len_utf8);
                    }
                }
                b'\\' => {
                    out.text(&body[segment..i]);
                    i = self.escape(base, body, i, prefix, out)?;
                    segment = i;
                }
                _ => i += 1,
            }
        }
        out.text(&body[segment..]);
        Ok(())
    }

    /// Decodes the escape whose backslash is at `i` of `body`; returns the position after it.
    fn escape(
        &self,
        base: usize,
        body: &str,
        i: usize,
        prefix: Prefix,
        out: &mut dyn Sink,
    ) -> Result<usize, SerializeError> {
        let b = body.as_bytes();
        let at = base + i;
        let Some(&next) = b.get(i + 1) else {
            return Err(self.error_at(at, "a backslash at the end of a literal"));
        };
        let simple = match next {
            b'\n' => return Ok(i + 2),
            b'\r' => return Ok(if b.get(i + 2) == Some(&b'\n') { i + 3 } else { i + 2 }),
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'"' => b'"',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let digits = b[i + 1..].iter().take(3).take_while(|d| (b'0'..=b'7').contains(d)).count();
                let n = b[i + 1..i + 1 + digits].iter().fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
                if prefix.bytes {
                    // Python keeps the low 8 bits of `\400`..`\777` in bytes.
                    out.byte((n & 0xff) as u8);
                } else {
                    out.code_point(n).map_err(|what| self.error_at(at, &what))?;
                }
                return Ok(i + 1 + digits);
            }
            b'x' => {
                let n = hex_digits(b, i + 2, 2).ok_or_else(|| self.error_at(at, "truncated \\xXX escape"))?;
                if prefix.bytes {
                    out.byte(n as u8);
                } else {
                    out.code_point(n).map_err(|what| self.error_at(at, &what))?;
                }
                return Ok(i + 4);
            }
            b'u' | b'U' if !prefix.bytes => {
                let width = if next == b'u' { 4 } else { 8 };
                let n = hex_digits(b, i + 2, width)
                    .ok_or_else(|| self.error_at(at, &format!("truncated \\{} escape", char::from(next))))?;
                out.code_point(n).map_err(|what| self.error_at(at, &what))?;
                return Ok(i + 2 + width);
            }
            b'N' if !prefix.bytes => {
                return Err(self.error_at(at, "\\N{name} escapes are not supported (write the character itself)"));
            }
            _ => {
                // An unknown escape keeps its backslash (Python warns but accepts it).
                out.text("\\");
                return Ok(i + 1);
            }
        };
        out.byte(simple);
        Ok(i + 2)
    }
}

/// The value of `count` hex digits at `b[start..]`.
fn hex_digits(b: &[u8], start: usize, count: usize) -> Option<u32> {
    let digits = b.get(start..start + count)?;
    digits.iter().try_fold(0u32, |acc, &d| Some(acc << 4 | char::from(d).to_digit(16)?))
}

/// Where decoded text or bytes go.
trait Sink {
    /// Appends undecoded source text (ASCII for bytes literals).
    fn text(&mut self, s: &str);
    /// Appends one byte (an ASCII character for text).
    fn byte(&mut self, b: u8);
    /// Appends a code point (text only).
    fn code_point(&mut self, n: u32) -> Result<(), String>;
}

struct TextSink<'a>(&'a mut String);

impl Sink for TextSink<'_> {
    fn text(&mut self, s: &str) {
        self.0.push_str(s);
    }

    fn byte(&mut self, b: u8) {
        self.0.push(char::from(b));
    }

    fn code_point(&mut self, n: u32) -> Result<(), String> {
        match char::from_u32(n) {
            Some(c) => {
                self.0.push(c);
                Ok(())
            }
            None if (0xd800..0xe000).contains(&n) => {
                Err(format!("surrogate escape \\u{n:04x} (a Rust string cannot hold it)"))
            }
            None => Err(format!("illegal Unicode character {n:#x} in an escape")),
        }
    }
}

struct ByteSink<'a>(&'a mut Vec<u8>);

impl Sink for ByteSink<'_> {
    fn text(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn code_point(&mut self, n: u32) -> Result<(), String> {
        Err(format!("code point escape {n:#x} in bytes"))
    }
}
