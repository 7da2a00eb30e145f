//! A parser for the Python literals serpent writes (what `ast.literal_eval` reads) into
//! [`Value`], without recursion: containers are kept on an explicit stack.
//!
//! Whitespace includes comments (`#` to the end of the line, so serpent's header line is
//! skipped) and backslash line continuations. Strings are read in `strings`, numbers in
//! `numbers`; this module reads containers and keywords, and counts what the values cost
//! against the payload's [`DecodeLimit`] as they are read.

use super::super::budget::{self, Budget};
use super::super::{DecodeLimit, SerializeError};
use crate::value::{Dict, Value};

/// The deepest nesting of lists, tuples, sets and dicts [`parse_value`](super::parse_value) accepts.
///
/// ```
/// use pyro::serializer::serpent::{parse_value, MAX_DEPTH};
/// let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
/// assert!(parse_value(deep.as_bytes()).is_ok());
/// let deeper = "(".repeat(MAX_DEPTH + 1) + &")".repeat(MAX_DEPTH + 1);
/// assert!(parse_value(deeper.as_bytes()).is_err());
/// ```
pub const MAX_DEPTH: usize = 256;

/// Parses a complete serpent document (see [`super::parse_value`]).
pub(super) fn parse(bytes: &[u8], limit: DecodeLimit) -> Result<Value, SerializeError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| malformed(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    if let Some(nul) = memchr::memchr(0, bytes) {
        // Python refuses source with NUL bytes (serpent.loads says the data is corrupt).
        return Err(malformed(format!("NUL byte at byte {nul}")));
    }
    let budget = Budget::new("serpent", bytes.len(), limit);
    // Refused before anything is built when its structure alone cannot fit.
    budget.ensure(least_cost(bytes))?;
    Parser { text, pos: 0, nesting: 0, budget }.document()
}

/// [`parse`] within the default limit, with what the values cost and the lower bound.
#[cfg(test)]
pub(in crate::serializer) fn parse_counting(bytes: &[u8]) -> Result<(Value, usize, usize), SerializeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    let budget = Budget::new("serpent", bytes.len(), DecodeLimit::default());
    let mut parser = Parser { text, pos: 0, nesting: 0, budget };
    let value = parser.document_ref()?;
    Ok((value, parser.budget.spent(), least_cost(bytes)))
}

/// A lower bound of what the values of the Python literal `bytes` cost, from its structure:
/// every `[` and `{` outside strings and comments is a distinct value (a `{` a dict or set), and
/// there are at least as many values as commas outside them ([`budget::least`]). A `(` need not
/// be a value: `((1))` is one int.
fn least_cost(bytes: &[u8]) -> usize {
    let (mut commas, mut lists, mut dicts) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b',' => commas += 1,
            b'[' => lists += 1,
            b'{' => dicts += 1,
            b'#' => {
                let line = bytes.get(i..).unwrap_or_default();
                i += memchr::memchr2(b'\n', b'\r', line).unwrap_or(line.len());
            }
            quote @ (b'\'' | b'"') => {
                // Python's rules: a triple quote opens a string that only a triple quote ends,
                // a backslash keeps the next character from ending it (raw strings too).
                let triple = bytes.get(i..i + 2) == Some(&[quote, quote][..]);
                if triple {
                    i += 2;
                }
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(b'\\') => i += 2,
                        Some(&c) if c == quote && (!triple || bytes.get(i + 1..i + 3) == Some(&[quote, quote][..])) => {
                            i += if triple { 3 } else { 1 };
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            _ => {}
        }
    }
    budget::least(commas, lists, dicts)
}

pub(super) fn malformed(reason: String) -> SerializeError {
    SerializeError::Malformed { serializer: "serpent", reason }
}

/// A container whose elements are still being read; they sit on the parser's shared stacks
/// from `start` on.
enum Frame {
    List {
        start: usize,
    },
    /// After `(`: a parenthesized value, or a tuple once a comma is seen.
    Paren {
        start: usize,
        comma: bool,
    },
    /// After `{` and before the first `:` or `,`: a dict or a set.
    Brace,
    Set {
        start: usize,
    },
    /// A dict (its entries on the entry stack); `key` is set while its value is read.
    Dict {
        start: usize,
        key: Option<Value>,
    },
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    /// Open brackets around `pos`: outside all of them a newline ends the expression.
    nesting: usize,
    /// What the values read so far cost.
    budget: Budget,
}

