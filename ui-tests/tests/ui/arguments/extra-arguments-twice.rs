use pyro::{KwArgs, VarArgs};

pub struct Thing;

#[pyro::expose]
impl Thing {
    pub fn log(&self, parts: VarArgs<String>, more: VarArgs<String>) -> usize {
        parts.len() + more.len()
    }

    pub fn tag(&self, extra: KwArgs, more: KwArgs) -> usize {
        extra.len() + more.len()
    }

    pub fn swap(&self, extra: KwArgs, parts: VarArgs) -> usize {
        extra.len() + parts.len()
    }
}

fn main() {}
