pub struct Numbers;

#[pyro::expose]
impl Numbers {
    #[pyro::getter]
    pub fn items(&self) -> impl Iterator<Item = u32> + Send + 'static {
        0..3
    }

    #[pyro::setter]
    pub fn set_items(&mut self, value: impl Iterator<Item = u32> + Send + 'static) {
        let _ = value;
    }

    #[pyro::getter]
    pub fn boxed(&self) -> Box<dyn Iterator<Item = u32> + Send> {
        Box::new(0..3)
    }

    #[pyro::setter]
    pub fn set_boxed(&mut self, value: Box<dyn Iterator<Item = u32> + Send>) {
        let _ = value;
    }

    #[pyro::getter]
    pub fn level(&self) -> u32 {
        1
    }

    #[pyro::setter]
    pub fn set_level(&mut self, value: u32) -> impl Iterator<Item = u32> + Send + 'static {
        0..value
    }
}

fn main() {}
