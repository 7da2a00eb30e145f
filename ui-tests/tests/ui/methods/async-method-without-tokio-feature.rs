// `async fn` methods need pyro's `tokio` feature (these tests build pyro without it).
struct Fetcher;

#[pyro::expose]
impl Fetcher {
    pub fn ping(&self) {}

    pub async fn fetch(&self, url: String) -> String {
        url
    }
}

fn main() {}
