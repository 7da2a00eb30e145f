//! The body of the `message_decoder` fuzz target, shared with a unit test so `cargo test` checks the
//! same properties. Not part of the supported API.

use super::{EncodeOptions, HEADER_SIZE, Header, Message, MessageDecoder, ProtocolError};

/// Decodes arbitrary bytes every way the protocol offers and checks that the ways agree; panics
/// (a fuzz failure) only if they disagree or a decoded message does not survive re-encoding.
///
/// The first byte picks the maximum message size and seeds the chunk sizes; the rest is the input.
/// Checked: feeding the input whole and in random chunks gives the same messages and the same error;
/// [`Header::parse`] plus [`Message::from_parts`] on the input agrees with the decoder's first
/// result; every decoded message that fits re-encodes and decodes to itself.
///
/// ```
/// pyro::protocol::fuzzing::exercise_decoder(b"\x07PYRO\x01\xf6 and then garbage");
/// ```
pub fn exercise_decoder(data: &[u8]) {
    run(data);
}

/// [`exercise_decoder`], returning what the decoder made of the input fed whole.
fn run(data: &[u8]) -> Option<Outcome> {
    let (&control, input) = data.split_first()?;
    let max = [0, 16, 300, 4096, 1 << 20, 1 << 20, 1 << 20, 1 << 20][usize::from(control % 8)];

    let whole = decode(input, max, &mut std::iter::once(input.len()));
    let mut rng = XorShift::new(u64::from(control) + 1);
    let mut chunks = std::iter::from_fn(|| Some(1 + (rng.next_u64() % 64) as usize));
    let chunked = decode(input, max, &mut chunks);
    assert_eq!(whole, chunked, "whole and chunked feeding disagree");

    if let Some((head, rest)) = input.split_first_chunk::<HEADER_SIZE>() {
        let direct = Header::parse(head, max).and_then(|header| {
            let body = rest.get(..header.body_len()).ok_or(ProtocolError::Truncated {
                expected: HEADER_SIZE as u64 + header.body_len() as u64,
                got: input.len() as u64,
            })?;
            Message::from_parts(header, body.to_vec(), max)
        });
        match (&direct, whole.messages.first()) {
            (Ok(msg), Some(first)) => assert_eq!(msg, first, "from_parts and the decoder disagree"),
            (Ok(msg), None) => panic!("from_parts accepted {msg:?}, the decoder did not"),
            (Err(ProtocolError::Truncated { .. }), None) => {
                assert!(whole.end.is_some(), "a cut-off message was not reported by finish()")
            }
            (Err(e), first) => {
                assert!(first.is_none(), "from_parts failed ({e}), the decoder did not");
                assert_eq!(Some(e.to_string()), whole.error, "from_parts and the decoder report different errors");
            }
        }
    }

    let options = EncodeOptions::new().max_message_size(max);
    for msg in &whole.messages {
        if let Ok(bytes) = msg.to_bytes(&options) {
            let again = decode(&bytes, max, &mut std::iter::once(bytes.len()));
            assert_eq!(again.messages.as_slice(), std::slice::from_ref(msg), "re-encoding changed {msg:?}");
        }
    }
    Some(whole)
}

/// What a decoder made of some input.
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<Message>,
    /// The error from `next_message`, as text (errors are not comparable).
    error: Option<String>,
    /// The error from `finish` when there was none before.
    end: Option<String>,
}

fn decode(input: &[u8], max: usize, chunk_sizes: &mut dyn Iterator<Item = usize>) -> Outcome {
    let mut decoder = MessageDecoder::with_max_message_size(max);
    let mut outcome = Outcome { messages: Vec::new(), error: None, end: None };
    let mut rest = input;
    while !rest.is_empty() && outcome.error.is_none() {
        let (chunk, after) = rest.split_at(chunk_sizes.next().unwrap_or(rest.len()).min(rest.len()));
        rest = after;
        decoder.feed(chunk);
        loop {
            match decoder.next_message() {
                Ok(Some(msg)) => outcome.messages.push(msg),
                Ok(None) => break,
                Err(e) => {
                    outcome.error = Some(e.to_string());
                    assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));
                    break;
                }
            }
        }
    }
    if outcome.error.is_none() {
        let partial = decoder.has_partial_message();
        outcome.end = decoder.finish().err().map(|e| e.to_string());
        assert_eq!(partial, outcome.end.is_some(), "finish() disagrees with has_partial_message()");
    }
    outcome
}

