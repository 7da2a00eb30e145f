use pyro::dispatch::CallContext;

struct Echo;

#[pyro::expose]
impl Echo {
    pub fn echo(&self, first: &CallContext, text: String, second: &mut CallContext) -> String {
        let _ = (first, second);
        text
    }
}

fn main() {}
