use pyro::{KwArgs, VarArgs};

pub struct Thing;

#[pyro::expose]
impl Thing {
    pub fn log(&self, parts: VarArgs<String>, level: i64) -> usize {
        parts.len() + level as usize
    }

    pub fn tag(&self, extra: KwArgs, name: String) -> String {
        let _ = extra;
        name
    }
}

fn main() {}