impl<'a> Parser<'a> {
    pub(super) fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.byte_at(self.pos)
    }

    pub(super) fn byte_at(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    pub(super) fn error_at(&self, pos: usize, what: &str) -> SerializeError {
        malformed(format!("{what} at byte {pos}"))
    }

    pub(super) fn error(&self, what: &str) -> SerializeError {
        self.error_at(self.pos, what)
    }

    /// `text[start..end]`; both ends are positions of ASCII bytes or the end, hence char boundaries.
    pub(super) fn slice(&self, start: usize, end: usize) -> Result<&'a str, SerializeError> {
        self.text.get(start..end).ok_or_else(|| self.error_at(start, "internal error: not a char boundary"))
    }

    /// Skips spaces, tabs, form feeds, comments and backslash line continuations, and newlines
    /// inside brackets (outside them a newline ends the expression, as in Python).
    pub(super) fn skip_whitespace(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | 0x0c) => self.pos += 1,
                Some(b'\n' | b'\r') if self.nesting > 0 => self.pos += 1,
                Some(b'#') => {
                    let rest = &self.bytes()[self.pos..];
                    self.pos += rest.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(rest.len());
                }
                Some(b'\\') => {
                    let len = match (self.byte_at(self.pos + 1), self.byte_at(self.pos + 2)) {
                        (Some(b'\r'), Some(b'\n')) => 3,
                        (Some(b'\n' | b'\r'), _) => 2,
                        _ => return,
                    };
                    if self.pos + len == self.text.len() {
                        // A continuation must continue: Python refuses one at the end.
                        return;
                    }
                    self.pos += len;
                }
                _ => return,
            }
        }
    }

    /// Skips whitespace, comments and newlines (before and after the expression).
    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'\n' | b'\r') => self.pos += 1,
                _ => return,
            }
        }
    }

    /// Whether the byte at `i` could continue a Python name or number.
    pub(super) fn is_name_byte(&self, i: usize) -> bool {
        self.byte_at(i).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
    }

    /// Reads the whole document: one value, optionally surrounded by whitespace and comments.
    ///
    /// The elements of all open containers share one stack (`items`, and `entries` for dicts):
    /// a container's elements are moved into a vector of exactly their number when it closes.
    fn document(mut self) -> Result<Value, SerializeError> {
        self.document_ref()
    }

    /// [`document`](Parser::document), keeping the parser.
    fn document_ref(&mut self) -> Result<Value, SerializeError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut items: Vec<Value> = Vec::new();
        let mut entries: Vec<(Value, Value)> = Vec::new();
        // Whether the top level is a tuple without parentheses (`1, 2`); its elements are all of `items`.
        let mut bare = false;
        self.skip_blank_lines();
        'value: loop {
            self.nesting = stack.len();
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(open @ (b'[' | b'(' | b'{')) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error(&format!("nesting deeper than {MAX_DEPTH}")));
                    }
                    self.pos += 1;
                    self.budget.value(if open == b'{' { budget::DICT } else { 0 })?;
                    self.nesting = stack.len() + 1;
                    self.skip_whitespace();
                    match (open, self.peek()) {
                        (b'[', Some(b']')) => {
                            self.pos += 1;
                            Value::List(Vec::new())
                        }
                        (b'(', Some(b')')) => {
                            self.pos += 1;
                            Value::Tuple(Vec::new())
                        }
                        (b'{', Some(b'}')) => {
                            self.pos += 1;
                            Value::Dict(Dict::new())
                        }
                        (b'[', _) => {
                            stack.push(Frame::List { start: items.len() });
                            continue 'value;
                        }
                        (b'(', _) => {
                            stack.push(Frame::Paren { start: items.len(), comma: false });
                            continue 'value;
                        }
                        _ => {
                            stack.push(Frame::Brace);
                            continue 'value;
                        }
                    }
                }
                Some(b'\'' | b'"') => {
                    let text = self.strings()?;
                    self.counted(text)?
                }
                Some(b'0'..=b'9' | b'.' | b'-' | b'+') => {
                    let number = self.number_expression()?;
                    self.counted(number)?
                }
                Some(b'a'..=b'z' | b'A'..=b'Z' | b'_') => {
                    let named = self.name()?;
                    self.counted(named)?
                }
                Some(_) => return Err(self.error("expecting a value")),
                None => return Err(self.error("expecting a value, found the end")),
            };
            // A value is complete: hand it to the enclosing containers, closing those that end here.
            loop {
                self.nesting = stack.len();
                self.skip_whitespace();
                let Some(frame) = stack.pop() else {
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                        bare = true;
                        items.push(value);
                        self.skip_whitespace();
                        if !matches!(self.peek(), None | Some(b'\n' | b'\r')) {
                            continue 'value;
                        }
                        value = Value::Tuple(std::mem::take(&mut items));
                    } else if bare {
                        items.push(value);
                        value = Value::Tuple(std::mem::take(&mut items));
                    }
                    self.skip_blank_lines();
                    if self.pos < self.text.len() {
                        return Err(self.error("extra data after the value"));
                    }
                    return Ok(value);
                };
                let at = self.pos;
                let next = self.peek();
                self.pos += 1;
                let (frame, close) = match (frame, next) {
                    (Frame::List { start }, Some(b',')) => {
                        items.push(value);
                        (Frame::List { start }, b']')
                    }
                    (Frame::List { start }, Some(b']')) => {
                        items.push(value);
                        value = Value::List(items.split_off(start));
                        continue;
                    }
                    (Frame::Paren { start, .. }, Some(b',')) => {
                        items.push(value);
                        (Frame::Paren { start, comma: true }, b')')
                    }
                    (Frame::Paren { start, comma }, Some(b')')) => {
                        // `(x)` is just x.
                        if comma {
                            items.push(value);
                            value = Value::Tuple(items.split_off(start));
                        }
                        continue;
                    }
                    (Frame::Brace, Some(b':')) => {
                        self.key_or_member(&value, at)?;
                        stack.push(Frame::Dict { start: entries.len(), key: Some(value) });
                        continue 'value;
                    }
                    (Frame::Brace, Some(b',')) => {
                        self.key_or_member(&value, at)?;
                        let start = items.len();
                        items.push(value);
                        (Frame::Set { start }, b'}')
                    }
                    (Frame::Brace, Some(b'}')) => {
                        self.key_or_member(&value, at)?;
                        value = Value::Set(vec![value]);
                        continue;
                    }
                    (Frame::Set { start }, Some(b',' | b'}')) => {
                        self.key_or_member(&value, at)?;
                        items.push(value);
                        if next == Some(b'}') {
                            value = Value::Set(dedup_set(items.split_off(start)));
                            continue;
                        }
                        (Frame::Set { start }, b'}')
                    }
                    (Frame::Dict { start, key: None }, Some(b':')) => {
                        self.key_or_member(&value, at)?;
                        stack.push(Frame::Dict { start, key: Some(value) });
                        continue 'value;
                    }
                    (Frame::Dict { start, key: Some(key) }, Some(b',' | b'}')) => {
                        entries.push((key, value));
                        if next == Some(b'}') {
                            value = dict_value(build_dict(entries.split_off(start)));
                            continue;
                        }
                        (Frame::Dict { start, key: None }, b'}')
                    }
                    (Frame::List { .. }, _) => return Err(self.error_at(at, "expecting ',' or ']'")),
                    (Frame::Paren { .. }, _) => return Err(self.error_at(at, "expecting ',' or ')'")),
                    (Frame::Brace | Frame::Set { .. }, _) => {
                        return Err(self.error_at(at, "expecting ',', ':' or '}'"));
                    }
                    (Frame::Dict { key: None, .. }, _) => return Err(self.error_at(at, "expecting ':'")),
                    (Frame::Dict { .. }, _) => return Err(self.error_at(at, "expecting ',' or '}'")),
                };
                // After a comma: the container may close (a trailing comma) or take another element.
                self.nesting = stack.len() + 1;
                self.skip_whitespace();
                if self.peek() == Some(close) {
                    self.pos += 1;
                    value = match frame {
                        Frame::List { start } => Value::List(items.split_off(start)),
                        Frame::Paren { start, .. } => Value::Tuple(items.split_off(start)),
                        Frame::Set { start } => Value::Set(dedup_set(items.split_off(start))),
                        Frame::Dict { start, .. } => dict_value(build_dict(entries.split_off(start))),
                        Frame::Brace => return Err(self.error_at(at, "internal error: open brace after a comma")),
                    };
                    continue;
                }
                stack.push(frame);
                continue 'value;
            }
        }
    }

    /// `value`, a scalar just read, counted.
    fn counted(&mut self, value: Value) -> Result<Value, SerializeError> {
        self.budget.value(budget::heap(&value))?;
        Ok(value)
    }

    /// Checks a dict key or set member (which ended at `at`) and counts its slot.
    fn key_or_member(&mut self, value: &Value, at: usize) -> Result<(), SerializeError> {
        check_hashable(value).map_err(|what| self.error_at(at, &what))?;
        self.budget.charge(budget::ENTRY)
    }

    /// `None`, `True`, `False` or `set()`.
    fn name(&mut self) -> Result<Value, SerializeError> {
        let start = self.pos;
        let mut end = start;
        while self.is_name_byte(end) {
            end += 1;
        }
        // A string prefix (`b'..'`, `r"..."`, ...) is a name followed by a quote.
        if let Some(b'\'' | b'"') = self.byte_at(end) {
            return self.strings();
        }
        let word = self.slice(start, end)?;
        self.pos = end;
        match word {
            "None" => Ok(Value::None),
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "set" => {
                self.skip_whitespace();
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b')') {
                        self.pos += 1;
                        return Ok(Value::Set(Vec::new()));
                    }
                }
                Err(self.error_at(start, "only set() may be called"))
            }
            _ => Err(self.error_at(start, &format!("name {word:?} is not a literal"))),
        }
    }
}