/// A tiny xorshift64 generator (no dependency), for chunk sizes here and inputs in tests.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// True with probability 1/`n`.
    #[cfg(test)]
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.next_u64().is_multiple_of(n)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::{AnnotationId, Flags, MessageType};

    /// A valid message of random shape, encoded.
    fn random_message(rng: &mut XorShift) -> Vec<u8> {
        let msg_type = MessageType::try_from((rng.next_u64() % 6 + 1) as u8).unwrap();
        let len = match rng.next_u64() % 4 {
            0 => 0,
            1 => (rng.next_u64() % 16) as usize,
            2 => (rng.next_u64() % 400) as usize,
            _ => (rng.next_u64() % 5000) as usize,
        };
        let repetitive = rng.one_in(2);
        let data: Vec<u8> = (0..len).map(|i| if repetitive { (i % 7) as u8 } else { rng.next_u64() as u8 }).collect();
        let mut msg = Message::new(msg_type, rng.next_u64() as u8, data)
            .with_seq(rng.next_u64() as u16)
            .with_flags(Flags::from_bits(rng.next_u64() as u16));
        if rng.one_in(3) {
            msg = msg.with_correlation_id(uuid::Uuid::from_u128(u128::from(rng.next_u64())));
        }
        for _ in 0..rng.next_u64() % 3 {
            let id: [u8; 4] = std::array::from_fn(|_| b"ABCXYZ019"[(rng.next_u64() % 9) as usize]);
            let value: Vec<u8> = (0..rng.next_u64() % 40).map(|_| rng.next_u64() as u8).collect();
            msg = msg.with_annotation(AnnotationId::try_from(id).unwrap(), value);
        }
        let options = EncodeOptions::new().compression(rng.one_in(2));
        msg.to_bytes(&options).unwrap()
    }

    fn random_input(rng: &mut XorShift) -> Vec<u8> {
        let mut input = vec![rng.next_u64() as u8];
        if rng.one_in(8) {
            // Pure noise, sometimes behind a valid prefix.
            if rng.one_in(2) {
                input.extend_from_slice(b"PYRO\x01\xf6");
            }
            input.extend((0..rng.next_u64() % 200).map(|_| rng.next_u64() as u8));
            return input;
        }
        for _ in 0..1 + rng.next_u64() % 3 {
            input.extend(random_message(rng));
        }
        // Mutate a few bytes, mostly in the headers and annotations where it matters.
        for _ in 0..rng.next_u64() % 4 {
            let span = if rng.one_in(2) { 60.min(input.len()) } else { input.len() };
            let at = 1 + (rng.next_u64() as usize) % (span - 1).max(1);
            if let Some(byte) = input.get_mut(at) {
                *byte = rng.next_u64() as u8;
            }
        }
        if rng.one_in(4) {
            let keep = 1 + (rng.next_u64() as usize) % input.len();
            input.truncate(keep);
        }
        input
    }

    #[test]
    fn decoder_never_panics_on_pseudo_random_input() {
        let mut rng = XorShift::new(0x5eed_1234_abcd_ef01);
        let (mut inputs_with_messages, mut errors) = (0, std::collections::BTreeSet::new());
        for _ in 0..3000 {
            let outcome = run(&random_input(&mut rng)).unwrap();
            inputs_with_messages += usize::from(!outcome.messages.is_empty());
            // The error kind: its text up to the first detail.
            for text in outcome.error.iter().chain(&outcome.end) {
                let kind = text.split(|c: char| c.is_ascii_digit() || "(\":".contains(c)).next().unwrap();
                errors.insert(kind.trim().to_owned());
            }
        }
        // The inputs reach deep: many decode, and most kinds of error occur.
        assert!(inputs_with_messages > 700, "{inputs_with_messages}");
        assert!(errors.len() >= 9, "{errors:#?}");
    }

    #[test]
    fn decoder_never_panics_on_edge_inputs() {
        for input in [
            &b""[..],
            b"\x00",
            b"\x04PYRO",
            b"\x04!!!!!!!!!!!!!!!!",
            b"\x02PYRO\x01\xf6\x01\x04\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x4d\xc5",
        ] {
            exercise_decoder(input);
        }
    }
}
