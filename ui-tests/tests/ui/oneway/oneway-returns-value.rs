struct Logger;

#[pyro::expose]
impl Logger {
    #[pyro::oneway]
    pub fn log(&self, message: String) -> usize {
        message.len()
    }
}

fn main() {}
