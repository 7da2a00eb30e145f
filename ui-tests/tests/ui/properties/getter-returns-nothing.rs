struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn brightness(&self) {}
}

fn main() {}
