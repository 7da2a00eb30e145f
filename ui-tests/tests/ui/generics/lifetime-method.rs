use std::borrow::Cow;

struct Echo;

#[pyro::expose]
impl Echo {
    pub fn echo<'a>(&self, text: Cow<'a, str>) -> String {
        text.into_owned()
    }
}

fn main() {}
