pub struct Thing;

#[pyro::expose]
impl Thing {
    #[pyro::rename("_secret")]
    pub fn secret(&self) {}

    #[pyro::rename("__half")]
    pub fn half(&self) {}
}

fn main() {}
