#[derive(Debug, pyro::RemoteError)]
enum Oops {}

impl std::fmt::Display for Oops {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

fn main() {}
