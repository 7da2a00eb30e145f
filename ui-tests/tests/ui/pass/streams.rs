//! Methods returning iterators, in an impl and in an interface, served and called in process.
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
}

/// An interface streaming a custom error type.
#[pyro::expose]
pub trait Letters {
    /// The letters of `word`, failing on a digit.
    fn letters(&self, word: String) -> Box<dyn Iterator<Item = Result<char, std::num::ParseIntError>> + Send>;
}

struct English;

impl Letters for English {
    fn letters(&self, word: String) -> Box<dyn Iterator<Item = Result<char, std::num::ParseIntError>> + Send> {
        Box::new(word.chars().collect::<Vec<_>>().into_iter().map(|c| match c.is_ascii_digit() {
            true => "x".parse::<u8>().map(char::from),
            false => Ok(c),
        }))
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

    let proxy = LettersProxy::new(&letters)?;
    let mut letters = proxy.letters("a1".into())?;
    assert_eq!(letters.next().transpose()?, Some('a'));
    assert!(matches!(letters.next(), Some(Err(pyro::Error::Remote(e))) if e.class == "builtins.RuntimeError"));
    assert!(letters.next().is_none());

    stop.shutdown();
    server.join().expect("daemon thread")
}
