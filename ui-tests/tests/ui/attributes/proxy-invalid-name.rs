struct Thing;

#[pyro::expose(proxy = "Remote Thing")]
impl Thing {
    pub fn ping(&self) {}
}

fn main() {}
