#[derive(Debug, pyro::RemoteError)]
enum Oops {
    Bad,
    Worse { code: i32 },
}

fn main() {}
