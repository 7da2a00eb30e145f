struct Counter {
    count: i64,
}

#[pyro::expose]
impl Counter {
    pub async fn read(&self) -> i64 {
        self.count
    }

    pub fn bump(&mut self) {
        self.count += 1;
    }
}

fn main() {}
