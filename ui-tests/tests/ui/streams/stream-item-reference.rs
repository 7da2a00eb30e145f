struct Words;

#[pyro::expose]
impl Words {
    pub fn words(&self) -> Box<dyn Iterator<Item = &'static str> + Send> {
        Box::new(["a", "b"].into_iter())
    }
}

fn main() {}
