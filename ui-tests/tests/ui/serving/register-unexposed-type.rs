// A type with no `#[pyro::expose]` at all, registered.
pub struct Plain;

impl Plain {
    pub fn ping(&self) {}
}

fn main() -> pyro::Result<()> {
    let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
    daemon.register(Plain, None)?;
    Ok(())
}
