struct Thermometer;

#[pyro::expose]
impl Thermometer {
    #[pyro::getter]
    pub async fn degrees(&self) -> f64 {
        21.5
    }
}

fn main() {}
