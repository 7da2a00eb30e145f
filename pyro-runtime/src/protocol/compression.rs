//! Payload compression as Pyro5 does it: zlib stream format, level 4, only for
//! payloads over 100 bytes, and a bounded decompression.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};

use super::ProtocolError;

/// Payloads longer than this are compressed when compression is on (Pyro5: `len(payload) > 100`).
pub const COMPRESSION_THRESHOLD: usize = 100;

/// The zlib level Pyro5 uses.
const LEVEL: u32 = 4;

/// Compresses `data` as Pyro5 does: `zlib.compress(data, 4)` (zlib header and checksum included).
///
/// The bytes may differ from Python's zlib (a different deflate implementation), but any zlib
/// decoder, Python's included, reads them.
///
/// ```
/// use pyro::protocol::{compress, decompress};
///
/// let data = b"spam ".repeat(100);
/// let packed = compress(&data).unwrap();
/// assert_eq!(packed[0], 0x78);
/// assert!(packed.len() < data.len());
/// assert_eq!(decompress(&packed, 1 << 20).unwrap(), data);
/// ```
pub fn compress(data: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(data.len() / 2 + 64), Compression::new(LEVEL));
    encoder.write_all(data).and_then(|()| encoder.finish()).map_err(|source| ProtocolError::Compress { source })
}

/// Decompresses a zlib stream, as Pyro5's `zlib.decompress`, refusing to produce more than
/// `max_size` bytes (a "zip bomb" guard).
///
/// Bytes after the end of the zlib stream are ignored, as Python does.
///
/// ```
/// use pyro::protocol::{ProtocolError, compress, decompress};
///
/// let packed = compress(&[0u8; 10_000]).unwrap();
/// assert_eq!(decompress(&packed, 10_000).unwrap().len(), 10_000);
/// let err = decompress(&packed, 9_999).unwrap_err();
/// assert!(matches!(err, ProtocolError::DecompressedTooLarge { max: 9_999 }));
/// assert!(matches!(decompress(b"not zlib", 100), Err(ProtocolError::Decompress { .. })));
/// ```
pub fn decompress(data: &[u8], max_size: usize) -> Result<Vec<u8>, ProtocolError> {
    decompress_reserving(data, max_size, &mut |_| Ok(()))
}

/// [`decompress`], asking `reserve` for each allocation of output before making it (a shared
/// budget's say); an error from `reserve` stops the decompression.
pub(super) fn decompress_reserving(
    data: &[u8],
    max_size: usize,
    reserve: &mut dyn FnMut(usize) -> Result<(), ProtocolError>,
) -> Result<Vec<u8>, ProtocolError> {
    let too_large = || ProtocolError::DecompressedTooLarge { max: max_size as u64 };
    // One byte more than allowed tells "exactly max_size" from "too large".
    let limit = max_size.saturating_add(1);
    let mut decoder = Decompress::new(true);
    // The input is real bytes already received, so a guess proportional to it is a safe start.
    let initial = data.len().saturating_mul(4).clamp(64, 1 << 20).min(limit);
    reserve(initial)?;
    let mut out = Vec::with_capacity(initial);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err(too_large());
            }
            let grow = out.len().max(64).min(limit - out.len());
            reserve(grow)?;
            out.reserve_exact(grow);
        }
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let before = (consumed, out.len());
        let input = data.get(consumed..).unwrap_or_default();
        let status = decoder.decompress_vec(input, &mut out, FlushDecompress::None).map_err(|e| {
            ProtocolError::Decompress { source: std::io::Error::new(std::io::ErrorKind::InvalidData, e) }
        })?;
        if out.len() > max_size {
            return Err(too_large());
        }
        if status == Status::StreamEnd {
            return Ok(out);
        }
        let after = (usize::try_from(decoder.total_in()).unwrap_or(usize::MAX), out.len());
        if after == before && out.len() < out.capacity() {
            // No progress with room to write: the input ended before the stream did.
            return Err(ProtocolError::Decompress {
                source: std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "incomplete or truncated zlib stream"),
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn reads_python_zlib_level_4() {
        // zlib.compress(b'abc' * 50, 4) from CPython 3.11.
        let packed = [0x78, 0x5e, 0x4b, 0x4c, 0x4a, 0x4e, 0x1c, 0x7c, 0x08, 0x00, 0xf0, 0x7c, 0x39, 0x6d];
        assert_eq!(decompress(&packed, 150).unwrap(), b"abc".repeat(50));
        let mut trailing = packed.to_vec();
        trailing.extend_from_slice(b"xx");
        assert_eq!(decompress(&trailing, 150).unwrap(), b"abc".repeat(50), "trailing bytes are ignored");
        let err = decompress(&packed, 149).unwrap_err();
        assert_eq!(err.to_string(), "decompressed payload too large (more than max=149 bytes)");
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let packed = compress(&b"hello world ".repeat(50)).unwrap();
        for cut in [0, 1, 2, packed.len() / 2, packed.len() - 1] {
            let err = decompress(&packed[..cut], 1 << 20).unwrap_err();
            let ProtocolError::Decompress { source } = &err else { panic!("{err:?}") };
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof, "cut at {cut}");
            assert!(err.source().is_some());
        }
    }

    #[test]
    fn corrupt_stream_is_an_error() {
        let mut packed = compress(&b"hello world ".repeat(50)).unwrap();
        packed[0] = 0x79; // bad zlib header check
        let err = decompress(&packed, 1 << 20).unwrap_err();
        assert!(
            matches!(&err, ProtocolError::Decompress { source } if source.kind() == std::io::ErrorKind::InvalidData)
        );
        assert_eq!(err.to_string(), "invalid compressed payload");
    }

    #[test]
    fn bomb_is_stopped_at_the_limit() {
        let packed = compress(&vec![0u8; 50 << 20]).unwrap();
        assert!(packed.len() < 100_000);
        let err = decompress(&packed, 1 << 20).unwrap_err();
        assert!(matches!(err, ProtocolError::DecompressedTooLarge { max: 1_048_576 }));
        assert_eq!(decompress(&packed, 50 << 20).unwrap().len(), 50 << 20);
    }

    #[test]
    fn empty_payload_round_trips() {
        let packed = compress(b"").unwrap();
        assert_eq!(decompress(&packed, 0).unwrap(), b"");
    }
}
