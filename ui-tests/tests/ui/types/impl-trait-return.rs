struct Numbers;

#[pyro::expose]
impl Numbers {
    pub fn evens(&self) -> impl std::fmt::Display {
        2
    }
}

fn main() {}
