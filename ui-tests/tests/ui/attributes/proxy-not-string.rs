struct Thing;

#[pyro::expose(proxy = Remote)]
impl Thing {
    pub fn ping(&self) {}
}

fn main() {
    let _ = ThingProxy::ping;
}
