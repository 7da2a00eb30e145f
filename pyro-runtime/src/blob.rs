//! [`SerializedBlob`]: call data that stays serialized on its way through (Pyro5's
//! `SerializedBlob` and `FLAGS_KEEPSERIALIZED`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::serializer::{SerializeError, marshal};
use crate::value::{Dict, Value, from_value, to_value};
use crate::{Error, Serializer};

/// The class name of a received blob in its [`Value`] form (how the daemon passes it to a
/// method's `SerializedBlob` parameter).
const BLOB_CLASS: &str = "Pyro5.client.SerializedBlob";

/// Data that stays serialized through a dispatcher (Pyro5's `SerializedBlob`): some small
/// `info` (marshallable, e.g. a topic name) and the data, either still serialized as it arrived
/// or given to be sent.
///
/// A client passes a blob as the only argument of a call: the call goes out with the
/// KEEPSERIALIZED flag and the `BLBI` annotation, the marshal-encoded `(info, object id, method
/// name)`; the payload is the serialized call whose positional arguments are the blob's data. A
/// daemon does not deserialize that payload: the method receives the blob as it arrived, and can
/// read its `info`, pass it on unchanged, or deserialize the data.
///
/// ```
/// use pyro::{SerializedBlob, Serializer, Value};
///
/// let blob = SerializedBlob::new("topic", &("hello", 42)).unwrap();
/// assert_eq!(blob.info(), &Value::from("topic"));
/// let (text, n): (String, i64) = blob.deserialized().unwrap();
/// assert_eq!((text.as_str(), n), ("hello", 42));
///
/// // What a daemon hands a method for a received blob: the payload, still serialized.
/// let payload = Serializer::Json.encode_call("dispatcher", "process", &("hello", 42), Some(&pyro::value::Dict::new())).unwrap();
/// let received = SerializedBlob::received("topic".into(), Serializer::Json, payload);
/// assert!(received.is_serialized());
/// assert_eq!(received.deserialized::<(String, i64)>().unwrap().1, 42);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SerializedBlob {
    info: Value,
    content: Content,
}

#[derive(Clone, Debug, PartialEq)]
enum Content {
    /// As received: the serialized call (the INVOKE's payload) and its serializer.
    Received { serializer: Serializer, payload: Vec<u8> },
    /// Given to be sent: the call's positional arguments.
    Data(Value),
}

impl SerializedBlob {
    /// A blob to send, with `data` as the receiving method's view of it: what
    /// [`deserialized`](SerializedBlob::deserialized) returns there. Pyro5 sends the data in
    /// place of the call's positional arguments, so a sequence is the usual shape, though any
    /// value travels (Python's blob-dispatch example sends one object).
    ///
    /// ```
    /// let blob = pyro::SerializedBlob::new(7, &vec![1, 2]).unwrap();
    /// assert!(!blob.is_serialized());
    /// ```
    pub fn new<T: Serialize + ?Sized>(info: impl Into<Value>, data: &T) -> Result<SerializedBlob, Error> {
        Ok(SerializedBlob { info: info.into(), content: Content::Data(to_value(data)?) })
    }

    /// A blob as a daemon received it: `payload` is the INVOKE message's (decompressed) data,
    /// serialized with `serializer`.
    ///
    /// ```
    /// use pyro::{SerializedBlob, Serializer};
    /// let blob = SerializedBlob::received("t".into(), Serializer::Serpent, b"# serpent utf-8 python3.2\n('o','m',(1,),{})".to_vec());
    /// assert_eq!(blob.deserialized::<(i64,)>().unwrap(), (1,));
    /// ```
    pub fn received(info: Value, serializer: Serializer, payload: Vec<u8>) -> SerializedBlob {
        SerializedBlob { info, content: Content::Received { serializer, payload } }
    }

    /// The blob's description (`blob.info` in Python).
    ///
    /// ```
    /// let blob = pyro::SerializedBlob::new("news", &()).unwrap();
    /// assert_eq!(blob.info().as_str(), Some("news"));
    /// ```
    pub fn info(&self) -> &Value {
        &self.info
    }

    /// Whether the data is still serialized, as received (Python's `_contains_blob`).
    ///
    /// See [`SerializedBlob`] for an example.
    pub fn is_serialized(&self) -> bool {
        matches!(self.content, Content::Received { .. })
    }

    /// The serialized call and its serializer, for a received blob.
    ///
    /// ```
    /// use pyro::{SerializedBlob, Serializer};
    /// let blob = SerializedBlob::received(1.into(), Serializer::Json, br#"{"object": "o", "method": "m", "params": [], "kwargs": {}}"#.to_vec());
    /// assert_eq!(blob.payload().map(|(ser, _)| ser), Some(Serializer::Json));
    /// ```
    pub fn payload(&self) -> Option<(Serializer, &[u8])> {
        match &self.content {
            Content::Received { serializer, payload } => Some((*serializer, payload)),
            Content::Data(_) => None,
        }
    }

