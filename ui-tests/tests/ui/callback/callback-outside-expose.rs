#[pyro::callback]
fn done(number: u32) -> u32 {
    number
}

fn main() {}
