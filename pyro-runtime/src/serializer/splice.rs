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
    /// use pyro::{Serializer, Value};
    /// for ser in [Serializer::Serpent, Serializer::Json, Serializer::Marshal, Serializer::Msgpack] {
    ///     let items = [Value::Int(42), Value::from("a")];
    ///     let parts: Vec<Vec<u8>> = items.iter().map(|v| ser.to_bytes(v).unwrap()).collect();
    ///     assert_eq!(ser.list_of_parts(&parts).unwrap(), ser.to_bytes(&Value::List(items.to_vec())).unwrap());
    /// }
    /// ```
    pub fn list_of_parts(self, parts: &[Vec<u8>]) -> Result<Vec<u8>, SerializeError> {
        let body: usize = parts.iter().map(Vec::len).sum();
        let mut list = ListWriter::new(self, body + 2 * parts.len() + 32);
        for part in parts {
            list.push(part)?;
        }
        list.finish()
    }
}

/// Room for the longest msgpack array header (`0xdd` and a 32-bit count), written when the
/// count is known.
const MSGPACK_HEADER_ROOM: usize = 5;

/// The msgpack array header for `count` items (as Python's packer writes it) and its length.
pub(crate) fn msgpack_array_header(count: usize) -> Result<([u8; MSGPACK_HEADER_ROOM], usize), SerializeError> {
    let mut header = [0u8; MSGPACK_HEADER_ROOM];
    let len = match (u8::try_from(count), u16::try_from(count), u32::try_from(count)) {
        (Ok(n), _, _) if n < 16 => {
            header[0] = 0x90 | n;
            1
        }
        (_, Ok(n), _) => {
            header[0] = 0xdc;
            header[1..3].copy_from_slice(&n.to_be_bytes());
            3
        }
        (_, _, Ok(n)) => {
            header[0] = 0xdd;
            header[1..5].copy_from_slice(&n.to_be_bytes());
            5
        }
        _ => {
            return Err(SerializeError::CannotCarry {
                serializer: "msgpack",
                what: format!("a list of {count} items (msgpack's limit is 2^32-1)"),
            });
        }
    };
    Ok((header, len))
}

/// A list written item by item into one buffer from already serialized items (what
/// [`Serializer::list_of_parts`] does, without holding the parts): the count goes in when the
/// list is finished.
#[derive(Debug)]
pub(crate) struct ListWriter {
    ser: Serializer,
    out: Vec<u8>,
    count: usize,
}

impl ListWriter {
    /// An empty list in `ser`, with room for `capacity` bytes.
    pub(crate) fn new(ser: Serializer, capacity: usize) -> ListWriter {
        let mut out = Vec::with_capacity(capacity + MSGPACK_HEADER_ROOM + serpent::HEADER.len() + 2);
        match ser {
            Serializer::Serpent => {
                out.extend_from_slice(serpent::HEADER.as_bytes());
                out.push(b'[');
            }
            Serializer::Json => out.push(b'['),
            // The count is patched in by `finish`.
            Serializer::Marshal => out.extend_from_slice(&[b'[', 0, 0, 0, 0]),
            Serializer::Msgpack => out.extend_from_slice(&[0; MSGPACK_HEADER_ROOM]),
        }
        ListWriter { ser, out, count: 0 }
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Appends one item, `part` as [`Serializer::to_bytes`] writes it.
    pub(crate) fn push(&mut self, part: &[u8]) -> Result<(), SerializeError> {
        match self.ser {
            Serializer::Serpent => {
                let item = part.strip_prefix(serpent::HEADER.as_bytes()).ok_or_else(|| SerializeError::Malformed {
                    serializer: "serpent",
                    reason: format!("list item {} does not start with the serpent header", self.count),
                })?;
                if self.count > 0 {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(item);
            }
            Serializer::Json => {
                if self.count > 0 {
                    self.out.extend_from_slice(b", ");
                }
                self.out.extend_from_slice(part);
            }
            Serializer::Marshal | Serializer::Msgpack => match part {
                // A small int, nil or a bool: most results of a batch of small calls.
                [byte] => self.out.push(*byte),
                _ => self.out.extend_from_slice(part),
            },
        }
        self.count += 1;
        Ok(())
    }

    /// The serialized list.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, SerializeError> {
        let count = self.count;
        match self.ser {
            Serializer::Serpent | Serializer::Json => self.out.push(b']'),
            Serializer::Marshal => {
                let count = i32::try_from(count).map_err(|_| SerializeError::CannotCarry {
                    serializer: "marshal",
                    what: format!("a list of {count} items (marshal's limit is 2^31-1)"),
                })?;
                self.out[1..5].copy_from_slice(&count.to_le_bytes());
            }
            Serializer::Msgpack => {
                let (header, len) = msgpack_array_header(count)?;
                let skip = MSGPACK_HEADER_ROOM - len;
                self.out[skip..MSGPACK_HEADER_ROOM].copy_from_slice(&header[..len]);
                self.out.drain(..skip);
            }
        }
        Ok(self.out)
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
