//! [`Annotations`]: the ordered annotation chunks between header and payload.

use std::fmt;
use std::str::FromStr;

use super::ProtocolError;

/// Size of an annotation chunk's own header: 4-byte id plus big-endian u32 length.
const CHUNK_HEADER_SIZE: usize = 8;

/// An annotation id: exactly 4 ASCII letters or digits, like Pyro5's own `STRM` and `BLBI`.
///
/// ```
/// use pyro::protocol::AnnotationId;
///
/// let id = AnnotationId::try_from("XYZ1").unwrap();
/// assert_eq!(id.as_str(), "XYZ1");
/// assert_eq!(id.as_bytes(), b"XYZ1");
/// assert_eq!("STRM".parse::<AnnotationId>().unwrap(), AnnotationId::STREAM);
/// assert!(AnnotationId::try_from("toolong").is_err());
/// assert!(AnnotationId::try_from("a b!").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnnotationId([u8; 4]);

impl AnnotationId {
    /// `STRM`: the stream id of an item-streaming RESULT (server to client).
    pub const STREAM: AnnotationId = AnnotationId(*b"STRM");
    /// `BLBI`: the marshal-encoded target of a KEEPSERIALIZED call (client to server).
    pub const BLOB_INFO: AnnotationId = AnnotationId(*b"BLBI");
    /// `DDLN`: pyro's wire extension, the time left of a call's deadline (client to server;
    /// see [`deadline`](crate::deadline)). Pyro5 uses no such id and passes it by.
    pub const DEADLINE: AnnotationId = AnnotationId(*b"DDLN");

    /// The id as its 4 bytes.
    ///
    /// ```
    /// use pyro::protocol::AnnotationId;
    /// assert_eq!(AnnotationId::BLOB_INFO.as_bytes(), b"BLBI");
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// The id as a string slice.
    ///
    /// ```
    /// use pyro::protocol::AnnotationId;
    /// assert_eq!(AnnotationId::STREAM.as_str(), "STRM");
    /// ```
    pub fn as_str(&self) -> &str {
        // Always ASCII, checked on construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    fn is_valid(bytes: &[u8; 4]) -> bool {
        bytes.iter().all(u8::is_ascii_alphanumeric)
    }
}

impl TryFrom<[u8; 4]> for AnnotationId {
    type Error = ProtocolError;

    /// Accepts 4 ASCII letters or digits; anything else is [`ProtocolError::InvalidAnnotationId`]
    /// (the error for ids received on the wire).
    fn try_from(id: [u8; 4]) -> Result<AnnotationId, ProtocolError> {
        if AnnotationId::is_valid(&id) { Ok(AnnotationId(id)) } else { Err(ProtocolError::InvalidAnnotationId { id }) }
    }
}

impl TryFrom<&str> for AnnotationId {
    type Error = ProtocolError;

    /// Accepts 4 ASCII letters or digits; anything else is [`ProtocolError::AnnotationIdInvalid`].
    fn try_from(id: &str) -> Result<AnnotationId, ProtocolError> {
        match <[u8; 4]>::try_from(id.as_bytes()) {
            Ok(bytes) if AnnotationId::is_valid(&bytes) => Ok(AnnotationId(bytes)),
            _ => Err(ProtocolError::AnnotationIdInvalid { id: id.to_owned() }),
        }
    }
}

impl FromStr for AnnotationId {
    type Err = ProtocolError;

    fn from_str(id: &str) -> Result<AnnotationId, ProtocolError> {
        AnnotationId::try_from(id)
    }
}

impl fmt::Display for AnnotationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AnnotationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnnotationId({:?})", self.as_str())
    }
}

/// The annotations of a message: byte values by [`AnnotationId`], in insertion order (the wire order).
///
/// Annotations are never compressed.
///
/// ```
/// use pyro::protocol::{AnnotationId, Annotations};
///
/// let mut annotations = Annotations::new();
/// let id = AnnotationId::try_from("XYZ1").unwrap();
/// annotations.insert(id, b"first".to_vec());
/// annotations.insert(AnnotationId::STREAM, b"stream-id".to_vec());
/// assert_eq!(annotations.insert(id, b"again".to_vec()), Some(b"first".to_vec()));
/// assert_eq!(annotations.get(id), Some(&b"again"[..]));
/// let ids: Vec<&str> = annotations.iter().map(|(id, _)| id.as_str()).collect();
/// assert_eq!(ids, ["XYZ1", "STRM"]);
/// assert_eq!(annotations.encoded_len(), 8 + 5 + 8 + 9);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    entries: Vec<(AnnotationId, Vec<u8>)>,
}

impl Annotations {
    /// No annotations.
    ///
    /// ```
    /// use pyro::protocol::Annotations;
    /// assert!(Annotations::new().is_empty());
    /// ```
    pub const fn new() -> Annotations {
        Annotations { entries: Vec::new() }
    }

