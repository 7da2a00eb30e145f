//! Validation before decoding: one well-formed msgpack value that Pyro5 could have sent (known
//! markers, exact lengths within the input, valid UTF-8 in every str, Pyro5's extension codes
//! with valid payloads, at most [`MAX_DEPTH`] nested containers, nothing after it), with what
//! its values will cost charged to a [`Budget`]: checked by hand, in one pass without
//! recursion, so that hostile input is refused before anything is allocated for it.

use super::{MAX_DEPTH, NAME, malformed};
use crate::serializer::budget::{self, Budget};
use crate::serializer::{DecodeLimit, SerializeError};
use crate::value::ext_codec::decode_ext;

/// Checks that `bytes` hold exactly one well-formed msgpack value that Pyro5 could have sent,
/// whose values fit the default [`DecodeLimit`].
pub(crate) fn validate(bytes: &[u8]) -> Result<(), SerializeError> {
    validate_within(bytes, &mut Budget::new(NAME, bytes.len(), DecodeLimit::default()))
}

/// The item counts of the containers open while validating, the top level at the bottom: the
/// first few inline (no allocation for the usual shallow payload), deeper ones on the heap.
#[derive(Default)]
struct Counts {
    inline: [u64; INLINE_COUNTS],
    len: usize,
    deeper: Vec<u64>,
}

/// Open containers [`Counts`] holds without allocating.
const INLINE_COUNTS: usize = 8;

impl Counts {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, count: u64) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = count,
            None => self.deeper.push(count),
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        if self.len > INLINE_COUNTS {
            self.deeper.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    fn last(&self) -> Option<&u64> {
        match self.len {
            0 => None,
            n if n > INLINE_COUNTS => self.deeper.last(),
            n => self.inline.get(n - 1),
        }
    }

    fn last_mut(&mut self) -> Option<&mut u64> {
        match self.len {
            0 => None,
            n if n > INLINE_COUNTS => self.deeper.last_mut(),
            n => self.inline.get_mut(n - 1),
        }
    }
}

/// Checks that `bytes` hold exactly one well-formed msgpack value that Pyro5 could have sent,
/// iteratively (a stack of counts, bounded by [`MAX_DEPTH`]), charging what its values will
/// cost to `budget`.
pub(crate) fn validate_within(bytes: &[u8], budget: &mut Budget) -> Result<(), SerializeError> {
    let mut reader = Reader { bytes, pos: 0 };
    // Items still to read in each open container; the bottom entry is the top-level value.
    let mut pending = Counts::default();
    pending.push(1);
    loop {
        while pending.last() == Some(&0) {
            pending.pop();
        }
        let Some(left) = pending.last_mut() else { break };
        *left -= 1;
        let at = reader.pos;
        let marker = reader.u8()?;
        budget.value(0)?;
        let container = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => None,
            0xc1 => return Err(malformed(format!("reserved marker 0xc1 at byte {at}"))),
            0x80..=0x8f => {
                let entries = u64::from(marker & 0x0f);
                budget.charge(dict_cost(entries, reader.left()))?;
                Some(2 * entries)
            }
            0x90..=0x9f => Some(u64::from(marker & 0x0f)),
            0xa0..=0xbf => {
                let len = usize::from(marker & 0x1f);
                budget.charge(len.min(reader.left()))?;
                reader.str(len)?;
                None
            }
            0xd9..=0xdb => {
                let len = reader.len(1 << (marker - 0xd9))?;
                budget.charge(len.min(reader.left()))?;
                reader.str(len)?;
                None
            }
            0xc4..=0xc6 => {
                let len = reader.len(1 << (marker - 0xc4))?;
                budget.charge(len.min(reader.left()))?;
                reader.take(len)?;
                None
            }
            // Variable-length extensions are big ints (in decimal: more than their bytes).
            0xc7..=0xc9 => {
                let len = reader.len(1 << (marker - 0xc7))?;
                budget.charge(len.min(reader.left()))?;
                reader.ext(len, at)?;
                None
            }
            0xd4..=0xd8 => {
                reader.ext(1 << (marker - 0xd4), at)?;
                None
            }
            0xca | 0xce | 0xd2 => {
                reader.take(4)?;
                None
            }
            0xcb | 0xcf | 0xd3 => {
                reader.take(8)?;
                None
            }
            0xcc | 0xd0 => {
                reader.take(1)?;
                None
            }
            0xcd | 0xd1 => {
                reader.take(2)?;
                None
            }
            0xdc => Some(reader.len(2)? as u64),
            0xdd => Some(reader.len(4)? as u64),
            0xde | 0xdf => {
                let entries = reader.len(2 << (marker - 0xde))? as u64;
                budget.charge(dict_cost(entries, reader.left()))?;
                Some(2 * entries)
            }
        };
        if let Some(count) = container {
            // `pending` holds the top level plus every enclosing container.
            if pending.len() > MAX_DEPTH {
                return Err(malformed(format!("nested deeper than {MAX_DEPTH} levels at byte {at}")));
            }
            pending.push(count);
        }
    }
    if reader.pos != bytes.len() {
        return Err(malformed(format!(
            "{} trailing bytes after the value at byte {}",
            bytes.len() - reader.pos,
            reader.pos
        )));
    }
    Ok(())
}

/// What a dict of `entries` entries costs besides its keys and values, with `left` bytes left
/// to hold them (more entries than fit are not charged: the input is truncated, the error).
fn dict_cost(entries: u64, left: usize) -> usize {
    let entries = usize::try_from(entries).unwrap_or(usize::MAX).min(left / 2);
    budget::DICT.saturating_add(entries.saturating_mul(budget::ENTRY))
}

/// A cursor over the input for [`validate`].
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SerializeError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(malformed(format!(
                "truncated: {n} bytes needed at byte {}, {} left",
                self.pos,
                self.bytes.len() - self.pos
            ))),
        }
    }

    /// Bytes after the position.
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn u8(&mut self) -> Result<u8, SerializeError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    /// A big-endian length of `width` bytes.
    fn len(&mut self, width: usize) -> Result<usize, SerializeError> {
        let n = self.take(width)?.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
        usize::try_from(n).map_err(|_| malformed(format!("length {n} too large")))
    }

    fn str(&mut self, len: usize) -> Result<(), SerializeError> {
        let at = self.pos;
        std::str::from_utf8(self.take(len)?)
            .map_err(|e| malformed(format!("invalid UTF-8 in the str at byte {at}: {e}")))?;
        Ok(())
    }

    /// An extension of `len` payload bytes whose header started at byte `at`.
    fn ext(&mut self, len: usize, at: usize) -> Result<(), SerializeError> {
        let code = i8::from_ne_bytes([self.u8()?]);
        let data = self.take(len)?;
        decode_ext(code, data).map_err(|e| malformed(format!("{e} (at byte {at})")))?;
        Ok(())
    }
}
