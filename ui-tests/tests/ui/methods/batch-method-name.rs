struct Job;

#[pyro::expose]
impl Job {
    pub fn status(&self) -> String {
        "idle".to_owned()
    }

    /// Clashes with the typed batch's own `run`.
    pub fn run(&self) {}

    /// Clashes with the typed proxy's `batch`.
    pub fn batch(&self) {}
}

fn main() {}
