#[pyro::expose]
pub trait Logger {
    #[pyro::oneway]
    fn log(&self, message: String) -> Result<(), String>;
}

fn main() {}
