//! The `DDLN` annotation: the time left of a call's deadline, in microseconds, 8 bytes
//! big-endian (pyro's wire extension, see the [module documentation](super#the-annotation)).

use std::time::Duration;

/// The `DDLN` value for `remaining`: whole microseconds (rounded down, so the daemon never
/// gets more time than the client has; a time beyond `u64::MAX` microseconds is sent as that).
///
/// ```
/// use std::time::Duration;
/// let value = pyro::deadline::encode(Duration::from_millis(1500));
/// assert_eq!(value, 1_500_000u64.to_be_bytes());
/// assert_eq!(pyro::deadline::decode(&value), Ok(Duration::from_millis(1500)));
/// ```
pub fn encode(remaining: Duration) -> [u8; 8] {
    let micros = u64::try_from(remaining.as_micros()).unwrap_or(u64::MAX);
    micros.to_be_bytes()
}

/// The time left a `DDLN` value says.
///
/// ```
/// use pyro::deadline::{decode, DecodeError};
/// assert_eq!(decode(&[0, 0, 0, 0, 0, 0, 0, 7]), Ok(std::time::Duration::from_micros(7)));
/// assert_eq!(decode(b"soon"), Err(DecodeError { length: 4 }));
/// ```
pub fn decode(value: &[u8]) -> Result<Duration, DecodeError> {
    let bytes: [u8; 8] = value.try_into().map_err(|_| DecodeError { length: value.len() })?;
    Ok(Duration::from_micros(u64::from_be_bytes(bytes)))
}

/// A `DDLN` value that is not 8 bytes long.
///
/// See [`decode`] for an example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad DDLN annotation: expected 8 bytes (microseconds left, big-endian), got {length}")]
pub struct DecodeError {
    /// The length of the value received.
    pub length: usize,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_microsecond_precision() {
        for micros in [0u64, 1, 999, 1_000_000, u64::MAX] {
            let d = Duration::from_micros(micros);
            assert_eq!(decode(&encode(d)).unwrap(), d);
        }
        // Below a microsecond is rounded down.
        assert_eq!(decode(&encode(Duration::from_nanos(1_999))).unwrap(), Duration::from_micros(1));
    }

    #[test]
    fn golden_bytes() {
        assert_eq!(encode(Duration::from_millis(50)), [0, 0, 0, 0, 0, 0, 0xc3, 0x50]);
        assert_eq!(encode(Duration::from_secs(u64::MAX)), [0xff; 8]);
    }

    #[test]
    fn other_lengths_are_errors() {
        for bad in [&b""[..], &[0; 7], &[0; 9]] {
            assert_eq!(decode(bad), Err(DecodeError { length: bad.len() }));
        }
        assert!(DecodeError { length: 3 }.to_string().contains("DDLN"));
    }
}
