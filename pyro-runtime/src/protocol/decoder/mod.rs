//! [`MessageDecoder`]: turns bytes, in whatever chunks they arrive, into whole messages.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{ByteBudget, DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, Header, Message, ProtocolError, validate_prefix};

/// An incremental, sans-IO decoder: [`feed`](Self::feed) it bytes as they arrive, take whole
/// messages with [`next_message`](Self::next_message).
///
/// Bad input is rejected as early as Pyro5 does: a wrong tag once 4 bytes are in, a wrong version
/// once 6 are in, and magic, body size (against the maximum message size) and message type once the
/// 40-byte header is complete, before any of the body arrives. The body buffer grows with the bytes
/// received, never to a size merely claimed by a header.
///
/// After an error the decoder is failed for good (the connection must be closed): the error is
/// reported once, in order after the messages completed before it, then every call returns
/// [`ProtocolError::DecoderFailed`] and fed bytes are ignored.
///
/// ```
/// use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
///
/// let opts = EncodeOptions::default();
/// let mut wire = Message::new(MessageType::Invoke, 4, b"one".to_vec()).with_seq(1).to_bytes(&opts).unwrap();
/// wire.extend(Message::new(MessageType::Invoke, 4, b"two".to_vec()).with_seq(2).to_bytes(&opts).unwrap());
///
/// let mut decoder = MessageDecoder::new();
/// let mut seqs = Vec::new();
/// for chunk in wire.chunks(5) {
///     decoder.feed(chunk);
///     while let Some(msg) = decoder.next_message().unwrap() {
///         seqs.push(msg.seq);
///     }
/// }
/// assert_eq!(seqs, [1, 2]);
/// decoder.finish().unwrap(); // nothing left half-way
///
/// decoder.feed(b"!!!!!!!!!!!!!!!!");
/// assert_eq!(decoder.next_message().unwrap_err().to_string(), "invalid data");
/// ```
#[derive(Debug)]
pub struct MessageDecoder {
    max_message_size: usize,
    /// The header being received; `head_len` bytes of it are in.
    head: [u8; HEADER_SIZE],
    head_len: usize,
    /// The header and body so far of the message whose body is being received.
    body: Option<(Header, Vec<u8>)>,
    /// Complete messages not yet taken, with the bytes of the budget each holds.
    ready: VecDeque<(Message, u64)>,
    state: State,
    /// The shared budget decompression draws on ([`MessageDecoder::set_budget`]).
    budget: Option<Arc<ByteBudget>>,
    /// Budget bytes held by messages already taken, until [`MessageDecoder::release_budget`].
    taken: u64,
    /// LOGWIRE: the side whose received messages are logged ([`MessageDecoder::set_wire_log`]).
    wire_log: Option<&'static str>,
}

#[derive(Debug)]
enum State {
    Ok,
    /// An error to report after the ready messages.
    Failed(ProtocolError),
    /// The error was reported.
    Reported,
}

