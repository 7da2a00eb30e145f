struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        1
    }

    #[pyro::setter]
    pub fn dim(&mut self, value: u8) {
        let _ = value;
    }
}

fn main() {}
