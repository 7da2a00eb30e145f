struct Handler {
    count: u32,
}

#[pyro::expose]
impl Handler {
    pub fn done(&self, number: u32) -> u32 {
        number
    }

    #[pyro::getter]
    #[pyro::callback]
    pub fn count(&self) -> u32 {
        self.count
    }
}

fn main() {}