    /// The value of annotation `id`, if present.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let annotations: Annotations = [(AnnotationId::STREAM, b"x".to_vec())].into_iter().collect();
    /// assert_eq!(annotations.get(AnnotationId::STREAM), Some(&b"x"[..]));
    /// assert_eq!(annotations.get(AnnotationId::BLOB_INFO), None);
    /// ```
    pub fn get(&self, id: AnnotationId) -> Option<&[u8]> {
        self.entries.iter().find(|(key, _)| *key == id).map(|(_, value)| value.as_slice())
    }

    /// Sets annotation `id`, returning its previous value. A new id goes last; an existing one keeps
    /// its place (like a Python dict).
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let mut annotations = Annotations::new();
    /// assert_eq!(annotations.insert(AnnotationId::STREAM, vec![1]), None);
    /// assert_eq!(annotations.insert(AnnotationId::STREAM, vec![2]), Some(vec![1]));
    /// assert_eq!(annotations.len(), 1);
    /// ```
    pub fn insert(&mut self, id: AnnotationId, value: Vec<u8>) -> Option<Vec<u8>> {
        match self.entries.iter_mut().find(|(key, _)| *key == id) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((id, value));
                None
            }
        }
    }

    /// Removes annotation `id`, returning its value.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let mut annotations: Annotations = [(AnnotationId::STREAM, vec![1])].into_iter().collect();
    /// assert_eq!(annotations.remove(AnnotationId::STREAM), Some(vec![1]));
    /// assert!(annotations.is_empty());
    /// ```
    pub fn remove(&mut self, id: AnnotationId) -> Option<Vec<u8>> {
        let index = self.entries.iter().position(|(key, _)| *key == id)?;
        Some(self.entries.remove(index).1)
    }

    /// The number of annotations.
    ///
    /// ```
    /// use pyro::protocol::Annotations;
    /// assert_eq!(Annotations::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no annotations.
    ///
    /// ```
    /// use pyro::protocol::Annotations;
    /// assert!(Annotations::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The annotations in wire order.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let annotations: Annotations = [(AnnotationId::STREAM, vec![1])].into_iter().collect();
    /// for (id, value) in annotations.iter() {
    ///     assert_eq!((*id, value), (AnnotationId::STREAM, &[1u8][..]));
    /// }
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&AnnotationId, &[u8])> {
        self.entries.iter().map(|(id, value)| (id, value.as_slice()))
    }

    /// Bytes the annotations take on the wire: 8 per chunk plus the values (the header's
    /// annotations size).
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations};
    /// let annotations: Annotations = [(AnnotationId::STREAM, vec![0; 36])].into_iter().collect();
    /// assert_eq!(annotations.encoded_len(), 44);
    /// ```
    pub fn encoded_len(&self) -> u64 {
        self.entries.iter().map(|(_, value)| (CHUNK_HEADER_SIZE + value.len()) as u64).sum()
    }

    /// Appends the chunks to `out`. Every value length must fit a u32 (the caller checks
    /// [`encoded_len`](Self::encoded_len) first).
    pub(crate) fn write_chunks(&self, out: &mut Vec<u8>) {
        for (id, value) in &self.entries {
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(value);
        }
    }

    /// Parses annotation chunks that must exactly fill `bytes` (Pyro5's `add_payload`).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Annotations, ProtocolError> {
        let annotations_size = bytes.len();
        let mut entries: Vec<(AnnotationId, Vec<u8>)> = Vec::new();
        let mut rest = bytes;
        while let Some((&[i0, i1, i2, i3, l0, l1, l2, l3], after)) = rest.split_first_chunk::<CHUNK_HEADER_SIZE>() {
            let offset = annotations_size - rest.len();
            let id = AnnotationId::try_from([i0, i1, i2, i3])?;
            let length = u32::from_be_bytes([l0, l1, l2, l3]);
            let value = usize::try_from(length).ok().and_then(|length| after.get(..length)).ok_or(
                ProtocolError::AnnotationOverrun {
                    offset,
                    needed: CHUNK_HEADER_SIZE as u64 + u64::from(length),
                    annotations_size,
                },
            )?;
            // Pyro5 builds a dict: a repeated id keeps its first place and takes the last value.
            match entries.iter_mut().find(|(key, _)| *key == id) {
                Some((_, old)) => *old = value.to_vec(),
                None => entries.push((id, value.to_vec())),
            }
            rest = after.get(value.len()..).unwrap_or_default();
        }
        if !rest.is_empty() {
            return Err(ProtocolError::AnnotationSizeMismatch {
                consumed: annotations_size - rest.len(),
                annotations_size,
            });
        }
        Ok(Annotations { entries })
    }
}

impl FromIterator<(AnnotationId, Vec<u8>)> for Annotations {
    /// Collects in order; a repeated id keeps its first place and takes the last value.
    fn from_iter<I: IntoIterator<Item = (AnnotationId, Vec<u8>)>>(iter: I) -> Annotations {
        let mut annotations = Annotations::new();
        for (id, value) in iter {
            annotations.insert(id, value);
        }
        annotations
    }
}

