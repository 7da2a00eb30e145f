#[pyro::expose]
trait Fetcher {
    fn ping(&self);

    async fn fetch(&self, url: String) -> String;
}

fn main() {}
