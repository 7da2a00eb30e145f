//! A method taking a `SerializedBlob`: the typed proxy sends one (and has no batch twin).

use pyro::SerializedBlob;

pub struct Listener;

#[pyro::expose]
impl Listener {
    pub fn process_blob(&self, blob: SerializedBlob) -> pyro::Result<String> {
        blob.deserialized()
    }

    #[pyro::oneway]
    pub fn drop_blob(&self, blob: SerializedBlob) {
        let _ = blob;
    }
}

fn main() {
    let _: fn(&ListenerProxy, SerializedBlob) -> pyro::Result<String> = ListenerProxy::process_blob;
    let _: fn(&ListenerProxy, SerializedBlob) -> pyro::Result<()> = ListenerProxy::drop_blob;
}
