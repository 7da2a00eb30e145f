struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {}
