struct Logger;

#[pyro::expose]
impl Logger {
    #[pyro::oneway(fast)]
    pub fn log(&self, message: String) {
        println!("{message}");
    }
}

fn main() {}
