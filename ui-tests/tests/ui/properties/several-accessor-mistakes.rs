// Every mistake is reported at once; the valid attribute is still generated.
struct Lamp;

#[pyro::expose]
impl Lamp {
    #[pyro::getter]
    pub fn on(&self) -> bool {
        true
    }

    #[pyro::setter]
    pub fn set_on(&mut self, value: bool) {
        let _ = value;
    }

    #[pyro::getter]
    pub fn level(&self, scale: u8) {
        let _ = scale;
    }

    #[pyro::setter]
    pub fn set_colour(&mut self, value: String) -> String {
        value
    }
}

fn main() {
    // No follow-on error for the valid attribute.
    let _ = LampProxy::on;
    let _ = LampProxy::set_on;
}
