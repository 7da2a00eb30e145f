pub struct Thing;

#[pyro::expose]
impl Thing {
    pub fn join(&self) -> String {
        String::new()
    }

    #[pyro::rename("join")]
    pub fn concat(&self) -> String {
        String::new()
    }

    #[pyro::rename("__len__")]
    #[pyro::rename("__length_hint__")]
    pub fn len(&self) -> usize {
        0
    }
}

fn main() {}
