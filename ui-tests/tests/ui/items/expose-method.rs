struct Thing;

impl Thing {
    #[pyro::expose]
    pub fn ping(&self) -> bool {
        true
    }
}

fn main() {}
