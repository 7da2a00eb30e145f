// Every mistake is reported at once, each at its own span.
struct Thing;

#[pyro::expose]
impl Thing {
    pub fn ok(&self) -> i32 {
        1
    }

    pub fn by_value(self) {}

    pub fn borrowed(&self, name: &str, (a, b): (i32, i32)) -> i32 {
        name.len() as i32 + a + b
    }

    pub async fn later(&self) {}

    #[pyro::oneway]
    pub fn fire(&self) -> bool {
        true
    }
}

fn main() {
    // The valid method is still generated: no follow-on error here.
    let _ = ThingProxy::ok;
}
