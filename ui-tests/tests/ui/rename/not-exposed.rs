pub struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ping(&self) {}

    #[pyro::rename("__len__")]
    fn len(&self) -> usize {
        0
    }
}

#[pyro::rename("__len__")]
fn size() -> usize {
    0
}

fn main() {
    let _ = size();
}
