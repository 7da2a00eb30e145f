//! A parser for Python's json dialect into [`Value`], without recursion.
//!
//! It accepts what Python's `json.loads` accepts: standard JSON plus `NaN`, `Infinity` and
//! `-Infinity`, integers of any size (up to Python's 4300-digit conversion limit) and duplicate
//! object keys (the last value wins, at the first key's position). What the values cost is
//! counted as they are read, against the payload's [`DecodeLimit`].

use std::collections::{HashMap, HashSet};

use num_bigint::BigInt;

use super::super::budget::{self, Budget};
use super::super::{DecodeLimit, SerializeError};
use crate::value::{Dict, Value};

/// The deepest nesting of arrays and objects [`parse_value`](super::parse_value) accepts.
///
/// ```
/// use pyro::serializer::json::{parse_value, MAX_DEPTH};
/// let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
/// assert!(parse_value(deep.as_bytes()).is_ok());
/// let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
/// assert!(parse_value(deeper.as_bytes()).is_err());
/// ```
pub const MAX_DEPTH: usize = 256;

/// Python's default `sys.get_int_max_str_digits()`: longer integer literals are refused, as
/// Python's `json.loads` refuses them (and parsing them would cost quadratic time).
const MAX_INT_DIGITS: usize = 4300;

/// Parses a complete json document (see [`super::parse_value`]).
pub(super) fn parse(bytes: &[u8], limit: DecodeLimit) -> Result<Value, SerializeError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| malformed(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    let budget = Budget::new("json", bytes.len(), limit);
    // Refused before anything is built when its structure alone cannot fit.
    budget.ensure(least_cost(bytes))?;
    Parser { text, pos: 0, budget }.document()
}

/// [`parse`] within the default limit, with what the values cost and the lower bound.
#[cfg(test)]
pub(in crate::serializer) fn parse_counting(bytes: &[u8]) -> Result<(Value, usize, usize), SerializeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    let mut parser = Parser { text, pos: 0, budget: Budget::new("json", bytes.len(), DecodeLimit::default()) };
    let value = parser.document_ref()?;
    Ok((value, parser.budget.spent(), least_cost(bytes)))
}

/// A lower bound of what the values of the json document `bytes` cost, from its structure: every
/// `[` and `{` outside strings is a distinct value (a `{` a dict), and there are at least as many
/// values as commas outside strings ([`budget::least`]).
fn least_cost(bytes: &[u8]) -> usize {
    let (mut commas, mut lists, mut dicts) = (0usize, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' => commas += 1,
            b'[' => lists += 1,
            b'{' => dicts += 1,
            _ => {}
        }
    }
    budget::least(commas, lists, dicts)
}

fn malformed(reason: String) -> SerializeError {
    SerializeError::Malformed { serializer: "json", reason }
}

/// An array or object whose elements are still being read.
enum Frame {
    List(Vec<Value>),
    /// Entries so far and the key of the value being read.
    Dict {
        entries: Vec<(String, Value)>,
        key: String,
    },
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// What the values read so far cost.
    budget: Budget,
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.byte_at(self.pos)
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    fn error_at(&self, pos: usize, what: &str) -> SerializeError {
        malformed(format!("{what} at byte {pos}"))
    }

    fn error(&self, what: &str) -> SerializeError {
        self.error_at(self.pos, what)
    }

