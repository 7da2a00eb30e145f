//! Python's rules for reading text: `str.isspace()`, `str.strip()`, `int(text)` and `float(text)`.
//!
//! Pyro5 reads environment variables and URI ports with these built-ins, so pyro follows the same
//! rules to accept exactly the same texts (ASCII digits only: Python also accepts other Unicode
//! decimal digits, which pyro rejects).

/// Python's `str.isspace()` (which is also what `\s` matches in a `re` pattern): Unicode
/// `White_Space` plus the information separators U+001C..U+001F.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `text.strip()`.
pub(crate) fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// Python's `int(text)`: surrounding whitespace, an optional sign, ASCII digits with single
/// underscores between them. `None` if Python would raise `ValueError`. Values beyond the `i128`
/// range saturate, so they still fail any narrower conversion.
pub(crate) fn parse_int(text: &str) -> Option<i128> {
    let text = strip(text);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !underscores_between_digits(digits) {
        return None;
    }
    let mut magnitude: i128 = 0;
    for b in digits.bytes().filter(|b| *b != b'_') {
        if !b.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `float(text)`: surrounding whitespace, underscores between digits, `inf`, `infinity`
/// and `nan` in any case. `None` if Python would raise `ValueError`.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let text = strip(text);
    if text.contains('_') {
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        if !unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'e' | b'E' | b'+' | b'-')) {
            return None;
        }
        if !text.split(['.', 'e', 'E', '+', '-']).all(underscores_between_digits_or_empty) {
            return None;
        }
        return text.replace('_', "").parse().ok();
    }
    text.parse().ok()
}

/// Whether `digits` is non-empty and every `_` sits between two ASCII digits.
fn underscores_between_digits(digits: &str) -> bool {
    !digits.is_empty() && underscores_between_digits_or_empty(digits)
}

fn underscores_between_digits_or_empty(digits: &str) -> bool {
    !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_is_python_isspace() {
        let python: Vec<u32> = vec![
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
            0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let ours: Vec<u32> =
            (0..=0x10ffff).filter_map(char::from_u32).filter(|c| is_space(*c)).map(u32::from).collect();
        assert_eq!(ours, python);
    }

    #[test]
    fn int_like_python() {
        // (text, int(text)) as Python 3.11 answers; None = ValueError.
        let cases: &[(&str, Option<i128>)] = &[
            ("80", Some(80)),
            (" 80\t", Some(80)),
            ("+5", Some(5)),
            ("-5", Some(-5)),
            ("-0", Some(0)),
            ("0005", Some(5)),
            ("1_000", Some(1000)),
            ("1\u{a0}", Some(1)),
            ("", None),
            ("-", None),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("+_1", None),
            ("0x10", None),
            ("1 2", None),
            ("80.0", None),
            ("++1", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_int(text), *expected, "int({text:?})");
        }
        assert_eq!(parse_int("99999999999999999999999999999999999999999999"), Some(i128::MAX));
    }

    #[test]
    fn float_like_python() {
        let cases: &[(&str, Option<f64>)] = &[
            ("2.0", Some(2.0)),
            (" 2 ", Some(2.0)),
            ("1_0.5", Some(10.5)),
            ("1e3", Some(1000.0)),
            ("1_0e1_0", Some(10e10)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("-1.5", Some(-1.5)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("1__0", None),
            ("1_.5", None),
            ("1._5", None),
            ("_1", None),
            ("1_e5", None),
            ("i_nf", None),
            ("", None),
            (".", None),
            ("0x1p3", None),
            ("1,5", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_float(text), *expected, "float({text:?})");
        }
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
    }
}
