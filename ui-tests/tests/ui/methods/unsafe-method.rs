struct Raw;

#[pyro::expose]
impl Raw {
    pub unsafe fn peek(&self, address: usize) -> u8 {
        address as u8
    }
}

fn main() {}
