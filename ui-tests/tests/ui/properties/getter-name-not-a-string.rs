struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter(name = level)]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {}
