struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter(name = "_brightness")]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {}
