use serde::Deserialize;

#[derive(Deserialize)]
pub struct Receipt {
    pub total: i64,
}

struct Shop;

#[pyro::expose]
impl Shop {
    pub fn checkout(&self) -> Receipt {
        Receipt { total: 1 }
    }
}

fn main() {}
