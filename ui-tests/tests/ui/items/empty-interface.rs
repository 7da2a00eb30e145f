#[pyro::expose]
pub trait Nothing {}

fn main() {}