impl MessageDecoder {
    /// A decoder with Pyro5's default maximum message size (1 GiB).
    ///
    /// ```
    /// use pyro::protocol::{DEFAULT_MAX_MESSAGE_SIZE, MessageDecoder};
    /// assert_eq!(MessageDecoder::new().max_message_size(), DEFAULT_MAX_MESSAGE_SIZE);
    /// ```
    pub fn new() -> MessageDecoder {
        MessageDecoder::with_max_message_size(DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// A decoder refusing messages whose data plus annotations exceed `max_message_size` bytes, and
    /// compressed payloads that expand beyond it.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
    ///
    /// let mut decoder = MessageDecoder::with_max_message_size(10);
    /// let msg = Message::new(MessageType::Invoke, 4, vec![0; 11]);
    /// decoder.feed(&msg.to_bytes(&EncodeOptions::default()).unwrap()[..40]);
    /// assert_eq!(decoder.next_message().unwrap_err().to_string(), "message too large (11, max=10)");
    /// ```
    pub fn with_max_message_size(max_message_size: usize) -> MessageDecoder {
        MessageDecoder {
            max_message_size,
            head: [0; HEADER_SIZE],
            head_len: 0,
            body: None,
            ready: VecDeque::new(),
            state: State::Ok,
            budget: None,
            taken: 0,
            wire_log: None,
        }
    }

    /// The maximum message size in force.
    ///
    /// ```
    /// use pyro::protocol::MessageDecoder;
    /// assert_eq!(MessageDecoder::with_max_message_size(4096).max_message_size(), 4096);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Adds received bytes. Complete messages (and the first error) become available from
    /// [`next_message`](Self::next_message). Ignored once the decoder has failed.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder};
    ///
    /// let wire = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// for byte in &wire {
    ///     decoder.feed(std::slice::from_ref(byte));
    /// }
    /// assert_eq!(decoder.next_message().unwrap(), Some(Message::ping()));
    /// ```
    pub fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() && matches!(self.state, State::Ok) {
            if let Some(rest) = self.feed_whole(input) {
                input = rest;
                continue;
            }
            input = match self.body.take() {
                None => self.feed_header(input),
                Some((header, body)) => self.feed_body(header, body, input),
            };
        }
    }

    /// A whole message at the start of `input` while none is begun (the usual read): taken
    /// straight from the input, its body copied once; the rest of the input. `None` (nothing
    /// taken) for anything else, including a header that does not parse, which the byte-wise
    /// path then refuses.
    fn feed_whole<'a>(&mut self, input: &'a [u8]) -> Option<&'a [u8]> {
        if self.head_len != 0 || self.body.is_some() {
            return None;
        }
        let head: &[u8; HEADER_SIZE] = input.get(..HEADER_SIZE)?.try_into().ok()?;
        let header = Header::parse(head, self.max_message_size).ok()?;
        let end = HEADER_SIZE.checked_add(header.body_len())?;
        let body = input.get(HEADER_SIZE..end)?;
        self.complete(header, body.to_vec());
        input.get(end..)
    }

    /// Takes in header bytes; returns the rest of the input.
    fn feed_header<'a>(&mut self, input: &'a [u8]) -> &'a [u8] {
        let take = (HEADER_SIZE - self.head_len).min(input.len());
        let (now, rest) = input.split_at(take);
        let start = self.head_len;
        self.head_len += take;
        if let Some(dest) = self.head.get_mut(start..self.head_len) {
            dest.copy_from_slice(now);
        }
        if self.head_len < HEADER_SIZE {
            if let Err(e) = validate_prefix(self.head.get(..self.head_len).unwrap_or_default()) {
                self.state = State::Failed(e);
            }
            return rest;
        }
        self.head_len = 0;
        match Header::parse(&self.head, self.max_message_size) {
            Ok(header) if header.body_len() == 0 => self.complete(header, Vec::new()),
            // The first body bytes are already here: size the buffer for them, not for the header's claim.
            Ok(header) => self.body = Some((header, Vec::new())),
            Err(e) => self.state = State::Failed(e),
        }
        rest
    }

    /// Takes in body bytes; returns the rest of the input.
    fn feed_body<'a>(&mut self, header: Header, mut body: Vec<u8>, input: &'a [u8]) -> &'a [u8] {
        let needed = header.body_len();
        let take = (needed - body.len()).min(input.len());
        let (now, rest) = input.split_at(take);
        let want = body.len() + take;
        if want > body.capacity() {
            // Double as data arrives (amortized O(n)), but never beyond the declared body size.
            let target = want.max(body.capacity().saturating_mul(2)).min(needed);
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(now);
        if body.len() == needed {
            self.complete(header, body);
        } else {
            self.body = Some((header, body));
        }
        rest
    }

    fn complete(&mut self, header: Header, body: Vec<u8>) {
        let mut reserved = 0u64;
        let budget = self.budget.clone();
        let mut reserve = |bytes: usize| match &budget {
            None => Ok(()),
            Some(budget) if budget.try_reserve(bytes as u64) => {
                reserved += bytes as u64;
                Ok(())
            }
            Some(budget) => Err(ProtocolError::BudgetExceeded { limit: budget.limit() }),
        };
        let result = Message::from_parts_reserving(header, body, self.max_message_size, &mut reserve);
        match result {
            Ok(msg) => {
                if let Some(side) = self.wire_log {
                    msg.log_wire(side, false, header.flags, [&msg.data, &[]]);
                }
                self.ready.push_back((msg, reserved));
            }
            Err(e) => {
                if let Some(budget) = &self.budget {
                    budget.release(reserved);
                }
                self.state = State::Failed(e);
            }
        }
    }

    /// Makes decompression draw on `budget`, shared with other decoders (a server's
    /// connections): each decompressed message holds its bytes from when they are allocated
    /// until [`release_budget`](MessageDecoder::release_budget) after it was taken (or the
    /// decoder is dropped). A decompression the budget cannot cover fails with
    /// [`ProtocolError::BudgetExceeded`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::protocol::{ByteBudget, EncodeOptions, Message, MessageDecoder, MessageType, ProtocolError};
    ///
    /// let options = EncodeOptions { compression: true, ..EncodeOptions::default() };
    /// let wire = Message::new(MessageType::Invoke, 4, vec![0; 100_000]).to_bytes(&options).unwrap();
    /// let budget = Arc::new(ByteBudget::new(150_000));
    /// let (mut first, mut second) = (MessageDecoder::new(), MessageDecoder::new());
    /// first.set_budget(Arc::clone(&budget));
    /// second.set_budget(Arc::clone(&budget));
    /// first.feed(&wire);
    /// assert_eq!(first.next_message().unwrap().unwrap().data.len(), 100_000);
    /// second.feed(&wire); // the first message is still held
    /// assert!(matches!(second.next_message(), Err(ProtocolError::BudgetExceeded { limit: 150_000 })));
    /// first.release_budget();
    /// assert_eq!(budget.in_use(), 0);
    /// ```
    pub fn set_budget(&mut self, budget: Arc<ByteBudget>) {
        self.budget = Some(budget);
    }

    /// LOGWIRE: logs every complete message at debug level on the `pyro::wire` target, as
    /// received by `side` (`"daemon"`, `"proxy"`); `None` (the default) logs nothing. See
    /// [`EncodeOptions::wire_log`](crate::protocol::EncodeOptions::wire_log) for the sending side.
    ///
    /// ```
    /// let mut decoder = pyro::protocol::MessageDecoder::new();
    /// decoder.set_wire_log(Some("daemon"));
    /// ```
    pub fn set_wire_log(&mut self, side: Option<&'static str>) {
        self.wire_log = side;
    }

    /// Gives back to the budget what the messages taken so far held (call it once they were
    /// handled). Messages still waiting to be taken keep theirs.
    ///
    /// See [`MessageDecoder::set_budget`] for an example.
    pub fn release_budget(&mut self) {
        if let Some(budget) = &self.budget {
            budget.release(self.taken);
        }
        self.taken = 0;
    }

    /// The next complete message, `Ok(None)` if more bytes are needed, or the error that made the
    /// decoder fail (then [`ProtocolError::DecoderFailed`] on later calls).
    ///
    /// ```
    /// use pyro::protocol::{MessageDecoder, ProtocolError};
    ///
    /// let mut decoder = MessageDecoder::new();
    /// decoder.feed(b"PYRO\x01");
    /// assert!(decoder.next_message().unwrap().is_none());
    /// decoder.feed(b"\xf5");
    /// let err = decoder.next_message().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid protocol version: 501");
    /// assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));
    /// ```
    pub fn next_message(&mut self) -> Result<Option<Message>, ProtocolError> {
        if let Some((msg, reserved)) = self.ready.pop_front() {
            self.taken += reserved;
            return Ok(Some(msg));
        }
        match std::mem::replace(&mut self.state, State::Reported) {
            State::Ok => {
                self.state = State::Ok;
                Ok(None)
            }
            State::Failed(e) => Err(e),
            State::Reported => Err(ProtocolError::DecoderFailed),
        }
    }

    /// The header of the message whose body is being received, if any: lets a reader refuse a
    /// message type before waiting for its body (as Pyro5's `recv_stub` does).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
    ///
    /// let wire = Message::new(MessageType::Invoke, 4, b"body".to_vec()).to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// decoder.feed(&wire[..40]);
    /// assert_eq!(decoder.pending_header().map(|h| h.msg_type), Some(MessageType::Invoke));
    /// ```
    pub fn pending_header(&self) -> Option<&Header> {
        self.body.as_ref().map(|(header, _)| header)
    }

    /// How many more bytes the message being received needs (its header's rest, or its body's),
    /// 0 between messages: lets a reader size its reads.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
    ///
    /// let wire = Message::new(MessageType::Invoke, 4, vec![7; 100]).to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// assert_eq!(decoder.bytes_needed(), 0);
    /// decoder.feed(&wire[..10]);
    /// assert_eq!(decoder.bytes_needed(), 30);
    /// decoder.feed(&wire[10..50]);
    /// assert_eq!(decoder.bytes_needed(), 90);
    /// ```
    pub fn bytes_needed(&self) -> usize {
        match &self.body {
            Some((header, body)) => header.body_len() - body.len(),
            None if self.head_len > 0 => HEADER_SIZE - self.head_len,
            None => 0,
        }
    }

    /// Frees the queue of ready messages once it is empty (it keeps its room otherwise, a few
    /// hundred bytes), for a decoder that may now sit idle for long, such as one of many idle
    /// connections; a message partly received stays.
    ///
    /// ```
    /// use pyro_runtime::protocol::{EncodeOptions, Message, MessageDecoder};
    /// let wire = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// decoder.feed(&wire);
    /// decoder.shrink_idle();
    /// assert_eq!(decoder.ready_messages(), 1);
    /// assert!(decoder.next_message().unwrap().is_some());
    /// decoder.shrink_idle();
    /// assert_eq!(decoder.ready_messages(), 0);
    /// ```
    pub fn shrink_idle(&mut self) {
        if self.ready.is_empty() && self.ready.capacity() > 0 {
            self.ready = VecDeque::new();
        }
    }

    /// How many complete messages are buffered, ready for [`next_message`](Self::next_message)
    /// (more than one when a peer pipelines its requests).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder};
    /// let wire = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// decoder.feed(&[wire.as_slice(), wire.as_slice()].concat());
    /// assert_eq!(decoder.ready_messages(), 2);
    /// ```
    pub fn ready_messages(&self) -> usize {
        self.ready.len()
    }

    /// Whether part of a message is buffered (the input stopped mid-message).
    ///
    /// ```
    /// use pyro::protocol::MessageDecoder;
    /// let mut decoder = MessageDecoder::new();
    /// assert!(!decoder.has_partial_message());
    /// decoder.feed(b"PYRO");
    /// assert!(decoder.has_partial_message());
    /// ```
    pub fn has_partial_message(&self) -> bool {
        self.head_len > 0 || self.body.is_some()
    }

    /// Call at end of input (the peer closed the connection): fails with
    /// [`ProtocolError::Truncated`] if a message was cut off, or with the pending error if the decoder
    /// failed. Complete messages can still be taken with [`next_message`](Self::next_message).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageDecoder, ProtocolError};
    ///
    /// let wire = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
    /// let mut decoder = MessageDecoder::new();
    /// decoder.feed(&wire[..42]);
    /// let err = decoder.finish().unwrap_err();
    /// assert!(matches!(err, ProtocolError::Truncated { expected: 44, got: 42 }));
    /// assert_eq!(err.to_string(), "truncated message: expected 44 bytes, got 42");
    /// ```
    pub fn finish(&mut self) -> Result<(), ProtocolError> {
        match std::mem::replace(&mut self.state, State::Reported) {
            State::Ok => {}
            State::Failed(e) => return Err(e),
            State::Reported => return Err(ProtocolError::DecoderFailed),
        }
        let truncated = match &self.body {
            Some((header, body)) => Some(ProtocolError::Truncated {
                expected: HEADER_SIZE as u64 + header.body_len() as u64,
                got: HEADER_SIZE as u64 + body.len() as u64,
            }),
            None if self.head_len > 0 => {
                Some(ProtocolError::Truncated { expected: HEADER_SIZE as u64, got: self.head_len as u64 })
            }
            None => None,
        };
        match truncated {
            Some(e) => Err(e),
            None => {
                self.state = State::Ok;
                Ok(())
            }
        }
    }
}

impl Drop for MessageDecoder {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.release(self.taken + self.ready.iter().map(|(_, reserved)| reserved).sum::<u64>());
        }
    }
}

impl Default for MessageDecoder {
    fn default() -> MessageDecoder {
        MessageDecoder::new()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
