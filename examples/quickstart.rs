//! A tour of pyro's foundation: a call as Pyro5 frames it, decoded back, and a remote exception.
//! (The remote-objects demo — serve an object, call it through a typed proxy — replaces this once
//! the daemon lands.)

use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType};
use pyro::value::Dict;
use pyro::{RemoteError, Serializer, Uri, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let uri: Uri = "PYRO:example.calculator@localhost:9999".parse()?;
    println!("1. parsed {uri} (object {:?}, location {:?})", uri.object(), uri.location());

    let serializer = Serializer::Msgpack;
    let payload = serializer.encode_call(uri.object(), "add", &(1, 2), Some(&Dict::new()))?;
    let wire =
        Message::new(MessageType::Invoke, serializer.id(), payload).with_seq(1).to_bytes(&EncodeOptions::default())?;
    println!("2. framed add(1, 2) as a {}-byte Pyro5 INVOKE message", wire.len());

    let mut decoder = MessageDecoder::new();
    for chunk in wire.chunks(5) {
        decoder.feed(chunk);
    }
    let message = decoder.next_message()?.ok_or("incomplete message")?;
    let call = Serializer::from_id(message.serializer_id)?.decode_call(&message.data)?;
    println!("3. decoded {}.{}{}", call.object, call.method, Value::Tuple(call.vargs));

    let error = RemoteError::new("builtins.ValueError", vec!["oops".into(), 42.into()]);
    let json = Serializer::Json.to_bytes(&error.to_value())?;
    println!("4. a remote exception as Pyro5 sends it: {}", String::from_utf8_lossy(&json));
    Ok(())
}
