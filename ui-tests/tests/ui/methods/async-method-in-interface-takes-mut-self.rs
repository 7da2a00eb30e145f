#[pyro::expose]
trait Counter {
    fn read(&self) -> i64;

    async fn bump(&mut self) -> i64;
}

fn main() {}
