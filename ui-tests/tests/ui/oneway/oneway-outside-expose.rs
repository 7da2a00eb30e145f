struct Logger;

impl Logger {
    #[pyro::oneway]
    pub fn log(&self, message: String) {
        println!("{message}");
    }
}

fn main() {
    Logger.log(String::new());
}
