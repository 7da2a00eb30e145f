struct Geometry;

#[pyro::expose]
impl Geometry {
    pub fn length(&self, (x, y): (f64, f64)) -> f64 {
        (x * x + y * y).sqrt()
    }

    pub fn ignore(&self, _: i32) {}
}

fn main() {}
