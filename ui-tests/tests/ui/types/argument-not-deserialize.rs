use serde::Serialize;

#[derive(Serialize)]
pub struct Order {
    item: String,
}

struct Shop;

#[pyro::expose]
impl Shop {
    pub fn place(&self, order: Order) -> bool {
        !order.item.is_empty()
    }
}

fn main() {}
