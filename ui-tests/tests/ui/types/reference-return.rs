struct Named {
    name: String,
}

#[pyro::expose]
impl Named {
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn main() {}
