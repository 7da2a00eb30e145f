#[derive(Debug, pyro::RemoteError)]
enum Oops<T> {
    Bad(T),
}

impl<T> std::fmt::Display for Oops<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