impl IntoIterator for Annotations {
    type Item = (AnnotationId, Vec<u8>);
    type IntoIter = std::vec::IntoIter<(AnnotationId, Vec<u8>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chunk(id: &[u8; 4], value: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value);
        out
    }

    #[test]
    fn ids_must_be_four_ascii_letters_or_digits() {
        for good in ["STRM", "BLBI", "abcd", "A1b2", "0000"] {
            assert_eq!(AnnotationId::try_from(good).unwrap().as_str(), good);
        }
        for bad in ["", "STR", "STRMS", "ST M", "ST-M", "STRé", "ÄBC"] {
            let err = AnnotationId::try_from(bad).unwrap_err();
            assert!(matches!(&err, ProtocolError::AnnotationIdInvalid { id } if id == bad), "{err:?}");
            assert!(err.to_string().starts_with("annotation identifier must be 4 ascii characters"));
        }
        let err = AnnotationId::try_from(*b"AB\0C").unwrap_err();
        assert!(matches!(err, ProtocolError::InvalidAnnotationId { id } if &id == b"AB\0C"));
        assert_eq!(err.to_string(), r#"invalid annotation identifier "AB\\x00C": must be 4 ascii letters or digits"#);
        assert_eq!(format!("{:?}", AnnotationId::STREAM), r#"AnnotationId("STRM")"#);
        assert_eq!(AnnotationId::BLOB_INFO.to_string(), "BLBI");
    }

    #[test]
    fn parse_and_write_round_trip_in_order() {
        let mut bytes = chunk(b"STRM", b"abc");
        bytes.extend(chunk(b"XYZ1", b""));
        bytes.extend(chunk(b"BLBI", &[0xff; 300]));
        let annotations = Annotations::parse(&bytes).unwrap();
        let ids: Vec<&str> = annotations.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["STRM", "XYZ1", "BLBI"]);
        assert_eq!(annotations.get(AnnotationId::STREAM), Some(&b"abc"[..]));
        assert_eq!(annotations.get("XYZ1".parse().unwrap()), Some(&b""[..]));
        assert_eq!(annotations.encoded_len(), bytes.len() as u64);
        let mut written = Vec::new();
        annotations.write_chunks(&mut written);
        assert_eq!(written, bytes);
    }

    #[test]
    fn repeated_id_keeps_first_place_and_last_value() {
        let mut bytes = chunk(b"AAAA", b"1");
        bytes.extend(chunk(b"BBBB", b"2"));
        bytes.extend(chunk(b"AAAA", b"3"));
        let annotations = Annotations::parse(&bytes).unwrap();
        let pairs: Vec<(&str, &[u8])> = annotations.iter().map(|(id, v)| (id.as_str(), v)).collect();
        assert_eq!(pairs, [("AAAA", &b"3"[..]), ("BBBB", &b"2"[..])]);
    }

    #[test]
    fn chunk_running_past_the_end_is_an_overrun() {
        let mut bytes = chunk(b"STRM", b"abc");
        bytes.extend(chunk(b"XYZ1", b"hello"));
        bytes.truncate(bytes.len() - 1);
        let err = Annotations::parse(&bytes).unwrap_err();
        assert!(
            matches!(err, ProtocolError::AnnotationOverrun { offset: 11, needed: 13, annotations_size: 23 }),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("annotation chunk length exceeds remaining data"));
        let huge = [b'S', b'T', b'R', b'M', 0xff, 0xff, 0xff, 0xff];
        let err = Annotations::parse(&huge).unwrap_err();
        assert!(matches!(err, ProtocolError::AnnotationOverrun { needed: 0x1_0000_0007, .. }), "{err:?}");
    }

    #[test]
    fn leftover_bytes_are_a_size_mismatch() {
        let mut bytes = chunk(b"STRM", b"abc");
        bytes.extend_from_slice(b"STRM\0\0\0");
        let err = Annotations::parse(&bytes).unwrap_err();
        assert!(matches!(err, ProtocolError::AnnotationSizeMismatch { consumed: 11, annotations_size: 18 }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "annotation parsing did not consume all annotation data (11 of 18 bytes, 7 left over)"
        );
    }

    #[test]
    fn bad_id_on_the_wire_is_rejected() {
        let bytes = chunk(b"S M!", b"x");
        let err = Annotations::parse(&bytes).unwrap_err();
        assert!(matches!(err, ProtocolError::InvalidAnnotationId { id } if &id == b"S M!"), "{err:?}");
    }

    #[test]
    fn remove_and_collect() {
        let id = AnnotationId::try_from("ABCD").unwrap();
        let mut annotations: Annotations =
            [(id, vec![1]), (AnnotationId::STREAM, vec![2]), (id, vec![3])].into_iter().collect();
        assert_eq!(annotations.len(), 2);
        assert_eq!(annotations.remove(id), Some(vec![3]));
        assert_eq!(annotations.remove(id), None);
        assert_eq!(annotations.into_iter().collect::<Vec<_>>(), [(AnnotationId::STREAM, vec![2])]);
    }
}
