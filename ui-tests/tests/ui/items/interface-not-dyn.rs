#[pyro::expose]
pub trait Shape: Clone {
    fn area(&self) -> f64;
}

fn main() {}
