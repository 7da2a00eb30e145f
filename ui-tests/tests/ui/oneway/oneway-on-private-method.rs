struct Logger;

#[pyro::expose]
impl Logger {
    pub fn ping(&self) {}

    #[pyro::oneway]
    fn log(&self, message: String) {
        println!("{message}");
    }
}

fn main() {
    Logger.log(String::new());
    // The rest is still generated: no follow-on error.
    let _ = LoggerProxy::ping;
}
