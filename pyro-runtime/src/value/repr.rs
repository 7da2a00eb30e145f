//! Python's `repr()` of a [`Value`], as its `Display`.
//!
//! Floats use Python's repr rules (shortest round-trip digits; fixed notation when the decimal
//! exponent is in -4..16, else `1e+16` style), strings and bytes Python's quoting and escapes.

use std::fmt::{self, Write as _};

use super::{Dict, Value};

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_repr(&mut out, self);
        f.write_str(&out)
    }
}

/// Appends Python's `repr()` of `value` to `out`.
fn write_repr(out: &mut String, value: &Value) {
    match value {
        Value::None => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(n) => push_display(out, n),
        Value::BigInt(n) => push_display(out, n),
        Value::Float(x) => write_float_repr(out, *x),
        Value::Complex { re, im } => write_complex_repr(out, *re, *im),
        Value::Str(s) => write_str_repr(out, s),
        Value::Bytes(b) => write_bytes_repr(out, b),
        Value::List(items) => write_items(out, "[", items, "]"),
        Value::Tuple(items) if items.len() == 1 => write_items(out, "(", items, ",)"),
        Value::Tuple(items) => write_items(out, "(", items, ")"),
        Value::Set(items) if items.is_empty() => out.push_str("set()"),
        Value::Set(items) => write_items(out, "{", items, "}"),
        Value::Dict(dict) => write_dict(out, dict),
        Value::DateTime(ts) => {
            out.push_str("datetime.datetime.fromtimestamp(");
            write_float_repr(out, *ts);
            out.push(')');
        }
        Value::Date(d) => {
            push_display(out, &format_args!("datetime.date({}, {}, {})", d.year(), d.month(), d.day()));
        }
    }
}

fn push_display(out: &mut String, item: &dyn fmt::Display) {
    // Writing into a String cannot fail.
    let _ = write!(out, "{item}");
}

fn write_items(out: &mut String, open: &str, items: &[Value], close: &str) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(out, item);
    }
    out.push_str(close);
}

fn write_dict(out: &mut String, dict: &Dict) {
    out.push('{');
    for (i, (k, v)) in dict.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(out, k);
        out.push_str(": ");
        write_repr(out, v);
    }
    out.push('}');
}

/// Appends Python's `repr()` of a float: `1.5`, `100.0`, `1e+16`, `1e-05`, `-0.0`, `nan`, `inf`, `-inf`.
///
/// The digits are the shortest that round-trip (as Python and Rust both choose them); fixed
/// notation is used when the decimal exponent is in -4..16, else `d.ddde+XX`.
pub(crate) fn write_float_repr(out: &mut String, x: f64) {
    write_float(out, x, true, false);
}

/// A small stack buffer of ASCII text: the `{:e}` form of an f64 is at most 24 bytes.
#[derive(Default)]
struct AsciiBuf {
    buf: [u8; 32],
    len: usize,
}

impl AsciiBuf {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for AsciiBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Python's `float_repr_style = 'short'` formatting (`PyOS_double_to_string(x, 'r', 0, flags)`):
/// `add_dot_0` appends `.0` to integral fixed-notation output, `force_sign` writes `+` for
/// non-negative values (both as the complex repr uses them).
fn write_float(out: &mut String, x: f64, add_dot_0: bool, force_sign: bool) {
    if x.is_nan() {
        out.push_str(if force_sign { "+nan" } else { "nan" });
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    } else if force_sign {
        out.push('+');
    }
    if x.is_infinite() {
        out.push_str("inf");
        return;
    }
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7", "1e16", "0e0". Both texts are
    // kept on the stack: this runs for every float a serializer writes.
    let mut sci = AsciiBuf::default();
    let _ = write!(sci, "{:e}", x.abs());
    let sci = sci.as_str();
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits = AsciiBuf::default();
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        digits.push(b);
    }
    let digits = digits.as_str();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                if add_dot_0 {
                    out.push_str(".0");
                }
            } else {
                let (int_part, frac) = digits.split_at(int_len);
                out.push_str(int_part);
                out.push('.');
                out.push_str(frac);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', usize::try_from(-exp - 1).unwrap_or(0)));
            out.push_str(digits);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        push_display(out, &format_args!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs()));
    }
}

/// Python's complex repr: `2j` when the real part is +0, else `(re+imj)` with `1` rather than `1.0`.
fn write_complex_repr(out: &mut String, re: f64, im: f64) {
    if re == 0.0 && re.is_sign_positive() {
        write_float(out, im, false, false);
        out.push('j');
    } else {
        out.push('(');
        write_float(out, re, false, false);
        write_float(out, im, false, true);
        out.push_str("j)");
    }
}

/// The quote Python's repr picks: `'` unless the text contains `'` and no `"`.
fn pick_quote(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double { '"' } else { '\'' }
}

fn write_str_repr(out: &mut String, s: &str) {
    let quote = pick_quote(s.contains('\''), s.contains('"'));
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\x7f' => push_display(out, &format_args!("\\x{:02x}", u32::from(c))),
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                if code <= 0xff {
                    push_display(out, &format_args!("\\x{code:02x}"));
                } else if code <= 0xffff {
                    push_display(out, &format_args!("\\u{code:04x}"));
                } else {
                    push_display(out, &format_args!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push(quote);
}

fn write_bytes_repr(out: &mut String, bytes: &[u8]) {
    let quote = pick_quote(bytes.contains(&b'\''), bytes.contains(&b'"'));
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            b' '..=b'~' => out.push(char::from(b)),
            b => push_display(out, &format_args!("\\x{b:02x}")),
        }
    }
    out.push(quote);
}

