use pyro::dispatch::CallContext;

struct Echo;

#[pyro::expose]
impl Echo {
    pub fn echo(&self, ctx: CallContext, text: String) -> String {
        let _ = ctx;
        text
    }
}

fn main() {}
