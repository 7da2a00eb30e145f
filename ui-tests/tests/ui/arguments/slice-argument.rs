struct Summer;

#[pyro::expose]
impl Summer {
    pub fn sum(&self, numbers: &[i64]) -> i64 {
        numbers.iter().sum()
    }

    pub fn scale(&mut self, by: &mut f64) {
        *by *= 2.0;
    }
}

fn main() {}