    /// `text[start..end]`; both ends are positions of ASCII bytes or the end, hence char boundaries.
    fn slice(&self, start: usize, end: usize) -> Result<&str, SerializeError> {
        self.text.get(start..end).ok_or_else(|| self.error_at(start, "internal error: not a char boundary"))
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Reads the whole document: one value, optionally surrounded by whitespace.
    fn document(mut self) -> Result<Value, SerializeError> {
        self.document_ref()
    }

    fn document_ref(&mut self) -> Result<Value, SerializeError> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(open @ (b'[' | b'{')) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error(&format!("nesting deeper than {MAX_DEPTH}")));
                    }
                    self.pos += 1;
                    self.budget.value(if open == b'{' { budget::DICT } else { 0 })?;
                    self.skip_whitespace();
                    match (open, self.peek()) {
                        (b'[', Some(b']')) => {
                            self.pos += 1;
                            Value::List(Vec::new())
                        }
                        (b'[', _) => {
                            stack.push(Frame::List(Vec::new()));
                            continue 'value;
                        }
                        (_, Some(b'}')) => {
                            self.pos += 1;
                            Value::Dict(Dict::new())
                        }
                        _ => {
                            let key = self.key()?;
                            stack.push(Frame::Dict { entries: Vec::new(), key });
                            continue 'value;
                        }
                    }
                }
                Some(b'"') => {
                    let text = self.string()?;
                    self.budget.value(text.len())?;
                    Value::Str(text)
                }
                Some(b'-' | b'0'..=b'9') => {
                    let number = self.number()?;
                    self.budget.value(budget::heap(&number))?;
                    number
                }
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::None)?,
                Some(b'N') => self.literal("NaN", Value::Float(f64::NAN))?,
                Some(b'I') => self.literal("Infinity", Value::Float(f64::INFINITY))?,
                _ => return Err(self.error("expecting value")),
            };
            // A value is complete: hand it to the enclosing containers, closing those that end here.
            loop {
                self.skip_whitespace();
                let Some(frame) = stack.pop() else {
                    if self.pos < self.text.len() {
                        return Err(self.error("extra data after the value"));
                    }
                    return Ok(value);
                };
                let next = self.peek();
                self.pos += 1;
                match (frame, next) {
                    (Frame::List(mut items), Some(b',')) => {
                        items.push(value);
                        stack.push(Frame::List(items));
                        continue 'value;
                    }
                    (Frame::List(mut items), Some(b']')) => {
                        items.push(value);
                        value = Value::List(items);
                    }
                    (Frame::Dict { mut entries, key }, Some(b',')) => {
                        entries.push((key, value));
                        self.skip_whitespace();
                        let key = self.key()?;
                        stack.push(Frame::Dict { entries, key });
                        continue 'value;
                    }
                    (Frame::Dict { mut entries, key }, Some(b'}')) => {
                        entries.push((key, value));
                        value = Value::Dict(build_dict(entries));
                    }
                    (Frame::List(_), _) => return Err(self.error_at(self.pos - 1, "expecting ',' or ']'")),
                    (Frame::Dict { .. }, _) => return Err(self.error_at(self.pos - 1, "expecting ',' or '}'")),
                }
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SerializeError> {
        if self.bytes().get(self.pos..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.pos += word.len();
            self.budget.value(0)?;
            Ok(value)
        } else {
            Err(self.error("expecting value"))
        }
    }

    /// An object key and the `:` after it.
    fn key(&mut self) -> Result<String, SerializeError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expecting property name enclosed in double quotes"));
        }
        let key = self.string()?;
        self.budget.value(key.len())?;
        self.budget.charge(budget::ENTRY)?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.error("expecting ':' delimiter"));
        }
        self.pos += 1;
        Ok(key)
    }

    /// A string; `self.pos` is at its opening quote.
    fn string(&mut self) -> Result<String, SerializeError> {
        let open = self.pos;
        let start = open + 1;
        // Fast path: no escapes, one copy.
        let mut i = start;
        loop {
            match self.byte_at(i) {
                Some(b'"') => {
                    let s = self.slice(start, i)?.to_owned();
                    self.pos = i + 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return Err(self.error_at(i, "invalid control character in string")),
                Some(_) => i += 1,
                None => return Err(self.error_at(open, "unterminated string starting")),
            }
        }
        let mut out = String::with_capacity(i - start + 16);
        let mut segment = start;
        loop {
            match self.byte_at(i) {
                Some(b'"') => {
                    out.push_str(self.slice(segment, i)?);
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(self.slice(segment, i)?);
                    i = self.escape(i, &mut out)?;
                    segment = i;
                }
                Some(b) if b < 0x20 => return Err(self.error_at(i, "invalid control character in string")),
                Some(_) => i += 1,
                None => return Err(self.error_at(open, "unterminated string starting")),
            }
        }
    }

    /// Decodes the escape starting with the backslash at `i` into `out`; returns the position after it.
    fn escape(&self, i: usize, out: &mut String) -> Result<usize, SerializeError> {
        let simple = match self.byte_at(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let first = self.hex4(i)?;
                let (c, end) = match first {
                    0xd800..=0xdbff => {
                        let low = if self.byte_at(i + 6) == Some(b'\\') && self.byte_at(i + 7) == Some(b'u') {
                            Some(self.hex4(i + 6)?)
                        } else {
                            None
                        };
                        match low {
                            Some(low @ 0xdc00..=0xdfff) => {
                                (char::from_u32(0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00)), i + 12)
                            }
                            _ => (None, i + 6),
                        }
                    }
                    _ => (char::from_u32(first), i + 6),
                };
                let c = c.ok_or_else(|| {
                    self.error_at(i, &format!("lone surrogate \\u{first:04x} (a Rust string cannot hold it)"))
                })?;
                out.push(c);
                return Ok(end);
            }
            _ => return Err(self.error_at(i, "invalid \\escape")),
        };
        out.push(simple);
        Ok(i + 2)
    }

    /// The four hex digits of the `\u` escape whose backslash is at `i`.
    fn hex4(&self, i: usize) -> Result<u32, SerializeError> {
        let digits = self
            .bytes()
            .get(i + 2..i + 6)
            .ok_or_else(|| self.error_at(i, "invalid \\u escape (4 hex digits expected)"))?;
        digits.iter().try_fold(0u32, |acc, &b| {
            let d = char::from(b)
                .to_digit(16)
                .ok_or_else(|| self.error_at(i, "invalid \\u escape (4 hex digits expected)"))?;
            Ok(acc << 4 | d)
        })
    }

    fn digits_from(&self, mut i: usize) -> usize {
        while self.byte_at(i).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
        }
        i
    }

    /// A number, or `-Infinity`; `self.pos` is at `-` or a digit. The grammar is Python's
    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, the longest match.
    fn number(&mut self) -> Result<Value, SerializeError> {
        let start = self.pos;
        let mut i = start;
        if self.byte_at(i) == Some(b'-') {
            i += 1;
            if self.bytes().get(i..).is_some_and(|rest| rest.starts_with(b"Infinity")) {
                self.pos = i + "Infinity".len();
                return Ok(Value::Float(f64::NEG_INFINITY));
            }
        }
        let digits_start = i;
        match self.byte_at(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = self.digits_from(i + 1),
            _ => return Err(self.error("expecting value")),
        }
        let int_end = i;
        let mut is_float = false;
        if self.byte_at(i) == Some(b'.') && self.byte_at(i + 1).is_some_and(|b| b.is_ascii_digit()) {
            i = self.digits_from(i + 1);
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.byte_at(i) {
            let mut j = i + 1;
            if let Some(b'+' | b'-') = self.byte_at(j) {
                j += 1;
            }
            if self.byte_at(j).is_some_and(|b| b.is_ascii_digit()) {
                i = self.digits_from(j);
                is_float = true;
            }
        }
        let literal = self.slice(start, i)?;
        let value = if is_float {
            // Rust's parser rounds correctly and, like Python, overflows to ±inf.
            Value::Float(literal.parse().map_err(|_| self.error_at(start, "invalid number"))?)
        } else if int_end - digits_start <= 18 {
            Value::Int(literal.parse().map_err(|_| self.error_at(start, "invalid number"))?)
        } else if int_end - digits_start > MAX_INT_DIGITS {
            return Err(self.error_at(start, &format!("integer with more than {MAX_INT_DIGITS} digits")));
        } else {
            let n =
                BigInt::parse_bytes(literal.as_bytes(), 10).ok_or_else(|| self.error_at(start, "invalid number"))?;
            Value::int(n)
        };
        self.pos = i;
        Ok(value)
    }
}

