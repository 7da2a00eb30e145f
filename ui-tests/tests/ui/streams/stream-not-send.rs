struct Numbers;

#[pyro::expose]
impl Numbers {
    pub fn evens(&self) -> impl Iterator<Item = u32> + 'static {
        (0..10).filter(|n| n % 2 == 0)
    }
}

fn main() {}
