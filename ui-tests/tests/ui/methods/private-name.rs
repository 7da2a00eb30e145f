struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ping(&self) {}

    pub fn _internal(&self) {}
}

fn main() {}
