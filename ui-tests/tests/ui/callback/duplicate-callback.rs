struct Handler;

#[pyro::expose]
impl Handler {
    #[pyro::callback]
    #[pyro::callback]
    pub fn done(&self, number: u32) -> u32 {
        number
    }
}

fn main() {}
