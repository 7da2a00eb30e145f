//! Number literals as Python's tokenizer reads them, with the unary signs and the
//! `real ± imaginary` sums that `ast.literal_eval` accepts.

use std::borrow::Cow;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::super::SerializeError;
use super::parse::Parser;
use crate::value::Value;

/// Python's default `sys.get_int_max_str_digits()`: longer decimal literals are refused.
const MAX_INT_DIGITS: usize = 4300;

/// The most bits a hex, octal or binary literal may have: about those of 4300 decimal digits.
/// (Python reads longer ones, but cannot write them back in decimal; nor can we cheaply.)
const MAX_INT_BITS: usize = 14_300;

/// A number literal's value before signs and sums are applied.
enum Number {
    Int(Value),
    Float(f64),
    /// An imaginary literal `xj`: the complex `0 + x·j`.
    Imaginary(f64),
}

impl<'a> Parser<'a> {
    /// A signed number, optionally followed by `+` or `-` and an imaginary literal (`1+2j`,
    /// `-1.5-0.0j`); `self.pos` is at a sign, a digit or a `.`.
    pub(super) fn number_expression(&mut self) -> Result<Value, SerializeError> {
        let start = self.pos;
        let left = self.signed_number()?;
        // A sum with an imaginary literal?
        let after_left = self.pos;
        self.skip_whitespace();
        let op = match self.peek() {
            Some(op @ (b'+' | b'-')) => op,
            _ => {
                self.pos = after_left;
                return Ok(left);
            }
        };
        let op_at = self.pos;
        self.pos += 1;
        self.skip_whitespace();
        let right = match self.peek() {
            Some(b'0'..=b'9' | b'.') => self.unsigned_number()?,
            _ => return Err(self.error_at(op_at, "only an imaginary number may follow + or - here")),
        };
        let Number::Imaginary(im) = right else {
            return Err(self.error_at(op_at, "only an imaginary number may be added to a number"));
        };
        let re = match left {
            Value::Int(n) => n as f64,
            Value::BigInt(ref n) => match n.to_f64().filter(|f| f.is_finite()) {
                Some(f) => f,
                None => return Err(self.error_at(start, "int too large to convert to float")),
            },
            Value::Float(f) => f,
            _ => return Err(self.error_at(op_at, "only a real number may have an imaginary number added")),
        };
        // Python adds `complex(re, 0.0)` and `complex(0.0, im)` part by part.
        Ok(if op == b'+' {
            Value::Complex { re: re + 0.0, im: 0.0 + im }
        } else {
            Value::Complex { re: re - 0.0, im: 0.0 - im }
        })
    }

    /// A number literal with optional unary `+`/`-` signs (only one, as `literal_eval` allows).
    fn signed_number(&mut self) -> Result<Value, SerializeError> {
        let sign = match self.peek() {
            Some(sign @ (b'+' | b'-')) => {
                self.pos += 1;
                self.skip_whitespace();
                Some(sign)
            }
            _ => None,
        };
        if !matches!(self.peek(), Some(b'0'..=b'9' | b'.')) {
            return Err(self.error("expecting a number"));
        }
        let number = self.unsigned_number()?;
        let negate = sign == Some(b'-');
        Ok(match number {
            Number::Int(v) if negate => match v {
                Value::Int(n) => n.checked_neg().map_or_else(|| Value::int(-BigInt::from(n)), Value::Int),
                Value::BigInt(n) => Value::int(-n),
                other => other,
            },
            Number::Int(v) => v,
            Number::Float(f) => Value::Float(if negate { -f } else { f }),
            Number::Imaginary(im) if negate => Value::Complex { re: -0.0, im: -im },
            Number::Imaginary(im) => Value::Complex { re: 0.0, im },
        })
    }

    /// Digits of `radix` with single underscores between them, from `i`; returns the end.
    /// `leading_underscore` allows one underscore before the first digit (after `0x`).
    fn digit_part(&self, mut i: usize, radix: u32, leading_underscore: bool) -> Result<usize, SerializeError> {
        let start = i;
        let is_digit = |b: Option<u8>| b.is_some_and(|b| char::from(b).is_digit(radix));
        if leading_underscore && self.byte_at(i) == Some(b'_') {
            i += 1;
        }
        if !is_digit(self.byte_at(i)) {
            return Err(self.error_at(start, "invalid number literal"));
        }
        loop {
            while is_digit(self.byte_at(i)) {
                i += 1;
            }
            if self.byte_at(i) == Some(b'_') {
                if !is_digit(self.byte_at(i + 1)) {
                    return Err(self.error_at(i, "invalid number literal"));
                }
                i += 1;
            } else {
                return Ok(i);
            }
        }
    }

