//! [`MessageType`]: the header's message type byte.

use super::ProtocolError;

/// The six Pyro5 message types, with their wire values.
///
/// ```
/// use pyro::protocol::{MessageType, ProtocolError};
///
/// assert_eq!(MessageType::try_from(4).unwrap(), MessageType::Invoke);
/// assert_eq!(u8::from(MessageType::Ping), 6);
/// let err = MessageType::try_from(9).unwrap_err();
/// assert!(matches!(err, ProtocolError::UnknownMessageType { msg_type: 9 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// Client to server: the handshake, `{"handshake": h, "object": objectid}`.
    Connect = 1,
    /// Server to client: handshake accepted, `{"handshake": response, "meta": metadata}`.
    ConnectOk = 2,
    /// Server to client: handshake refused, the reason as a string.
    ConnectFail = 3,
    /// Client to server: a method call.
    Invoke = 4,
    /// Server to client: the result (or exception) of a call.
    Result = 5,
    /// Either way: an opaque ping (`b"ping"`), answered with `b"pong"`.
    Ping = 6,
}

impl TryFrom<u8> for MessageType {
    type Error = ProtocolError;

    fn try_from(value: u8) -> Result<MessageType, ProtocolError> {
        Ok(match value {
            1 => MessageType::Connect,
            2 => MessageType::ConnectOk,
            3 => MessageType::ConnectFail,
            4 => MessageType::Invoke,
            5 => MessageType::Result,
            6 => MessageType::Ping,
            msg_type => return Err(ProtocolError::UnknownMessageType { msg_type }),
        })
    }
}

impl From<MessageType> for u8 {
    fn from(msg_type: MessageType) -> u8 {
        msg_type as u8
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_all_wire_values() {
        for value in 0..=255u8 {
            match MessageType::try_from(value) {
                Ok(msg_type) => {
                    assert!((1..=6).contains(&value));
                    assert_eq!(u8::from(msg_type), value);
                }
                Err(err) => {
                    assert!(!(1..=6).contains(&value));
                    assert_eq!(err.to_string(), format!("invalid msg type {value} received"));
                }
            }
        }
        assert_eq!(MessageType::try_from(5).unwrap(), MessageType::Result);
    }
}
