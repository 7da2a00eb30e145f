#[pyro::expose]
pub trait Numbers {
    fn evens(&self) -> impl Iterator<Item = u32> + Send + 'static;
}

fn main() {}
