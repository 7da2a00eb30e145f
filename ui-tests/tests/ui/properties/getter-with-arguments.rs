struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self, scale: u8) -> u8 {
        scale
    }
}

fn main() {}
