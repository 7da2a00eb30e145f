// A trait with `async fn` methods has no `dyn` type: it is served through its marker type,
// `register_as::<FetcherInterface, _>`.
#[pyro::expose]
pub trait Fetcher {
    async fn fetch(&self, url: String) -> String;
}

pub struct Web;

impl Fetcher for Web {
    async fn fetch(&self, url: String) -> String {
        url
    }
}

fn main() -> pyro::Result<()> {
    let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
    daemon.register_as::<dyn Fetcher, _>(Web, Some("example.fetcher"))?;
    Ok(())
}
