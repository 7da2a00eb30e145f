struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self) -> u8 {
        1
    }

    #[pyro::setter]
    pub fn set_brightness(&mut self, value: u8, fade: bool) {
        let _ = (value, fade);
    }
}

fn main() {}
