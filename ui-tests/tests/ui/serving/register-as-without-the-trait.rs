// `register_as::<dyn Greeter, _>` with a type that does not implement the exposed trait.
#[pyro::expose]
pub trait Greeter {
    fn greet(&self, name: String) -> String;
}

pub struct Silent;

fn main() -> pyro::Result<()> {
    let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
    daemon.register_as::<dyn Greeter, _>(Silent, Some("example.greeter"))?;
    Ok(())
}
