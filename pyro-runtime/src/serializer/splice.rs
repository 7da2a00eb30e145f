//! A list from already serialized items, without decoding them: the bytes
//! [`Serializer::to_bytes`] gives for `Value::List` of those items (a batch's results, each
//! serialized by its own call).

use super::{SerializeError, Serializer, serpent};

impl Serializer {
    /// The serialized list of the items `parts`, each one whole value as
    /// [`to_bytes`](Serializer::to_bytes) writes it in this serializer, byte for byte what
    /// serializing the list of the decoded items gives (serpent: one header, then the items
    /// without theirs; json: items separated by `", "`; marshal: a counted list; msgpack: an
    /// array header). The parts are not parsed: a serpent part without the serpent header is
    /// an error, anything else is taken as given.
    ///
    /// ```
    /// use pyro_runtime::{Serializer, Value};
    /// for ser in [Serializer::Serpent, Serializer::Json, Serializer::Marshal, Serializer::Msgpack] {
    ///     let items = [Value::Int(42), Value::from("a")];
    ///     let parts: Vec<Vec<u8>> = items.iter().map(|v| ser.to_bytes(v).unwrap()).collect();
    ///     assert_eq!(ser.list_of_parts(&parts).unwrap(), ser.to_bytes(&Value::List(items.to_vec())).unwrap());
    /// }
    /// ```
    pub fn list_of_parts(self, parts: &[Vec<u8>]) -> Result<Vec<u8>, SerializeError> {
        let body: usize = parts.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(body + 2 * parts.len() + 32);
        match self {
            Serializer::Serpent => {
                out.extend_from_slice(serpent::HEADER.as_bytes());
                out.push(b'[');
                for (i, part) in parts.iter().enumerate() {
                    let item =
                        part.strip_prefix(serpent::HEADER.as_bytes()).ok_or_else(|| SerializeError::Malformed {
                            serializer: "serpent",
                            reason: format!("list item {i} does not start with the serpent header"),
                        })?;
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item);
                }
                out.push(b']');
            }
            Serializer::Json => {
                out.push(b'[');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(part);
                }
                out.push(b']');
            }
            Serializer::Marshal => {
                let count = i32::try_from(parts.len()).map_err(|_| SerializeError::CannotCarry {
                    serializer: "marshal",
                    what: format!("a list of {} items (marshal's limit is 2^31-1)", parts.len()),
                })?;
                out.push(b'[');
                out.extend_from_slice(&count.to_le_bytes());
                parts.iter().for_each(|part| out.extend_from_slice(part));
            }
            Serializer::Msgpack => {
                match (u8::try_from(parts.len()), u16::try_from(parts.len()), u32::try_from(parts.len())) {
                    (Ok(n), _, _) if n < 16 => out.push(0x90 | n),
                    (_, Ok(n), _) => {
                        out.push(0xdc);
                        out.extend_from_slice(&n.to_be_bytes());
                    }
                    (_, _, Ok(n)) => {
                        out.push(0xdd);
                        out.extend_from_slice(&n.to_be_bytes());
                    }
                    _ => {
                        return Err(SerializeError::CannotCarry {
                            serializer: "msgpack",
                            what: format!("a list of {} items (msgpack's limit is 2^32-1)", parts.len()),
                        });
                    }
                }
                parts.iter().for_each(|part| out.extend_from_slice(part));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::value::{Dict, Value};
    use crate::{Serializer, serializer::SerializeOptions};

    const ALL: [Serializer; 4] = [Serializer::Serpent, Serializer::Json, Serializer::Marshal, Serializer::Msgpack];

    fn items(ser: Serializer) -> Vec<Value> {
        let mut dict = Dict::new();
        dict.insert(Value::from("k"), Value::List(vec![Value::Int(1), Value::Float(2.5)]));
        let mut items = vec![
            Value::Int(42),
            Value::Int(-(1 << 40)),
            Value::from("text with \"quotes\", commas and é"),
            Value::None,
            Value::Bool(true),
            Value::Float(0.1),
            Value::List(vec![]),
            Value::Tuple(vec![Value::Int(1)]),
            Value::Dict(dict),
        ];
        if ser != Serializer::Json {
            items.push(Value::Bytes(b"\x00raw".to_vec()));
        }
        items
    }

    #[test]
    fn spliced_lists_are_the_serialized_lists_of_every_length() {
        for ser in ALL {
            let all = items(ser);
            // Every prefix, and lengths around msgpack's and serpent's thresholds.
            let mut lengths: Vec<usize> = (0..=all.len()).collect();
            lengths.extend([15, 16, 17, 1000, 65_535, 65_536]);
            for n in lengths {
                let list: Vec<Value> = all.iter().cycle().take(n).cloned().collect();
                let parts: Vec<Vec<u8>> = list.iter().map(|v| ser.to_bytes(v).unwrap()).collect();
                let spliced = ser.list_of_parts(&parts).unwrap();
                assert_eq!(spliced, ser.to_bytes(&Value::List(list.clone())).unwrap(), "{ser} with {n} items");
                let back: Value = ser.from_bytes(&spliced).unwrap();
                assert!(matches!(&back, Value::List(items) if items.len() == n), "{ser}");
            }
        }
    }

    #[test]
    fn serpent_bytes_repr_parts_splice_like_the_list() {
        let options = SerializeOptions { serpent_bytes_repr: true };
        let list = vec![Value::Bytes(b"hi".to_vec()), Value::Int(1)];
        let parts: Vec<Vec<u8>> = list.iter().map(|v| Serializer::Serpent.to_bytes_with(v, options).unwrap()).collect();
        assert_eq!(
            Serializer::Serpent.list_of_parts(&parts).unwrap(),
            Serializer::Serpent.to_bytes_with(&Value::List(list), options).unwrap()
        );
    }

    #[test]
    fn a_serpent_part_without_its_header_is_an_error() {
        let err = Serializer::Serpent.list_of_parts(&[b"42".to_vec()]).unwrap_err();
        assert!(err.to_string().contains("serpent header"), "{err}");
    }
}
