#[pyro::expose]
pub struct Thing {
    pub count: i32,
}

fn main() {}
