struct Echo;

#[pyro::expose]
impl Echo {
    pub fn echo<T: Clone>(&self, value: T) -> T {
        value
    }

    pub fn repeat<const N: usize>(&self) -> [u8; N] {
        [0; N]
    }
}

fn main() {}
