struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ping(&self) {}

    pub fn consume(self) -> i32 {
        1
    }
}

fn main() {}
