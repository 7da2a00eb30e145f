struct Handler;

#[pyro::expose]
impl Handler {
    pub fn done(&self, number: u32) -> u32 {
        number
    }

    #[pyro::callback]
    fn crash(&self) -> u32 {
        0
    }
}

fn main() {}
