struct Counter {
    count: i64,
}

#[pyro::expose]
impl Counter {
    pub async fn bump(&mut self) -> i64 {
        self.count += 1;
        self.count
    }
}

fn main() {}
