struct Printer;

#[pyro::expose]
impl Printer {
    pub fn print(&self, text: impl ToString) {
        println!("{}", text.to_string());
    }
}

fn main() {}
