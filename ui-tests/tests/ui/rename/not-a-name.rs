pub struct Thing;

#[pyro::expose]
impl Thing {
    #[pyro::rename(len)]
    pub fn len(&self) -> usize {
        0
    }

    #[pyro::rename("get item")]
    pub fn get_item(&self, index: usize) -> usize {
        index
    }

    #[pyro::rename]
    pub fn size(&self) -> usize {
        0
    }
}

fn main() {}
