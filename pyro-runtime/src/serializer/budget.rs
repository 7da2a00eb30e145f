//! How much memory decoding one payload may make its values take: [`DecodeLimit`], and the
//! running count every decoder keeps while it reads.
//!
//! Each decoder counts what the [`Value`]s it builds cost: every value the size of a [`Value`],
//! the bytes of every str, bytes object and big int, and for every dict (and set) its table plus
//! a slot per entry. The input is refused with [`SerializeError::TooLarge`] as soon as the count
//! passes the limit, so no payload can make a decoder allocate much more than the limit (growing
//! vectors may hold up to twice what they use). A typed target is charged as if it were read
//! into [`Value`]s.
//!
//! Most inflating payloads are refused before any value is built: msgpack counts everything in
//! the validating pass that precedes decoding, marshal refuses a container whose items cannot
//! fit as soon as it reads its length, and json and serpent first count the commas and brackets
//! outside strings (a lower bound of the values) and refuse at once when even that cannot fit.

use std::mem::size_of;

use super::SerializeError;
use crate::value::Value;

/// The limit on what one payload's decoded values may cost (see the module docs for how it is
/// counted): [`per_byte`](DecodeLimit::per_byte) times the payload's size, but at least
/// [`floor`](DecodeLimit::floor), and never more than [`max`](DecodeLimit::max). A daemon takes
/// it from [`DaemonBuilder::decode_limit`](crate::daemon::DaemonBuilder::decode_limit); the
/// default is 16 bytes per byte, at least 64 MiB, at most 1 GiB.
///
/// Python Pyro5 needs 8 bytes for each element of a list of shared objects (like `None`) and
/// more for anything else; a [`Value`] takes 32, so a payload of one-byte elements (msgpack's
/// nil, marshal's `None`) costs 32 times its size, and a payload of empty dicts more than a
/// hundred times. Such a payload above the floor is refused, while payloads of strings, bytes,
/// floats and most numbers decode within the limit whatever their size (up to `max`). To accept
/// larger lists of small elements, raise the floor or the ratio.
///
/// ```
/// use pyro::serializer::DecodeLimit;
///
/// let limit = DecodeLimit::default();
/// assert_eq!(limit.for_payload(100), DecodeLimit::FLOOR);
/// assert_eq!(limit.for_payload(10 << 20), 160 << 20);
/// assert_eq!(limit.for_payload(1 << 30), DecodeLimit::DEFAULT_MAX);
/// assert_eq!(DecodeLimit::new(1 << 20).for_payload(100), 1 << 20);
/// // Up to 4 GiB for any payload, however small.
/// let roomy = DecodeLimit::new(4 << 30).with_floor(4 << 30);
/// assert_eq!(roomy.for_payload(100), 4 << 30);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimit {
    /// What any payload, however small, may decode to (unless `max` is lower), in bytes.
    pub floor: usize,
    /// How many bytes of values each byte of a larger payload may decode to.
    pub per_byte: usize,
    /// The most any payload's values may cost, in bytes, whatever its size.
    pub max: usize,
}

impl DecodeLimit {
    /// The default [`floor`](DecodeLimit::floor): 64 MiB.
    pub const FLOOR: usize = 64 << 20;
    /// The default [`per_byte`](DecodeLimit::per_byte): 16 (twice what Python needs for a list
    /// of shared objects).
    pub const PER_BYTE: usize = 16;
    /// The default [`max`](DecodeLimit::max): 1 GiB, Pyro5's default `MAX_MESSAGE_SIZE`.
    pub const DEFAULT_MAX: usize = 1 << 30;

    /// A limit of at most `max` bytes for any payload, with the default floor and ratio.
    ///
    /// ```
    /// let limit = pyro::serializer::DecodeLimit::new(4096);
    /// assert_eq!((limit.max, limit.per_byte), (4096, 16));
    /// ```
    pub const fn new(max: usize) -> DecodeLimit {
        DecodeLimit { floor: Self::FLOOR, per_byte: Self::PER_BYTE, max }
    }

