struct Thing;

#[pyro::expose]
impl Thing {
    pub fn new() -> Thing {
        Thing
    }

    fn ping(&self) -> bool {
        true
    }
}

fn main() {
    assert!(Thing::new().ping());
    // The proxy is still generated: no follow-on error.
    let _ = ThingProxy::new;
}
