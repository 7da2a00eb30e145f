struct Fetcher;

#[pyro::expose]
impl Fetcher {
    pub async fn fetch(&self, url: String) -> String {
        url
    }
}

fn main() {}
