struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ping(&self) {}

    pub fn proxy(&self) -> String {
        "me".to_owned()
    }
}

fn main() {}
