struct Thing;

#[pyro::expose(name = "thing", lock)]
impl Thing {
    pub fn ping(&self) {}
}

fn main() {}
