#[pyro::expose]
trait Counter {
    async fn read(&self) -> i64;

    fn bump(&mut self);
}

fn main() {}
