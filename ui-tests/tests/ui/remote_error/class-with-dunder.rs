#[derive(Debug, pyro::RemoteError)]
#[pyro(class = "__main__.Oops")]
enum Oops {
    Bad,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