    /// This limit with [`floor`](DecodeLimit::floor) `bytes`.
    ///
    /// ```
    /// use pyro::serializer::DecodeLimit;
    /// assert_eq!(DecodeLimit::default().with_floor(1 << 20).for_payload(100), 1 << 20);
    /// ```
    #[must_use]
    pub const fn with_floor(mut self, bytes: usize) -> DecodeLimit {
        self.floor = bytes;
        self
    }

    /// This limit with [`per_byte`](DecodeLimit::per_byte) `ratio`.
    ///
    /// ```
    /// use pyro::serializer::DecodeLimit;
    /// assert_eq!(DecodeLimit::default().with_per_byte(40).for_payload(8 << 20), 320 << 20);
    /// ```
    #[must_use]
    pub const fn with_per_byte(mut self, ratio: usize) -> DecodeLimit {
        self.per_byte = ratio;
        self
    }

    /// What a payload of `len` bytes may decode to, in bytes.
    ///
    /// ```
    /// use pyro::serializer::DecodeLimit;
    /// assert_eq!(DecodeLimit::default().for_payload(8 << 20), 128 << 20);
    /// ```
    pub fn for_payload(self, len: usize) -> usize {
        len.saturating_mul(self.per_byte).max(self.floor).min(self.max)
    }
}

impl Default for DecodeLimit {
    fn default() -> DecodeLimit {
        DecodeLimit::new(DecodeLimit::DEFAULT_MAX)
    }
}

/// What one decoded value costs besides its heap payload.
pub(crate) const VALUE: usize = size_of::<Value>();
/// What a dict costs besides its entries (the boxed table).
pub(crate) const DICT: usize = crate::value::DICT_COST;
/// What each dict entry (and each set member, deduplicated through a dict) costs besides its key
/// and value.
pub(crate) const ENTRY: usize = crate::value::DICT_ENTRY_COST;

/// The running count of what a decoder has built, against the limit for its payload.
#[derive(Debug)]
pub(crate) struct Budget {
    serializer: &'static str,
    payload: usize,
    limit: usize,
    spent: usize,
}

impl Budget {
    /// The budget for a payload of `payload` bytes in `serializer`.
    pub(crate) fn new(serializer: &'static str, payload: usize, limit: DecodeLimit) -> Budget {
        Budget { serializer, payload, limit: limit.for_payload(payload), spent: 0 }
    }

