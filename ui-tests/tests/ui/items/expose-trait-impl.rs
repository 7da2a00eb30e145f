pub trait Greet {
    fn greet(&self) -> String;
}

struct English;

#[pyro::expose]
impl Greet for English {
    fn greet(&self) -> String {
        "hello".to_owned()
    }
}

fn main() {}
