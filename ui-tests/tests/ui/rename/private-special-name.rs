pub struct Thing;

#[pyro::expose]
impl Thing {
    #[pyro::rename("__init__")]
    pub fn init(&self) {}

    #[pyro::rename("__eq__")]
    pub fn equals(&self, other: i32) -> bool {
        other == 0
    }

    pub fn __hash__(&self) -> u64 {
        0
    }
}

fn main() {}
