#[derive(Debug, pyro::RemoteError)]
#[pyro(module = "builtins")]
enum Oops {
    #[pyro(class = "builtins.ValueError", message = "bad")]
    Bad,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
