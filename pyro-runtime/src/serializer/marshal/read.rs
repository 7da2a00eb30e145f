//! A reader for Python's marshal format (versions 0 to 4) into [`Value`], without recursion.
//!
//! It follows CPython's `r_object`: objects whose type code carries FLAG_REF get the next index
//! of the reference table when their type code is read (containers before their items), and an
//! `r` names one of them. A back-reference is resolved by reading the object again from where it
//! starts, so the table holds offsets, not copies; what such re-reading produces is charged
//! against [`REF_COPY_BUDGET`] so that a few bytes of references cannot expand without bound.
//! Everything it builds is also counted against the payload's [`DecodeLimit`].

use num_bigint::{BigInt, BigUint, Sign};

use super::super::budget::{self, Budget};
use super::super::{DecodeLimit, SerializeError};
use super::codes::*;
use crate::value::{Dict, Value};

/// The deepest nesting of containers (tuples, lists, sets, dicts) that
/// [`parse_value`](super::parse_value) accepts. Python's own limit is 2000.
///
/// ```
/// use pyro::serializer::marshal::{parse_value, MAX_DEPTH};
/// let mut deep = b"\x29\x01".repeat(MAX_DEPTH);
/// deep.push(b'N');
/// assert!(parse_value(&deep).is_ok());
/// assert!(parse_value(&[b"\x29\x01".as_slice(), &deep].concat()).is_err());
/// ```
pub const MAX_DEPTH: usize = 256;

/// How much back-references may copy, on top of four times the input size: about the memory
/// (in bytes) of the values made by reading referenced objects again.
///
/// ```
/// use pyro::serializer::marshal::{parse_value, REF_COPY_BUDGET};
/// // A list holding one referenced 1 KiB bytes object, then 100 references to it.
/// let mut data = vec![b'[', 101, 0, 0, 0, b's' | 0x80, 0, 4, 0, 0];
/// data.extend([0; 1024]);
/// data.extend([b'r', 0, 0, 0, 0].repeat(100));
/// assert!(parse_value(&data).is_ok());
/// assert!(REF_COPY_BUDGET >= 1 << 20);
/// ```
pub const REF_COPY_BUDGET: usize = 16 << 20;

/// Python's default `sys.get_int_max_str_digits()`: pyro refuses longer integers everywhere.
const MAX_INT_DIGITS: usize = 4300;

/// A reference table entry for an object that is still being read.
pub(super) const PENDING: usize = usize::MAX;

/// Parses one marshal object that fills `bytes` (see [`super::parse_value`]).
pub(super) fn parse(bytes: &[u8], limit: DecodeLimit) -> Result<Value, SerializeError> {
    let mut reader = Reader::new(bytes, limit);
    let value = reader.tree()?;
    reader.finish()?;
    Ok(value)
}

fn malformed(reason: String) -> SerializeError {
    SerializeError::Malformed { serializer: "marshal", reason }
}

/// The kinds of sequence marshal has.
#[derive(Clone, Copy, PartialEq)]
enum SeqKind {
    Tuple,
    List,
    Set,
    FrozenSet,
}

impl SeqKind {
    fn name(self) -> &'static str {
        match self {
            SeqKind::Tuple => "tuple",
            SeqKind::List => "list",
            SeqKind::Set => "set",
            SeqKind::FrozenSet => "frozenset",
        }
    }
}

/// A container whose items are still being read, or a back-reference being read again.
enum Frame {
    Seq {
        kind: SeqKind,
        items: Vec<Value>,
        /// Items still to read (at least one while the frame is open).
        remaining: usize,
        /// Whether all items so far are hashable (a tuple is hashable when they all are).
        hashable: bool,
        /// Where its type code is, and its reference table slot if it has one.
        start: usize,
        slot: Option<usize>,
    },
    Dict {
        dict: Dict,
        /// The key whose value is being read.
        key: Option<Value>,
        start: usize,
        slot: Option<usize>,
    },
    /// Reading a referenced object again for the `r` at `at`; then continue at `resume`.
    Replay { at: usize, resume: usize },
}

/// What reading one type code gave.
enum Step {
    /// A complete value, and whether Python could hash it.
    Value(Value, bool),
    /// A container with items to read, now on top of the stack.
    Opened,
    /// A back-reference: read the object at this offset again.
    Replay(usize),
    /// The NULL that ends a dict.
    Null,
}

