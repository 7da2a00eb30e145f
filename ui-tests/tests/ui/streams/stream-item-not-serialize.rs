#[derive(serde::Deserialize)]
pub struct Token(u32);

struct Tokens;

#[pyro::expose]
impl Tokens {
    pub fn tokens(&self) -> impl Iterator<Item = Token> + Send + 'static {
        (0..3).map(Token)
    }
}

fn main() {}
