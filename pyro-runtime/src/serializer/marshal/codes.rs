//! Marshal type codes (CPython's `Python/marshal.c`, format version 4) and the FLAG_REF bit.

/// Set on a type code when the reader must remember the object for later `r` back-references.
pub(super) const FLAG_REF: u8 = 0x80;

/// Ends a dict (never a value on its own).
pub(super) const NULL: u8 = b'0';
pub(super) const NONE: u8 = b'N';
pub(super) const FALSE: u8 = b'F';
pub(super) const TRUE: u8 = b'T';
pub(super) const STOPITER: u8 = b'S';
pub(super) const ELLIPSIS: u8 = b'.';
/// A signed 32-bit little-endian int.
pub(super) const INT: u8 = b'i';
/// A signed 64-bit int: no longer written by Python 3, still read.
pub(super) const INT64: u8 = b'I';
/// An int as a signed digit count and 15-bit digits.
pub(super) const LONG: u8 = b'l';
/// A float as text (marshal version 0 and 1).
pub(super) const FLOAT: u8 = b'f';
/// A float as 8 little-endian bytes.
pub(super) const BINARY_FLOAT: u8 = b'g';
/// A complex as two text floats.
pub(super) const COMPLEX: u8 = b'x';
/// A complex as two 8-byte little-endian floats.
pub(super) const BINARY_COMPLEX: u8 = b'y';
/// `bytes` (and `bytearray`, `memoryview`).
pub(super) const STRING: u8 = b's';
/// An interned `str`, UTF-8.
pub(super) const INTERNED: u8 = b't';
/// A back-reference to an object read earlier with FLAG_REF.
pub(super) const REF: u8 = b'r';
pub(super) const TUPLE: u8 = b'(';
/// A tuple of fewer than 256 items (one-byte count).
pub(super) const SMALL_TUPLE: u8 = b')';
pub(super) const LIST: u8 = b'[';
pub(super) const DICT: u8 = b'{';
pub(super) const CODE: u8 = b'c';
/// A `str`, UTF-8.
pub(super) const UNICODE: u8 = b'u';
pub(super) const SET: u8 = b'<';
pub(super) const FROZENSET: u8 = b'>';
/// An ASCII `str` (four-byte length).
pub(super) const ASCII: u8 = b'a';
pub(super) const ASCII_INTERNED: u8 = b'A';
/// An ASCII `str` shorter than 256 bytes (one-byte length).
pub(super) const SHORT_ASCII: u8 = b'z';
pub(super) const SHORT_ASCII_INTERNED: u8 = b'Z';
/// A `slice` (marshal version 5, Python 3.14).
pub(super) const SLICE: u8 = b':';

/// Python's `PyLong_MARSHAL_SHIFT`: bits per marshal digit of an int.
pub(super) const LONG_DIGIT_BITS: u32 = 15;
