#[derive(Debug, pyro::RemoteError)]
enum Oops {
    #[pyro(class = "builtins.ValueError")]
    #[pyro(class = "builtins.KeyError")]
    Bad,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