/// Refuses a dict key or set member that Python could not hash.
fn check_hashable(value: &Value) -> Result<(), String> {
    match value {
        Value::List(_) | Value::Dict(_) | Value::Set(_) => {
            Err(format!("unhashable {} as a dict key or set member", value.type_name()))
        }
        Value::Tuple(items) => items.iter().try_for_each(check_hashable),
        // Only serpent's NaN dicts give NaN, and a dict is not hashable.
        Value::Float(f) if f.is_nan() => Err("unhashable dict (a NaN float) as a dict key or set member".to_owned()),
        Value::Complex { re, im } if re.is_nan() || im.is_nan() => {
            Err("unhashable dict (a NaN complex) as a dict key or set member".to_owned())
        }
        _ => Ok(()),
    }
}

/// Turns the dicts Pyro5's serpent serializer reads as numbers into them: serpent's NaN
/// `{'__class__': 'float', 'value': 'nan'}` (Pyro5 gives `float(value)`) and its
/// `{'__class__': 'complex', 'real': .., 'imag': ..}` for a complex with a NaN part.
fn dict_value(dict: Dict) -> Value {
    match dict.get("__class__").and_then(Value::as_str) {
        Some("float") => {
            if let Some(f) = dict.get("value").and_then(Value::as_str).and_then(|s| s.trim().parse::<f64>().ok()) {
                return Value::Float(f);
            }
        }
        Some("complex") if dict.len() == 3 => {
            if let (Some(re), Some(im)) =
                (dict.get("real").and_then(Value::as_f64), dict.get("imag").and_then(Value::as_f64))
            {
                return Value::Complex { re, im };
            }
        }
        _ => {}
    }
    Value::Dict(dict)
}

/// A set's members without repeats (the first of equal members stays), with Python's key rules
/// (`1`, `1.0` and `True` are one member), as [`Dict`] applies them.
fn dedup_set(items: Vec<Value>) -> Vec<Value> {
    let members: Dict = items.into_iter().map(|item| (item, Value::None)).collect();
    members.into_iter().map(|(member, _)| member).collect()
}

/// Builds a dict; a repeated key keeps its first position and its last value, as Python's `dict`
/// does ([`Dict::insert`]).
fn build_dict(entries: Vec<(Value, Value)>) -> Dict {
    entries.into_iter().collect()
}