    /// `text[start..end]` without underscores.
    fn digits(&self, start: usize, end: usize) -> Result<Cow<'a, str>, SerializeError> {
        let text = self.slice(start, end)?;
        Ok(if text.contains('_') { Cow::Owned(text.replace('_', "")) } else { Cow::Borrowed(text) })
    }

    /// An unsigned number literal; `self.pos` is at a digit or a `.`.
    fn unsigned_number(&mut self) -> Result<Number, SerializeError> {
        let start = self.pos;
        if self.byte_at(start) == Some(b'0') {
            let radix = match self.byte_at(start + 1) {
                Some(b'x' | b'X') => Some(16),
                Some(b'o' | b'O') => Some(8),
                Some(b'b' | b'B') => Some(2),
                _ => None,
            };
            if let Some(radix) = radix {
                let end = self.digit_part(start + 2, radix, true)?;
                self.end_of_number(end)?;
                let digits = self.digits(start + 2, end)?;
                let significant = digits.trim_start_matches('0').len();
                if significant * radix.trailing_zeros() as usize > MAX_INT_BITS + 3 {
                    return Err(self.error_at(start, &format!("integer literal of more than {MAX_INT_BITS} bits")));
                }
                let n = BigInt::parse_bytes(digits.as_bytes(), radix)
                    .ok_or_else(|| self.error_at(start, "invalid number literal"))?;
                self.pos = end;
                return Ok(Number::Int(Value::int(n)));
            }
        }
        let mut i = start;
        let mut is_float = false;
        if self.byte_at(i) != Some(b'.') {
            i = self.digit_part(i, 10, false)?;
        }
        let int_end = i;
        if self.byte_at(i) == Some(b'.') {
            is_float = true;
            i += 1;
            if self.byte_at(i).is_some_and(|b| b.is_ascii_digit()) {
                i = self.digit_part(i, 10, false)?;
            } else if int_end == start {
                return Err(self.error_at(start, "invalid number literal"));
            }
        }
        if let Some(b'e' | b'E') = self.byte_at(i) {
            let mut j = i + 1;
            if let Some(b'+' | b'-') = self.byte_at(j) {
                j += 1;
            }
            i = self.digit_part(j, 10, false)?;
            is_float = true;
        }
        let imaginary = matches!(self.byte_at(i), Some(b'j' | b'J'));
        let end = if imaginary { i + 1 } else { i };
        self.end_of_number(end)?;
        let digits = self.digits(start, i)?;
        self.pos = end;
        if imaginary || is_float {
            // Rust's parser rounds correctly and, like Python, overflows to ±inf.
            let f: f64 = digits.parse().map_err(|_| self.error_at(start, "invalid number literal"))?;
            return Ok(if imaginary { Number::Imaginary(f) } else { Number::Float(f) });
        }
        let bytes = digits.as_bytes();
        if bytes.len() > 1 && bytes[0] == b'0' {
            if bytes.iter().all(|&b| b == b'0') {
                return Ok(Number::Int(Value::Int(0)));
            }
            return Err(self.error_at(start, "leading zeros in a decimal integer literal"));
        }
        if bytes.len() <= 18 {
            let n = digits.parse().map_err(|_| self.error_at(start, "invalid number literal"))?;
            return Ok(Number::Int(Value::Int(n)));
        }
        if bytes.len() > MAX_INT_DIGITS {
            return Err(self.error_at(start, &format!("integer literal with more than {MAX_INT_DIGITS} digits")));
        }
        let n = BigInt::parse_bytes(bytes, 10).ok_or_else(|| self.error_at(start, "invalid number literal"))?;
        Ok(Number::Int(Value::int(n)))
    }

    /// A number must not run into a name (`1x`, `0b12`, `1if`).
    fn end_of_number(&self, end: usize) -> Result<(), SerializeError> {
        if self.is_name_byte(end) || self.byte_at(end) == Some(b'.') {
            return Err(self.error_at(end, "invalid number literal"));
        }
        Ok(())
    }
}
