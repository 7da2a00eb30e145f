#[pyro::expose]
pub trait Merge {
    fn merge(&self, other: Vec<Self>) -> usize
    where
        Self: Sized;
}

fn main() {}
