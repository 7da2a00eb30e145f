#[derive(Debug, pyro::RemoteError)]
enum Oops {
    Bad { _secret: String, code: i32 },
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
