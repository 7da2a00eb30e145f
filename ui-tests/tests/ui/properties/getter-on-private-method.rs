struct Lamp;

#[pyro::expose]
impl Lamp {
    pub fn toggle(&self) {}

    #[pyro::getter]
    fn brightness(&self) -> u8 {
        1
    }
}

fn main() {
    let _ = Lamp.brightness();
}
