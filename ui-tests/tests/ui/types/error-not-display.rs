pub struct Opaque;

struct Vault;

#[pyro::expose]
impl Vault {
    pub fn open(&self) -> Result<String, Opaque> {
        Err(Opaque)
    }
}

fn main() {}
