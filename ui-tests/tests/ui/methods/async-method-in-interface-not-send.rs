// An implementation of an exposed trait's `async fn` whose future is not `Send`: the daemon
// runs it on a multi-thread runtime. (The `tokio` feature is off here, hence its error too.)
use std::rc::Rc;

#[pyro::expose]
pub trait Fetcher {
    fn ping(&self);

    async fn fetch(&self, url: String) -> String;
}

pub struct Local;

impl Fetcher for Local {
    fn ping(&self) {}

    async fn fetch(&self, url: String) -> String {
        let held = Rc::new(url);
        std::future::ready(()).await;
        (*held).clone()
    }
}

fn main() {}
