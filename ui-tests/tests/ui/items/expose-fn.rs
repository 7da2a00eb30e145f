#[pyro::expose]
pub fn ping() -> bool {
    true
}

fn main() {}
