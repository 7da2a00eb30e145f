#[pyro::expose(interface = "GreeterInterface")]
pub trait Greeter {
    fn greet(&self, name: String) -> String;
}

fn main() {}
