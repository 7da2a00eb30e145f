//! A typed error enum: unit, tuple and struct variants, enum and variant classes, a method
//! returning it, the typed proxy and `CallError`.

#[derive(Debug, PartialEq, pyro::RemoteError)]
#[pyro(class = "builtins.ValueError")]
pub enum ShopError {
    Closed,
    #[pyro(class = "builtins.KeyError")]
    Unknown(String),
    #[pyro(class = "Pyro5.errors.PyroError")]
    Short { r#have: u32, want: Option<u32> },
}

impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

pub struct Shop;

#[pyro::expose]
impl Shop {
    pub fn buy(&self, item: String) -> Result<u32, ShopError> {
        Err(ShopError::Unknown(item))
    }
}

fn main() {
    let error = pyro::Error::from(ShopError::Short { have: 1, want: None });
    let typed: pyro::CallError<ShopError> = error.into();
    assert_eq!(typed.raised(), Some(&ShopError::Short { have: 1, want: None }));
    let _: fn(&ShopProxy, String) -> pyro::Result<u32> = ShopProxy::buy;
}