    /// The data as a `T` (Python's `blob.deserialized()`): for a received blob, the positional
    /// arguments of the serialized call, deserialized now.
    ///
    /// See [`SerializedBlob`] for an example.
    pub fn deserialized<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(from_value(self.data()?)?)
    }

    /// The data as a [`Value`].
    fn data(&self) -> Result<Value, SerializeError> {
        match &self.content {
            Content::Data(data) => Ok(data.clone()),
            Content::Received { serializer, payload } => {
                let call: Value = serializer.from_bytes(payload)?;
                let vargs = match call {
                    Value::Dict(mut dict) if *serializer == Serializer::Json => dict.remove("params"),
                    Value::List(items) | Value::Tuple(items) if items.len() == 4 => items.into_iter().nth(2),
                    _ => None,
                };
                vargs.ok_or_else(|| SerializeError::Invalid {
                    what: "serialized blob",
                    reason: "the payload is not a serialized Pyro5 call".into(),
                })
            }
        }
    }

    /// The payload of a call of `method` on `object` carrying this blob, in `serializer`: a
    /// received blob's own bytes when the serializer is the same (passed through untouched),
    /// else its data serialized anew.
    pub(crate) fn call_payload(
        &self,
        serializer: Serializer,
        options: crate::serializer::SerializeOptions,
        object: &str,
        method: &str,
    ) -> Result<Vec<u8>, Error> {
        if let Content::Received { serializer: own, payload } = &self.content
            && *own == serializer
        {
            return Ok(payload.clone());
        }
        Ok(serializer.encode_call_with(options, object, method, &self.data()?, Some(&Dict::new()))?)
    }

    /// The `BLBI` annotation of a call of `method` on `object` carrying this blob: the
    /// marshal-encoded `(info, object, method)`.
    pub(crate) fn annotation(&self, object: &str, method: &str) -> Result<Vec<u8>, Error> {
        Ok(marshal::to_bytes(&(&self.info, object, method))?)
    }

    /// Reads a `BLBI` annotation: `(info, object id, method name)`.
    pub(crate) fn read_annotation(annotation: &[u8]) -> Result<(Value, String, String), SerializeError> {
        marshal::from_bytes(annotation)
    }

    /// The blob as the one positional argument a daemon passes to the method (a
    /// `Pyro5.client.SerializedBlob` class dict that [`SerializedBlob`] deserializes from).
    ///
    /// ```
    /// use pyro::{SerializedBlob, Serializer};
    /// let blob = SerializedBlob::received("t".into(), Serializer::Msgpack, vec![0x94]);
    /// let back: SerializedBlob = pyro::value::from_value(blob.to_value()).unwrap();
    /// assert_eq!(back, blob);
    /// ```
    pub fn to_value(&self) -> Value {
        let mut dict = Dict::with_capacity(4);
        dict.insert("__class__", BLOB_CLASS);
        dict.insert("info", self.info.clone());
        match &self.content {
            Content::Received { serializer, payload } => {
                dict.insert("serializer", i64::from(serializer.id()));
                dict.insert("payload", Value::Bytes(payload.clone()));
            }
            Content::Data(data) => {
                dict.insert("data", data.clone());
            }
        }
        Value::Dict(dict)
    }

    fn from_dict(value: Value) -> Result<SerializedBlob, String> {
        let Value::Dict(mut dict) = value else { return Err(format!("expected a blob, got {}", value.type_name())) };
        if dict.get("__class__").and_then(Value::as_str) != Some(BLOB_CLASS) {
            return Err("expected a SerializedBlob passed as the only argument of the call".into());
        }
        let info = dict.remove("info").unwrap_or_default();
        if let Some(data) = dict.remove("data") {
            return Ok(SerializedBlob { info, content: Content::Data(data) });
        }
        let serializer = match dict.remove("serializer").as_ref().and_then(Value::as_i64).map(u8::try_from) {
            Some(Ok(id)) => Serializer::from_id(id).map_err(|e| e.to_string())?,
            _ => return Err("a received blob names its serializer id".into()),
        };
        match dict.remove("payload") {
            Some(Value::Bytes(payload)) => Ok(SerializedBlob::received(info, serializer, payload)),
            _ => Err("a received blob carries its payload as bytes".into()),
        }
    }
}

impl<'de> Deserialize<'de> for SerializedBlob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SerializedBlob, D::Error> {
        SerializedBlob::from_dict(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_payloads_pass_through_in_their_own_serializer_only() {
        let payload = Serializer::Msgpack
            .encode_call("dispatcher", "process_blob", &[1, 2], Some(&Dict::new()))
            .expect("encodes");
        let blob = SerializedBlob::received("t".into(), Serializer::Msgpack, payload.clone());
        let options = Default::default();
        assert_eq!(blob.call_payload(Serializer::Msgpack, options, "listener", "process_blob").expect("same"), payload);
        let json = blob.call_payload(Serializer::Json, options, "listener", "process_blob").expect("re-encoded");
        assert_eq!(json, br#"{"object": "listener", "method": "process_blob", "params": [1, 2], "kwargs": {}}"#);
    }

    #[test]
    fn the_annotation_is_marshal_of_info_object_method() {
        let blob = SerializedBlob::new("topic", &()).expect("blob");
        let annotation = blob.annotation("obj", "m").expect("marshal");
        let (info, object, method) = SerializedBlob::read_annotation(&annotation).expect("reads");
        assert_eq!((info, object.as_str(), method.as_str()), (Value::from("topic"), "obj", "m"));
    }

    #[test]
    fn garbage_payloads_are_errors() {
        let blob = SerializedBlob::received("t".into(), Serializer::Json, b"[1]".to_vec());
        assert!(blob.deserialized::<Value>().is_err());
        assert!(from_value::<SerializedBlob>(Value::Int(1)).is_err());
    }
}
