use pyro::SerializedBlob;

pub struct Dispatcher;

#[pyro::expose]
impl Dispatcher {
    pub fn process_blob(&self, blob: SerializedBlob, priority: i32) {
        let _ = (blob, priority);
    }

    pub fn stream_blob(&self, blob: SerializedBlob) -> Box<dyn Iterator<Item = i32> + Send> {
        let _ = blob;
        Box::new(std::iter::empty())
    }
}

fn main() {}
