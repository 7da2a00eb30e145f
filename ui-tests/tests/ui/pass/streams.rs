//! Methods and getters returning iterators, in an impl and in an interface, served and called in
//! process.
#![deny(warnings, missing_docs)]
#![forbid(unsafe_code)]

use pyro::{Daemon, RemoteError, Value};

/// Numbers, streamed.
pub struct Numbers {
    limit: u32,
}

#[pyro::expose]
impl Numbers {
    /// `impl Iterator`, borrowing nothing from `self`.
    pub fn upto(&self, n: u32) -> impl Iterator<Item = u32> + Send + 'static {
        let limit = self.limit;
        (0..n).take_while(move |x| *x < limit)
    }

    /// A boxed iterator of results inside a `Result`.
    pub fn checked(&self, n: u32) -> Result<Box<dyn Iterator<Item = Result<String, RemoteError>> + Send>, String> {
        if n == 0 {
            return Err("nothing to stream".into());
        }
        let items = (0..n).map(|i| Ok(i.to_string())).chain(std::iter::once(Err(RemoteError::new(
            "builtins.ValueError",
            vec![Value::from("the end")],
        ))));
        Ok(Box::new(items))
    }

    /// Not a stream.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// A streamed attribute.
    #[pyro::getter]
    pub fn evens(&self) -> impl Iterator<Item = u32> + Send + 'static {
        (0..self.limit).map(|x| x * 2)
    }

    /// Items that may fail, from a getter that cannot: each `Err` becomes the client's exception.
    #[pyro::getter]
    pub fn parsed(&self) -> impl Iterator<Item = Result<u8, String>> + Send + 'static {
        ["7", "x"].into_iter().map(|d| d.parse::<u8>().map_err(|e| e.to_string()))
    }

    /// A streamed attribute of results, from a `&mut self` getter, itself fallible.
    #[pyro::getter(name = "digits")]
    pub fn digit_items(&mut self) -> Result<Box<dyn Iterator<Item = Result<u8, String>> + Send>, String> {
        self.limit += 1;
        Ok(Box::new(["1", "x"].into_iter().map(|d| d.parse::<u8>().map_err(|e| e.to_string()))))
    }
}

/// An interface streaming a custom error type.
#[pyro::expose]
pub trait Letters {
    /// The letters of `word`, failing on a digit.
    fn letters(&self, word: String) -> Box<dyn Iterator<Item = Result<char, std::num::ParseIntError>> + Send>;
    /// A streamed attribute.
    #[pyro::getter]
    fn vowels(&self) -> Box<dyn Iterator<Item = char> + Send>;
}

struct English;

impl Letters for English {
    fn letters(&self, word: String) -> Box<dyn Iterator<Item = Result<char, std::num::ParseIntError>> + Send> {
        Box::new(word.chars().collect::<Vec<_>>().into_iter().map(|c| match c.is_ascii_digit() {
            true => "x".parse::<u8>().map(char::from),
            false => Ok(c),
        }))
    }
    fn vowels(&self) -> Box<dyn Iterator<Item = char> + Send> {
        Box::new("aeiou".chars())
    }
}

fn main() -> pyro::Result<()> {
    let daemon = Daemon::bind("127.0.0.1", 0)?;
    let numbers = daemon.register(Numbers { limit: 3 }, Some("numbers"))?.to_string();
    let letters = daemon.register_as::<dyn Letters, _>(English, Some("letters"))?.to_string();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());

    let proxy = NumbersProxy::new(&numbers)?;
    assert_eq!(proxy.upto(10)?.collect::<pyro::Result<Vec<u32>>>()?, [0, 1, 2]);
    let items: Vec<pyro::Result<String>> = proxy.checked(2)?.collect();
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[2], Err(pyro::Error::Remote(e)) if e.class == "builtins.ValueError"));
    assert!(proxy.checked(0).is_err());
    assert_eq!(proxy.limit()?, 3);
    assert_eq!(proxy.evens()?.collect::<pyro::Result<Vec<u32>>>()?, [0, 2, 4]);
    let digits: Vec<pyro::Result<u8>> = proxy.digit_items()?.collect();
    assert!(matches!(digits.as_slice(), [Ok(1), Err(pyro::Error::Remote(_))]));
    assert_eq!(proxy.limit()?, 4);
    let parsed: Vec<pyro::Result<u8>> = proxy.parsed()?.collect();
    assert!(matches!(parsed.as_slice(), [Ok(7), Err(pyro::Error::Remote(e))] if e.class == "builtins.RuntimeError"));

    let proxy = LettersProxy::new(&letters)?;
    let mut letters = proxy.letters("a1".into())?;
    assert_eq!(letters.next().transpose()?, Some('a'));
    assert!(matches!(letters.next(), Some(Err(pyro::Error::Remote(e))) if e.class == "builtins.RuntimeError"));
    assert!(letters.next().is_none());
    drop(letters);
    assert_eq!(proxy.vowels()?.collect::<pyro::Result<String>>()?, "aeiou");

    stop.shutdown();
    server.join().expect("daemon thread")
}
