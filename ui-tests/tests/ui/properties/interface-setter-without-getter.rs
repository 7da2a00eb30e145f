#[pyro::expose]
pub trait Lamp {
    fn toggle(&self);

    #[pyro::setter]
    fn set_brightness(&self, value: u8);
}

fn main() {}