    /// Counts `bytes` more; an error once the total passes the limit.
    #[inline]
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), SerializeError> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > self.limit {
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// Counts one value with `payload` heap bytes.
    #[inline]
    pub(crate) fn value(&mut self, payload: usize) -> Result<(), SerializeError> {
        self.charge(VALUE.saturating_add(payload))
    }

    /// An error now if `bytes` more would pass the limit (for what will certainly be counted
    /// later, such as the items of a container whose length is known), without counting them.
    pub(crate) fn ensure(&self, bytes: usize) -> Result<(), SerializeError> {
        if bytes > self.left() {
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// What may still be counted.
    pub(crate) fn left(&self) -> usize {
        self.limit.saturating_sub(self.spent)
    }

    /// What has been counted so far.
    #[cfg(test)]
    pub(crate) fn spent(&self) -> usize {
        self.spent
    }

    #[cold]
    fn exceeded(&self) -> SerializeError {
        SerializeError::TooLarge { serializer: self.serializer, payload: self.payload, limit: self.limit }
    }
}

/// What a text document costs at least, from its structure before it is parsed: `commas`
/// separators (each container holds at least as many elements as it has commas), `lists` list
/// openers and `dicts` dict openers (each a distinct value).
pub(crate) fn least(commas: usize, lists: usize, dicts: usize) -> usize {
    let values = commas.max(lists.saturating_add(dicts));
    values.saturating_mul(VALUE).saturating_add(dicts.saturating_mul(DICT))
}

/// The heap bytes a scalar value holds (its text, bytes or digits).
pub(crate) fn heap(value: &Value) -> usize {
    match value {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::BigInt(n) => n.bits().div_ceil(8).try_into().unwrap_or(usize::MAX),
        _ => 0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::serializer::{Serializer, batch_call, json, serpent};

    /// A msgpack array header for `n` items.
    fn msgpack_array(n: usize) -> Vec<u8> {
        let mut out = vec![0xdd];
        out.extend(u32::try_from(n).unwrap().to_be_bytes());
        out
    }

    /// A msgpack array of `n` copies of `item`.
    fn msgpack_repeat(n: usize, item: &[u8]) -> Vec<u8> {
        [msgpack_array(n), item.repeat(n)].concat()
    }

    /// A marshal list of `n` copies of `item`.
    fn marshal_repeat(n: usize, item: &[u8]) -> Vec<u8> {
        let mut out = vec![b'['];
        out.extend(i32::try_from(n).unwrap().to_le_bytes());
        out.extend(item.repeat(n));
        out
    }

    /// A text list (json and serpent) of `n` copies of `item`.
    fn text_repeat(n: usize, item: &str, separator: &str) -> Vec<u8> {
        format!("[{}]", vec![item; n].join(separator)).into_bytes()
    }

    /// The call `thing.echo(value)` around the encoded `value`, as each serializer frames it.
    fn call_around(ser: Serializer, value: &[u8]) -> Vec<u8> {
        match ser {
            Serializer::Msgpack => [&[0x94, 0xa5][..], b"thing", &[0xa4], b"echo", &[0x91], value, &[0xc0]].concat(),
            Serializer::Marshal => [&b")\x04z\x05thingz\x04echo)\x01"[..], value, b"N"].concat(),
            Serializer::Json => {
                [&br#"{"object": "thing", "method": "echo", "params": ["#[..], value, b"], \"kwargs\": null}"].concat()
            }
            Serializer::Serpent => [&b"('thing','echo',("[..], value, b",),None)"].concat(),
        }
    }

    fn assert_too_large<T: std::fmt::Debug>(ser: Serializer, result: Result<T, SerializeError>, what: &str) {
        match result {
            Err(SerializeError::TooLarge { serializer, .. }) => assert_eq!(serializer, ser.name(), "{what}"),
            other => panic!("{ser} {what}: expected TooLarge, got {other:?}"),
        }
    }

    /// Payloads of 100,000 small elements each, per serializer: what each element costs far
    /// exceeds its bytes.
    fn inflating(ser: Serializer) -> Vec<(&'static str, Vec<u8>)> {
        const N: usize = 100_000;
        match ser {
            Serializer::Msgpack => vec![
                ("nils", msgpack_repeat(N, &[0xc0])),
                ("empty lists", msgpack_repeat(N, &[0x90])),
                ("empty dicts", msgpack_repeat(N, &[0x80])),
                ("nested empty lists", msgpack_repeat(N / 4, &[0x93, 0x90, 0x91, 0x90, 0x90])),
                ("dicts of nils", msgpack_repeat(N / 2, &[0x81, 0xc0, 0xc0])),
            ],
            Serializer::Marshal => {
                // A 64 KiB str, then 100 back-references to it: 6.5 MB of copies from 66 kB.
                let mut refs = marshal_repeat(101, b"");
                refs.extend([b'a' | 0x80]);
                refs.extend(65_536i32.to_le_bytes());
                refs.extend([b'x'; 65_536]);
                refs.extend([b'r', 0, 0, 0, 0].repeat(100));
                vec![
                    ("Nones", marshal_repeat(N, b"N")),
                    ("empty dicts", marshal_repeat(N, b"{0")),
                    ("nested empty lists", marshal_repeat(N / 4, b"[\x02\0\0\0[\0\0\0\0)\0")),
                    ("back-references to a long str", refs),
                ]
            }
            Serializer::Json => vec![
                ("nulls", text_repeat(N, "null", ",")),
                ("empty lists", text_repeat(N, "[]", ",")),
                ("empty dicts", text_repeat(N, "{}", ",")),
                ("nested empty lists", text_repeat(N / 4, "[[],[[]]]", ",")),
            ],
            Serializer::Serpent => vec![
                ("Nones", text_repeat(N, "None", ",")),
                ("empty tuples", text_repeat(N, "()", ",")),
                ("empty dicts", text_repeat(N, "{}", ",")),
                ("nested empty lists", text_repeat(N / 4, "[[],[()]]", ",")),
                ("sets", text_repeat(N / 2, "{1}", ",")),
            ],
        }
    }

    const ALL: [Serializer; 4] = [Serializer::Msgpack, Serializer::Marshal, Serializer::Json, Serializer::Serpent];

    #[test]
    fn every_serializer_refuses_payloads_that_would_inflate() {
        let limit = DecodeLimit::new(1 << 20);
        for ser in ALL {
            for (what, value) in inflating(ser) {
                assert_too_large(ser, ser.from_bytes_limited::<Value>(&value, limit), what);
                // Typed targets are charged the same.
                assert_too_large(ser, ser.from_bytes_limited::<Vec<serde::de::IgnoredAny>>(&value, limit), what);
                let call = call_around(ser, &value);
                assert_too_large(ser, ser.decode_call_limited(&call, limit), what);
                assert_too_large(ser, batch_call::decode(ser, &call, limit), what);
                // Within a limit that fits them, they decode.
                let roomy = DecodeLimit::new(64 << 20);
                let decoded = ser.decode_call_limited(&call, roomy).unwrap_or_else(|e| panic!("{ser} {what}: {e}"));
                assert_eq!(decoded.vargs.len(), 1, "{ser} {what}");
            }
        }
    }

    #[test]
    fn the_structure_of_json_and_serpent_never_overstates_their_cost() {
        let json_docs: &[&str] = &[
            "null",
            "[]",
            "{}",
            r#"[1, 2, [3, {}], {"a": [], "b": {"c": null}}]"#,
            r#"["a,b", "[{\"x\",", "\\", {}]"#,
            r#"{"k": "v", "k": [1]}"#,
            "[1,2,3,4,5,6,7,8,9,10]",
        ];
        for doc in json_docs {
            let (_, spent, least) =
                json::parse::parse_counting(doc.as_bytes()).unwrap_or_else(|e| panic!("json {doc}: {e}"));
            assert!(least <= spent, "json {doc}: {least} > {spent}");
        }
        let serpent_docs: &[&str] = &[
            "# serpent utf-8 python3.2\n[1,2]",
            "# a, comment, with, commas\n(1,)",
            "((((1))))",
            "((((1,),),),)",
            "1, 2, 3",
            "{1, 2, (3, 4)}",
            "{'a': [1, 2], 'b': {'c': ()}}",
            r#"['a,b', "c,'d", '''e,''' , """f",""", r'\',', b'\x00,']"#,
            "['''a''' 'b,', 'x']",
            "set()",
            "(1+2j, -3j)",
            "{'__class__': 'float', 'value': 'nan'}",
            "[[],[[]],{},{1},(),]",
        ];
        for doc in serpent_docs {
            let (_, spent, least) =
                serpent::parse::parse_counting(doc.as_bytes()).unwrap_or_else(|e| panic!("serpent {doc}: {e}"));
            assert!(least <= spent, "serpent {doc}: {least} > {spent}");
        }
        // What the writers write, for values of every kind they carry.
        let mut d = crate::value::Dict::new();
        d.insert(
            "x,y",
            Value::List(vec![Value::from("[,{"), Value::Bytes(b"',\"".to_vec()), Value::Set(vec![1.into()])]),
        );
        d.insert(Value::Tuple(vec![1.into(), "'".into()]), Value::Complex { re: 1.0, im: f64::NAN });
        let value = Value::List(vec![Value::Dict(d), Value::Float(f64::NAN), Value::Tuple(vec![]), "\\\"".into()]);
        let bytes = json::to_bytes(&Value::List(vec!["a,\"b".into(), Value::None, "\\".into()])).unwrap();
        let (_, spent, least) = json::parse::parse_counting(&bytes).unwrap();
        assert!(least <= spent, "{}", String::from_utf8_lossy(&bytes));
        for options in [serpent::Options { bytes_repr: true }, Default::default()] {
            let bytes = serpent::to_bytes_with(&value, options).unwrap();
            let (_, spent, least) = serpent::parse::parse_counting(&bytes).unwrap();
            assert!(least <= spent, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    /// xorshift64: a tiny deterministic generator.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Random token soups: whatever of them parses, its structure never overstates its cost.
    #[test]
    fn random_documents_never_have_their_cost_overstated() {
        let json_tokens: &[&str] = &[
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\"a,\"",
            "\"\\\"[,\"",
            "\"\\\\\"",
            "1",
            "-2.5e3",
            "null",
            "true",
            "NaN",
        ];
        let serpent_tokens: &[&str] = &[
            "[",
            "]",
            "{",
            "}",
            "(",
            ")",
            ",",
            ":",
            " ",
            "'a,'",
            "\"b,\"",
            "'''c,'''",
            "\"\"\"d'\"\"\"",
            r"r'\','",
            r"b'\x00,'",
            "'\\',['",
            "1",
            "2j",
            "-3",
            "None",
            "True",
            "set()",
            "#,[{\n",
            "\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let (mut parsed_json, mut parsed_serpent) = (0, 0);
        for round in 0..20_000 {
            let (tokens, is_json) = if round % 2 == 0 { (json_tokens, true) } else { (serpent_tokens, false) };
            let len = usize::try_from(next(&mut state) % 12).unwrap() + 1;
            let doc: String =
                (0..len).map(|_| tokens[usize::try_from(next(&mut state)).unwrap() % tokens.len()]).collect();
            let counted = if is_json {
                json::parse::parse_counting(doc.as_bytes())
            } else {
                serpent::parse::parse_counting(doc.as_bytes())
            };
            if let Ok((_, spent, least)) = counted {
                assert!(least <= spent, "{doc:?}: {least} > {spent}");
                if is_json {
                    parsed_json += 1;
                } else {
                    parsed_serpent += 1;
                }
            }
        }
        assert!(
            parsed_json > 300 && parsed_serpent > 300,
            "only {parsed_json} json and {parsed_serpent} serpent parsed"
        );
    }

    #[test]
    fn commas_in_strings_are_not_values() {
        let commas = ",".repeat(1 << 20);
        let limit = DecodeLimit::new(4 << 20);
        for doc in [format!(r#"["{commas}"]"#), format!(r#"["\"{commas}"]"#)] {
            let result = Serializer::Json.from_bytes_limited::<Value>(doc.as_bytes(), limit);
            assert!(result.is_ok(), "{:?}: {result:?}", &doc[..10]);
        }
        for doc in [
            format!("['{commas}']"),
            format!(r#"["\"{commas}"]"#),
            format!("['''\n'{commas}''']"),
            format!(r"[r'\'{commas}']"),
            format!("# {commas}\n[1]"),
        ] {
            let result = Serializer::Serpent.from_bytes_limited::<Value>(doc.as_bytes(), limit);
            assert!(result.is_ok(), "{:?}: {result:?}", &doc[..10]);
        }
        // The same commas outside strings are refused at once.
        let bare = format!("[{}1]", "1,".repeat(1 << 20));
        for ser in [Serializer::Json, Serializer::Serpent] {
            assert_too_large(ser, ser.from_bytes_limited::<Value>(bare.as_bytes(), limit), "ints");
        }
    }

    #[test]
    fn the_default_limit_refuses_eight_million_nils() {
        // 8 MB of msgpack would be 256 MB of values; 8 MB of marshal too.
        let nils = msgpack_repeat(8_000_000, &[0xc0]);
        let call = call_around(Serializer::Msgpack, &nils);
        assert_too_large(Serializer::Msgpack, Serializer::Msgpack.decode_call(&call), "8M nils");
        let err = Serializer::Msgpack.decode_call(&call).unwrap_err().to_string();
        assert!(err.contains("8000019-byte msgpack payload would decode to more than 128000304 bytes"), "{err}");
        let nones = call_around(Serializer::Marshal, &marshal_repeat(8_000_000, b"N"));
        assert_too_large(Serializer::Marshal, Serializer::Marshal.decode_call(&nones), "8M Nones");
    }

    #[test]
    fn large_payloads_within_the_bound_decode() {
        // 40 MB of bytes: within the default limit.
        let mut blob = vec![0xc6];
        blob.extend(40_000_000u32.to_be_bytes());
        blob.resize(blob.len() + 40_000_000, 7);
        let call = Serializer::Msgpack.decode_call(&call_around(Serializer::Msgpack, &blob)).unwrap();
        assert!(matches!(&call.vargs[0], Value::Bytes(b) if b.len() == 40_000_000));
        // 100,000 strs of 100 characters in each serializer.
        let text = "x".repeat(100);
        for ser in ALL {
            let value = vec![text.as_str(); 100_000];
            let bytes = ser.encode_call("thing", "echo", &(value,), None::<&()>).unwrap();
            let call = ser.decode_call(&bytes).unwrap_or_else(|e| panic!("{ser}: {e}"));
            assert_eq!(call.vargs[0].as_seq().map(<[Value]>::len), Some(100_000), "{ser}");
        }
        // Floats: 9 bytes of msgpack each, 32 of values.
        let floats: Vec<f64> = (0..2_000_000).map(f64::from).collect();
        let bytes = Serializer::Msgpack.to_bytes(&floats).unwrap();
        assert_eq!(Serializer::Msgpack.from_bytes::<Vec<f64>>(&bytes).unwrap().len(), 2_000_000);
    }

    #[test]
    fn the_limit_follows_the_payload_between_floor_and_max() {
        let limit = DecodeLimit::default();
        assert_eq!(limit.for_payload(0), DecodeLimit::FLOOR);
        assert_eq!(limit.for_payload(DecodeLimit::FLOOR / 16 + 1), DecodeLimit::FLOOR + 16);
        assert_eq!(limit.for_payload(usize::MAX), DecodeLimit::DEFAULT_MAX);
        assert_eq!(DecodeLimit::new(10).for_payload(usize::MAX), 10);
        let ratio = DecodeLimit::default().with_per_byte(64).with_floor(0);
        assert_eq!(ratio.for_payload(1000), 64_000);
        assert_eq!(ratio.for_payload(0), 0);
    }

    #[test]
    fn a_budget_refuses_past_its_limit_with_the_numbers() {
        let mut budget = Budget::new("msgpack", 3, DecodeLimit::new(100));
        budget.value(100 - VALUE).unwrap();
        assert_eq!(budget.spent(), 100);
        let err = budget.charge(1).unwrap_err();
        assert!(matches!(err, SerializeError::TooLarge { serializer: "msgpack", payload: 3, limit: 100 }));
        assert_eq!(
            err.to_string(),
            "the 3-byte msgpack payload would decode to more than 100 bytes of values (the decode limit)"
        );
        // Counting saturates instead of overflowing.
        assert!(budget.charge(usize::MAX).is_err());
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn costs_are_what_the_docs_say() {
        // A value, a dict's boxed table with its hasher, and an entry's hash and index slot.
        assert_eq!((VALUE, DICT, ENTRY), (32, 72, 17));
    }

    #[test]
    fn heap_counts_payloads() {
        assert_eq!(heap(&Value::from("abc")), 3);
        assert_eq!(heap(&Value::Bytes(vec![0; 5])), 5);
        assert_eq!(heap(&Value::int(1u128 << 100)), 13);
        assert_eq!(heap(&Value::None), 0);
    }
}
