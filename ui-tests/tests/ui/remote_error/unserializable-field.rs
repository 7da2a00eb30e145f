#[derive(Debug)]
struct Handle;

#[derive(Debug, pyro::RemoteError)]
enum Oops {
    Bad(Handle),
    Worse { handle: Handle },
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad")
    }
}

fn main() {}
