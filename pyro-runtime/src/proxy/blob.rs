//! Calls carrying a [`SerializedBlob`]: KEEPSERIALIZED, with the `BLBI` annotation.

use serde::de::DeserializeOwned;

use super::{Check, Proxy};
use crate::protocol::{AnnotationId, Flags};
use crate::value::{Value, from_value};
use crate::{Error, SerializedBlob};

impl Proxy {
    /// Calls `method` with `blob` as its only argument, as Pyro5's proxy does for a
    /// `SerializedBlob`: the KEEPSERIALIZED flag, the `BLBI` annotation (the marshal-encoded
    /// `(info, object id, method)`), and as payload the blob's serialized call passed through
    /// unchanged when it was received in this proxy's serializer (else its data serialized
    /// anew). Oneway methods return without waiting, as for [`call`](Proxy::call).
    ///
    /// ```no_run
    /// use pyro::{proxy::Proxy, SerializedBlob};
    /// let listener = Proxy::from_uri_str("PYRO:listener@localhost:9999")?;
    /// let blob = SerializedBlob::new("news", &("hello",))?;
    /// let () = listener.call_blob("process_blob", &blob)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_blob<R: DeserializeOwned>(&self, method: &str, blob: &SerializedBlob) -> Result<R, Error> {
        let encode = |object: &str| blob.call_payload(self.serializer(), self.serialize_options, object, method);
        let annotate = |object: &str| Ok((AnnotationId::BLOB_INFO, blob.annotation(object, method)?));
        match self.invoke_annotated(method, Flags::KEEPSERIALIZED, Check::Method, encode, Some(&annotate))? {
            Some(reply) => self.decode_reply(method, &reply),
            None => Ok(from_value(Value::None)?),
        }
    }
}
