// An optional argument whose type is neither `Serialize` nor `Deserialize`: reported once per
// trait at the inner type, although the proxy may send it positionally or by keyword.
pub struct Order {
    pub item: String,
}

struct Shop;

#[pyro::expose]
impl Shop {
    pub fn place(&self, first: u32, order: Option<Order>, note: Option<String>) -> bool {
        first > 0 && order.is_some() && note.is_some()
    }
}

fn main() {}
