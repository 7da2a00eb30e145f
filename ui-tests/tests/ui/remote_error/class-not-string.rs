#[derive(Debug, pyro::RemoteError)]
enum Oops {
    #[pyro(class = ValueError)]
    Bad,
    #[pyro(class)]
    Worse,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
