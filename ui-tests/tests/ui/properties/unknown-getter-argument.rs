struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter(rename = "level")]
    pub fn brightness(&self) -> u8 {
        1
    }
}

fn main() {}
