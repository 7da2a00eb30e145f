struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        1
    }

    #[pyro::getter(name = "brightness")]
    pub fn level(&self) -> u8 {
        2
    }
}

fn main() {}
