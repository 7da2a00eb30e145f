struct Lamp;

#[pyro::expose]
impl Lamp {
    pub fn toggle(&self) {}

    #[pyro::getter(name = "toggle")]
    pub fn toggled(&self) -> bool {
        true
    }
}

fn main() {}
