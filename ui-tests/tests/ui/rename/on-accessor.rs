pub struct Thing;

#[pyro::expose]
impl Thing {
    #[pyro::getter]
    #[pyro::rename("level")]
    pub fn get_level(&self) -> u8 {
        0
    }
}

fn main() {}