/// An approximation of Python's `str.isprintable()` for one non-ASCII character: false for
/// control, format, separator (other than the ASCII space), private-use and known unassigned or
/// non-characters; true for the rest.
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    let not_printable = c.is_control()
        // Zs, Zl, Zp (non-ASCII separators).
        || matches!(code, 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000)
        // Cf (format characters).
        || matches!(
            code,
            0xad | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x890..=0x891
                | 0x8e2
                | 0x180e
                | 0x200b..=0x200f
                | 0x202a..=0x202e
                | 0x2060..=0x2064
                | 0x2066..=0x206f
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0x110bd
                | 0x110cd
                | 0x13430..=0x1343f
                | 0x1bca0..=0x1bca3
                | 0x1d173..=0x1d17a
                | 0xe0001
                | 0xe0020..=0xe007f
        )
        // Co (private use).
        || matches!(code, 0xe000..=0xf8ff | 0xf0000..=0x10ffff)
        // Cn: non-characters and the large unassigned ranges.
        || matches!(code, 0xfdd0..=0xfdef | 0x323b0..=0xdffff | 0xe0000 | 0xe0002..=0xe001f | 0xe0080..=0xe00ff | 0xe01f0..=0xeffff)
        || code & 0xfffe == 0xfffe;
    !not_printable
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::Date;

    fn float(x: f64) -> String {
        let mut s = String::new();
        write_float_repr(&mut s, x);
        s
    }

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (0.0001234, "0.0001234"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (123456789012345.6, "123456789012345.6"),
            (1.2345678901234567e-7, "1.2345678901234566e-07"),
            (1e100, "1e+100"),
            (0.1, "0.1"),
            (2.5e-5, "2.5e-05"),
            (-12.75, "-12.75"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(float(x), want, "{x:?}");
        }
    }

    #[test]
    fn complex_matches_python_repr() {
        let c = |re, im| Value::Complex { re, im }.to_string();
        assert_eq!(c(1.0, 2.0), "(1+2j)");
        assert_eq!(c(0.0, 2.0), "2j");
        assert_eq!(c(-0.0, -1.0), "(-0-1j)");
        assert_eq!(c(0.0, -2.0), "-2j");
        assert_eq!(c(-0.0, 2.0), "(-0+2j)");
        assert_eq!(c(f64::NAN, 1.0), "(nan+1j)");
        assert_eq!(c(1.0, f64::NAN), "(1+nanj)");
        assert_eq!(c(1.0, f64::NEG_INFINITY), "(1-infj)");
        assert_eq!(c(0.0, f64::INFINITY), "infj");
        assert_eq!(c(1e16, 1e-5), "(1e+16+1e-05j)");
        assert_eq!(c(0.0, 0.0), "0j");
        assert_eq!(c(-0.0, 0.0), "(-0+0j)");
        assert_eq!(c(0.0, -0.0), "-0j");
        assert_eq!(c(1.5, 100.0), "(1.5+100j)");
    }

    #[test]
    fn strings_match_python_repr() {
        assert_eq!(Value::from("a'b").to_string(), r#""a'b""#);
        assert_eq!(Value::from("a\"b'").to_string(), r#"'a"b\''"#);
        let text = "\x00\x7f\u{80}\u{a0}\u{ad}\u{200b}\u{2028}\u{e000}\u{1f600}\u{e0001}\u{ffff} é\t\\";
        assert_eq!(Value::from(text).to_string(), r"'\x00\x7f\x80\xa0\xad\u200b\u2028\ue000😀\U000e0001\uffff é\t\\'");
        assert_eq!(Value::from("line\r\n").to_string(), r"'line\r\n'");
    }

    #[test]
    fn bytes_match_python_repr() {
        assert_eq!(Value::Bytes(b"a'b\x00\xff\\".to_vec()).to_string(), r#"b"a'b\x00\xff\\""#);
        assert_eq!(Value::Bytes(b"\"".to_vec()).to_string(), r#"b'"'"#);
        assert_eq!(Value::Bytes(b"'\"".to_vec()).to_string(), r#"b'\'"'"#);
        assert_eq!(Value::Bytes(Vec::new()).to_string(), "b''");
    }

    #[test]
    fn containers_match_python_repr() {
        let one = Value::Int(1);
        let two = Value::Int(2);
        assert_eq!(Value::List(vec![one.clone(), Value::from("a")]).to_string(), "[1, 'a']");
        assert_eq!(Value::Tuple(vec![one.clone()]).to_string(), "(1,)");
        assert_eq!(Value::Tuple(vec![]).to_string(), "()");
        assert_eq!(Value::Tuple(vec![one.clone(), two.clone()]).to_string(), "(1, 2)");
        assert_eq!(Value::Set(vec![one.clone(), two]).to_string(), "{1, 2}");
        assert_eq!(Value::Set(vec![]).to_string(), "set()");
        let mut d = Dict::new();
        d.insert("a", 1);
        d.insert(Value::Tuple(vec![one]), Value::None);
        assert_eq!(Value::Dict(d).to_string(), "{'a': 1, (1,): None}");
        assert_eq!(Value::Dict(Dict::new()).to_string(), "{}");
        assert_eq!(Value::Bool(true).to_string(), "True");
        assert_eq!(Value::int(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Value::Date(Date::new(2024, 1, 2).unwrap()).to_string(), "datetime.date(2024, 1, 2)");
        assert_eq!(Value::DateTime(1.5).to_string(), "datetime.datetime.fromtimestamp(1.5)");
    }
}
