// A type that is neither `Serialize` nor `Deserialize`, as an argument and as a result.
pub struct Order {
    pub item: String,
}

struct Shop;

#[pyro::expose]
impl Shop {
    pub fn place(&self, order: Order) -> bool {
        !order.item.is_empty()
    }

    pub fn last(&self) -> Order {
        Order { item: String::new() }
    }
}

fn main() {}
