#[derive(Debug, pyro::RemoteError)]
struct Oops {
    reason: String,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

fn main() {}
