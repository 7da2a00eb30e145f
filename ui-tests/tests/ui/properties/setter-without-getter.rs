struct Lamp;

#[pyro::expose]
impl Lamp {
    pub fn toggle(&self) {}

    #[pyro::setter]
    pub fn set_brightness(&mut self, value: u8) {
        let _ = value;
    }
}

fn main() {}
