struct Lamp;

impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {
    let _ = Lamp.brightness();
}
