// A type exposed only through a trait, registered with `register` (which serves a type's own
// `#[pyro::expose] impl` block) instead of `register_as::<dyn Greeter, _>`.
#[pyro::expose]
pub trait Greeter {
    fn greet(&self, name: String) -> String;
}

pub struct English;

impl Greeter for English {
    fn greet(&self, name: String) -> String {
        format!("hello, {name}")
    }
}

fn main() -> pyro::Result<()> {
    let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
    daemon.register(English, Some("example.greeter"))?;
    Ok(())
}
