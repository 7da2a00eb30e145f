#[pyro::expose]
pub trait Factory {
    fn make(&self) -> i32;

    fn create() -> Self
    where
        Self: Sized;
}

fn main() {}
