struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    #[pyro::oneway]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {}
