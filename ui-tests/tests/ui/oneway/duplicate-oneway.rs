struct Logger;

#[pyro::expose]
impl Logger {
    #[pyro::oneway]
    #[pyro::oneway]
    pub fn log(&self, message: String) {
        println!("{message}");
    }
}

fn main() {}
