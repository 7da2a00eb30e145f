struct Numbers {
    values: Vec<u32>,
}

#[pyro::expose]
impl Numbers {
    pub fn values(&self) -> impl Iterator<Item = u32> + Send {
        self.values.clone().into_iter()
    }
}

fn main() {}
