struct Holder<T>(T);

#[pyro::expose]
impl<T: Clone> Holder<T> {
    pub fn get(&self) -> T {
        self.0.clone()
    }
}

fn main() {}
