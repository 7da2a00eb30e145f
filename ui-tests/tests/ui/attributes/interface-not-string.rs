#[pyro::expose(interface = FetcherService)]
pub trait Fetcher {
    async fn fetch(&self, url: String) -> String;
}

fn main() {}