/// Builds a dict from an object's entries; a repeated key keeps its first position and its last
/// value, as Python's `dict` does.
fn build_dict(entries: Vec<(String, Value)>) -> Dict {
    let n = entries.len();
    let has_duplicates = if n <= 8 {
        entries.iter().enumerate().any(|(i, (k, _))| entries.iter().skip(i + 1).any(|(other, _)| other == k))
    } else {
        let mut seen = HashSet::with_capacity(n);
        !entries.iter().all(|(k, _)| seen.insert(k.as_str()))
    };
    let mut dict = Dict::with_capacity(n);
    if !has_duplicates {
        for (k, v) in entries {
            dict.insert(Value::Str(k), v);
        }
        return dict;
    }
    // The output slot of each entry: the position of its key's first occurrence.
    let (slots, unique) = {
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(n);
        let slots: Vec<usize> = entries
            .iter()
            .map(|(k, _)| {
                let next = first.len();
                *first.entry(k.as_str()).or_insert(next)
            })
            .collect();
        (slots, first.len())
    };
    let mut merged: Vec<Option<(String, Value)>> = (0..unique).map(|_| None).collect();
    for ((k, v), slot) in entries.into_iter().zip(slots) {
        match merged.get_mut(slot) {
            Some(Some(entry)) => entry.1 = v,
            Some(empty) => *empty = Some((k, v)),
            None => {}
        }
    }
    for (k, v) in merged.into_iter().flatten() {
        dict.insert(Value::Str(k), v);
    }
    dict
}
