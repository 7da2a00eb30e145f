struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ping(&self) {}

    pub fn boxed(self: Box<Self>) {}
}

fn main() {}
