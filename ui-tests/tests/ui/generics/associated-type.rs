#[pyro::expose]
pub trait Store {
    type Item;
    const CAPACITY: usize;

    fn count(&self) -> usize;
}

fn main() {}
