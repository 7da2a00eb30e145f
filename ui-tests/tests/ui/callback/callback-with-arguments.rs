#[pyro::expose]
pub trait Handler {
    #[pyro::callback(log)]
    fn done(&self, number: u32) -> u32;
}

fn main() {}