/// The input, the position in it and the reference table; shared by the [`Value`] reader and
/// the serde deserializer (`de.rs`).
pub(super) struct Reader<'a> {
    data: &'a [u8],
    pub(super) pos: usize,
    /// Where each object with FLAG_REF starts ([`PENDING`] while a container is being read).
    refs: Vec<usize>,
    /// How many back-references are being read again (no new table entries meanwhile).
    replaying: usize,
    /// What re-read values may still cost.
    budget: usize,
    /// What all values read so far cost, against the payload's limit.
    decoded: Budget,
    /// How many container items may still be preallocated (one per input byte in all).
    prealloc: usize,
    /// Containers being read (the stack's frames other than replays).
    depth: usize,
    /// Containers being read and back-references being read again.
    stack: Vec<Frame>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8], limit: DecodeLimit) -> Reader<'a> {
        let budget = REF_COPY_BUDGET.saturating_add(data.len().saturating_mul(4));
        Reader {
            data,
            pos: 0,
            refs: Vec::new(),
            replaying: 0,
            budget,
            decoded: Budget::new("marshal", data.len(), limit),
            prealloc: data.len(),
            depth: 0,
            stack: Vec::new(),
        }
    }

    /// Checks that the object read so far fills the input.
    pub(super) fn finish(&self) -> Result<(), SerializeError> {
        if self.pos != self.data.len() {
            return Err(self.error_at(self.pos, "extra data after the object"));
        }
        Ok(())
    }

    /// The next byte, not consumed.
    pub(super) fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Bytes left after the position.
    pub(super) fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    #[cold]
    pub(super) fn error_at(&self, pos: usize, what: &str) -> SerializeError {
        malformed(format!("{what} at byte {pos}"))
    }

    #[inline]
    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SerializeError> {
        let start = self.pos;
        let data: &'a [u8] = self.data;
        match data.get(start..start.saturating_add(n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.truncated(n, what)),
        }
    }

    #[cold]
    fn truncated(&self, n: usize, what: &str) -> SerializeError {
        let left = self.data.len() - self.pos;
        self.error_at(self.pos, &format!("{what} needs {n} bytes but only {left} are left"))
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], SerializeError> {
        let bytes = self.take(N, what)?;
        // `take` returned exactly N bytes.
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    #[inline]
    pub(super) fn i32(&mut self, what: &str) -> Result<i32, SerializeError> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    #[inline]
    pub(super) fn u8(&mut self, what: &str) -> Result<u8, SerializeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A signed 32-bit size that must be non-negative.
    #[inline]
    pub(super) fn size(&mut self, what: &str) -> Result<usize, SerializeError> {
        let at = self.pos;
        let n = self.i32(what)?;
        usize::try_from(n).map_err(|_| self.error_at(at, &format!("negative {what} size {n}")))
    }

    #[inline]
    pub(super) fn f64(&mut self, what: &str) -> Result<f64, SerializeError> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    /// A float as text: a one-byte length, then what Python's `float()` reads.
    pub(super) fn text_float(&mut self) -> Result<f64, SerializeError> {
        let n = usize::from(self.u8("float")?);
        let at = self.pos;
        let text = self.take(n, "float")?;
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| self.error_at(at, "float text that is not a number"))
    }

    /// Charges one value holding `payload` heap bytes (for a dict: its table), at `at`.
    #[inline]
    pub(super) fn charge(&mut self, payload: usize, at: usize) -> Result<(), SerializeError> {
        self.charge_bytes(payload.saturating_add(budget::VALUE), at)
    }

    /// Charges `bytes` against the payload's limit and, for re-read values, the copy budget.
    #[inline]
    pub(super) fn charge_bytes(&mut self, bytes: usize, at: usize) -> Result<(), SerializeError> {
        self.decoded.charge(bytes)?;
        if self.replaying == 0 {
            return Ok(());
        }
        match self.budget.checked_sub(bytes) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(self.error_at(at, "back-references that expand beyond the copy budget")),
        }
    }

    /// Refuses a sequence of `n` items (each at least a value) now if they cannot fit the limit.
    pub(super) fn ensure_items(&self, n: usize) -> Result<(), SerializeError> {
        self.decoded.ensure(n.saturating_mul(budget::VALUE))
    }

    /// Records an object with FLAG_REF (unless it is being read again); returns its table slot.
    #[inline]
    pub(super) fn register(&mut self, flagged: bool, offset: usize) -> Option<usize> {
        if !flagged || self.replaying > 0 {
            return None;
        }
        self.refs.push(offset);
        Some(self.refs.len() - 1)
    }

    /// Reads one object (and what it contains) from the position.
    pub(super) fn tree(&mut self) -> Result<Value, SerializeError> {
        'value: loop {
            // Where the value being read starts, for error messages.
            let mut at = self.pos;
            let (mut value, mut hashable) = match self.object()? {
                Step::Value(value, hashable) => (value, hashable),
                Step::Opened => continue 'value,
                Step::Replay(offset) => {
                    self.stack.push(Frame::Replay { at, resume: self.pos });
                    self.replaying += 1;
                    self.pos = offset;
                    continue 'value;
                }
                Step::Null => match self.stack.pop() {
                    Some(Frame::Dict { dict, key: None, start, slot }) => {
                        self.depth -= 1;
                        at = start;
                        self.complete(slot, start);
                        (Value::Dict(dict), false)
                    }
                    _ => return Err(self.error_at(at, "NULL object outside a dict's end")),
                },
            };
            // A value is complete: hand it to the enclosing frames, closing those that end here.
            loop {
                // A dict key or set member takes a slot in a table.
                if let Some(
                    Frame::Dict { key: None, .. } | Frame::Seq { kind: SeqKind::Set | SeqKind::FrozenSet, .. },
                ) = self.stack.last()
                {
                    self.charge_bytes(budget::ENTRY, at)?;
                }
                let Some(top) = self.stack.last_mut() else {
                    return Ok(value);
                };
                match top {
                    Frame::Replay { at: reference, resume } => {
                        (at, self.pos) = (*reference, *resume);
                        self.replaying -= 1;
                        self.stack.pop();
                        continue;
                    }
                    Frame::Dict { key: key @ None, .. } => {
                        if !hashable {
                            return Err(self.error_at(at, &format!("unhashable dict key ({})", value.type_name())));
                        }
                        *key = Some(value);
                        continue 'value;
                    }
                    Frame::Dict { dict, key: key @ Some(_), .. } => {
                        if let Some(key) = key.take() {
                            dict.insert(key, value);
                        }
                        continue 'value;
                    }
                    Frame::Seq { kind, items, remaining, hashable: all_hashable, .. } => {
                        if matches!(kind, SeqKind::Set | SeqKind::FrozenSet) && !hashable {
                            return Err(self.error_at(at, &format!("unhashable set member ({})", value.type_name())));
                        }
                        *all_hashable &= hashable;
                        items.push(value);
                        *remaining -= 1;
                        if *remaining > 0 {
                            continue 'value;
                        }
                    }
                }
                // The sequence on top has all its items.
                let Some(Frame::Seq { kind, items, hashable: all_hashable, start, slot, .. }) = self.stack.pop() else {
                    return Err(self.error_at(at, "internal error: lost a sequence"));
                };
                self.depth -= 1;
                at = start;
                self.complete(slot, start);
                (value, hashable) = finish_seq(kind, items, all_hashable);
            }
        }
    }

    /// Marks a container's table slot as complete.
    pub(super) fn complete(&mut self, slot: Option<usize>, start: usize) {
        if let Some(entry) = slot.and_then(|slot| self.refs.get_mut(slot)) {
            *entry = start;
        }
    }

    /// Reads one type code and what follows it, up to a container's first item.
    fn object(&mut self) -> Result<Step, SerializeError> {
        let start = self.pos;
        let code = self.u8("type code")?;
        let flagged = code & FLAG_REF != 0;
        let scalar = |value: Value| Step::Value(value, true);
        let step = match code & !FLAG_REF {
            NULL => return Ok(Step::Null),
            // Singletons never enter the reference table, as in CPython (but cost a value).
            NONE | TRUE | FALSE => {
                self.charge(0, start)?;
                let value = match code & !FLAG_REF {
                    NONE => Value::None,
                    other => Value::Bool(other == TRUE),
                };
                return Ok(scalar(value));
            }
            INT => scalar(Value::Int(i64::from(self.i32("int")?))),
            INT64 => scalar(Value::Int(i64::from_le_bytes(self.array("int64")?))),
            LONG => scalar(self.long()?),
            BINARY_FLOAT => scalar(Value::Float(self.f64("float")?)),
            FLOAT => scalar(Value::Float(self.text_float()?)),
            BINARY_COMPLEX => scalar(Value::Complex { re: self.f64("complex")?, im: self.f64("complex")? }),
            COMPLEX => scalar(Value::Complex { re: self.text_float()?, im: self.text_float()? }),
            STRING => {
                let n = self.size("bytes")?;
                self.charge_bytes(n.min(self.left()), start)?;
                scalar(Value::Bytes(self.take(n, "bytes")?.to_vec()))
            }
            UNICODE | INTERNED => {
                let n = self.size("str")?;
                self.charge_bytes(n.min(self.left()), start)?;
                let at = self.pos;
                let text = self.take(n, "str")?;
                match std::str::from_utf8(text) {
                    Ok(text) => scalar(Value::Str(text.to_owned())),
                    Err(e) => {
                        return Err(self.error_at(
                            at + e.valid_up_to(),
                            "invalid UTF-8 (or a lone surrogate, which a Rust string cannot hold) in str",
                        ));
                    }
                }
            }
            ASCII | ASCII_INTERNED => {
                let n = self.size("str")?;
                self.charge_bytes(n.min(self.left()), start)?;
                scalar(Value::Str(latin1(self.take(n, "str")?)))
            }
            SHORT_ASCII | SHORT_ASCII_INTERNED => {
                let n = usize::from(self.u8("str")?);
                self.charge_bytes(n.min(self.left()), start)?;
                scalar(Value::Str(latin1(self.take(n, "str")?)))
            }
            SMALL_TUPLE => {
                let n = usize::from(self.u8("tuple")?);
                return self.open_seq(SeqKind::Tuple, n, start, flagged);
            }
            TUPLE => {
                let n = self.size("tuple")?;
                return self.open_seq(SeqKind::Tuple, n, start, flagged);
            }
            LIST => {
                let n = self.size("list")?;
                return self.open_seq(SeqKind::List, n, start, flagged);
            }
            SET => {
                let n = self.size("set")?;
                return self.open_seq(SeqKind::Set, n, start, flagged);
            }
            FROZENSET => {
                let n = self.size("frozenset")?;
                return self.open_seq(SeqKind::FrozenSet, n, start, flagged);
            }
            DICT => {
                self.charge(budget::DICT, start)?;
                self.enter(start)?;
                let slot = self.register(flagged, PENDING);
                self.stack.push(Frame::Dict { dict: Dict::with_capacity(0), key: None, start, slot });
                return Ok(Step::Opened);
            }
            REF => return Ok(Step::Replay(self.reference(start)?)),
            other => return Err(self.refused(other, start)),
        };
        self.charge(0, start)?;
        self.register(flagged, start);
        Ok(step)
    }

    /// The offset of the object an `r` (at `start`) refers to, read after the type code.
    pub(super) fn reference(&mut self, start: usize) -> Result<usize, SerializeError> {
        let n = self.i32("reference")?;
        match usize::try_from(n).ok().and_then(|i| self.refs.get(i)) {
            Some(&PENDING) => {
                Err(self.error_at(start, &format!("reference {n} to a container that is still being read")))
            }
            Some(&offset) => Ok(offset),
            None => {
                Err(self.error_at(start, &format!("invalid reference {n} (the table has {} entries)", self.refs.len())))
            }
        }
    }

    /// The error for a type code (without FLAG_REF) at `start` that carries no value pyro accepts.
    #[cold]
    pub(super) fn refused(&self, code: u8, start: usize) -> SerializeError {
        match code {
            NULL => self.error_at(start, "NULL object outside a dict's end"),
            STOPITER => self.error_at(start, "StopIteration cannot be carried"),
            ELLIPSIS => self.error_at(start, "Ellipsis cannot be carried"),
            CODE => self.error_at(start, "code objects are refused"),
            SLICE => self.error_at(start, "slice (marshal version 5) cannot be carried"),
            other => self.error_at(start, &format!("unknown type code {:?}", char::from(other))),
        }
    }

    /// Ends a container started with [`Reader::enter`].
    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Starts reading the object at `offset` again; returns where to resume.
    pub(super) fn start_replay(&mut self, offset: usize) -> usize {
        self.replaying += 1;
        std::mem::replace(&mut self.pos, offset)
    }

    /// Ends a replay started with [`Reader::start_replay`].
    pub(super) fn end_replay(&mut self, resume: usize) {
        self.replaying -= 1;
        self.pos = resume;
    }

    /// Starts a sequence of `n` items; an empty one is complete at once.
    fn open_seq(&mut self, kind: SeqKind, n: usize, start: usize, flagged: bool) -> Result<Step, SerializeError> {
        self.charge(0, start)?;
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(self.error_at(start, &format!("{} of {n} items in {left} bytes", kind.name())));
        }
        self.ensure_items(n)?;
        if n == 0 {
            self.register(flagged, start);
            let (value, hashable) = finish_seq(kind, Vec::new(), true);
            return Ok(Step::Value(value, hashable));
        }
        self.enter(start)?;
        let slot = self.register(flagged, PENDING);
        // Never more than the values the payload's limit still allows.
        let capacity = n.min(self.prealloc).min(self.decoded.left() / budget::VALUE);
        self.prealloc -= capacity;
        let items = Vec::with_capacity(capacity);
        self.stack.push(Frame::Seq { kind, items, remaining: n, hashable: true, start, slot });
        Ok(Step::Opened)
    }

    /// Counts a container that starts at `start` against [`MAX_DEPTH`].
    pub(super) fn enter(&mut self, start: usize) -> Result<(), SerializeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(start, &format!("nesting deeper than {MAX_DEPTH}")));
        }
        self.depth += 1;
        Ok(())
    }

    /// An `l` int: a signed count of 15-bit digits (the sign is the number's), then the digits.
    pub(super) fn long(&mut self) -> Result<Value, SerializeError> {
        let at = self.pos;
        let n = self.i32("long")?;
        let count = n.unsigned_abs() as usize;
        if n == i32::MIN {
            return Err(self.error_at(at, "long size out of range"));
        }
        // Digits beyond this exceed 4300 decimal digits.
        if count > MAX_INT_DIGITS * 10 / 45 + 2 {
            return Err(self.error_at(at, &format!("integer with more than {MAX_INT_DIGITS} digits")));
        }
        let digits = self.take(count * 2, "long")?;
        let mut words = vec![0u32; (count * LONG_DIGIT_BITS as usize).div_ceil(32)];
        let mut top = 0;
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let digit = u16::from_le_bytes([pair[0], pair[1]]);
            if digit > 0x7fff {
                return Err(self.error_at(at + 4 + 2 * i, "digit out of range in long"));
            }
            let bit = i * LONG_DIGIT_BITS as usize;
            let wide = u64::from(digit) << (bit % 32);
            words[bit / 32] |= wide as u32;
            if let Some(next) = words.get_mut(bit / 32 + 1) {
                *next |= (wide >> 32) as u32;
            }
            top = digit;
        }
        if count > 0 && top == 0 {
            return Err(self.error_at(at, "unnormalized long data"));
        }
        let sign = if n < 0 { Sign::Minus } else { Sign::Plus };
        let value = BigInt::from_biguint(sign, BigUint::new(words));
        if count > 950 && value.magnitude().to_string().len() > MAX_INT_DIGITS {
            return Err(self.error_at(at, &format!("integer with more than {MAX_INT_DIGITS} digits")));
        }
        Ok(Value::int(value))
    }
}

/// A completed sequence as a value, and whether Python could hash it.
fn finish_seq(kind: SeqKind, items: Vec<Value>, all_hashable: bool) -> (Value, bool) {
    match kind {
        SeqKind::Tuple => (Value::Tuple(items), all_hashable),
        SeqKind::List => (Value::List(items), false),
        SeqKind::Set => (Value::Set(distinct(items)), false),
        SeqKind::FrozenSet => (Value::Set(distinct(items)), true),
    }
}

/// The members of a set without repeats (the first of equal ones kept), as Python's set holds them.
fn distinct(items: Vec<Value>) -> Vec<Value> {
    let mut members = Dict::with_capacity(items.len());
    for item in items {
        members.insert(item, Value::None);
    }
    members.into_iter().map(|(member, _)| member).collect()
}

/// CPython reads the ASCII string types as Latin-1 (any byte is a code point).
pub(super) fn latin1(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8: this cannot fail.
        if let Ok(text) = std::str::from_utf8(bytes) {
            return text.to_owned();
        }
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}
