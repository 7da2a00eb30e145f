struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn on(&self) -> bool {
        true
    }

    #[pyro::setter]
    pub fn set_on(&mut self) {}
}

fn main() {}
