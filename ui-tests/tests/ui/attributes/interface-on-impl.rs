pub struct Thing;

#[pyro::expose(interface = "ThingInterface")]
impl Thing {
    pub fn ping(&self) {}
}

fn main() {}
