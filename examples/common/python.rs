//! What the example clients that mirror Python Pyro5 programs share: Pyro5's default
//! serializer, its `get_pyro_traceback()` text for a remote exception, Python's `input()`, and
//! how a Python program ends on an uncaught exception.

// Each example uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead, Write};
use std::process::ExitCode;

use pyro::proxy::Proxy;
use pyro::{Error, RemoteError, Serializer};

/// A proxy for `uri` with the serializer a Python Pyro5 program uses: `PYRO_SERIALIZER` if set
/// (pyro reads it as Pyro5 does), else Pyro5's default, serpent, so that the server sees the same
/// messages the Python program sends. (pyro's own default would negotiate msgpack first.)
pub fn proxy(uri: &str) -> pyro::Result<Proxy> {
    let proxy = Proxy::from_uri_str(uri)?;
    Ok(match std::env::var_os("PYRO_SERIALIZER") {
        Some(_) => proxy,
        None => proxy.with_serializer(Serializer::Serpent),
    })
}

/// What `"".join(Pyro5.errors.get_pyro_traceback())` gives for `error` caught in a Python
/// client: the local part, then the remote traceback framed as Pyro5 frames it. A Rust program
/// has no Python stack frames, so the local part is only the exception line (as Python's
/// `traceback.format_exception` writes it for an exception without a traceback): the class
/// without its module for builtins, `module.Class` otherwise, then `: message` if there is one.
pub fn pyro_traceback(error: &RemoteError) -> String {
    let class = match error.class.strip_prefix("builtins.") {
        Some(builtin) => builtin,
        None => error.class.as_str(),
    };
    let mut text = match error.message.is_empty() {
        true => format!("{class}\n"),
        false => format!("{class}: {}\n", error.message),
    };
    if error.traceback.is_empty() {
        return text;
    }
    text.push_str(" +--- This exception occurred remotely (Pyro) - Remote traceback:");
    for line in &error.traceback {
        for part in line.strip_suffix('\n').unwrap_or(line).split('\n') {
            text.push_str("\n | ");
            text.push_str(part);
        }
    }
    text.push_str("\n +--- End of remote traceback\n");
    text
}

/// Python's `input(prompt)`: writes the prompt without a newline, reads one line and returns it
/// without its line ending; the end of input is an error, as Python's `EOFError`.
pub fn input(prompt: &str) -> std::io::Result<String> {
    let mut stdout = std::io::stdout();
    stdout.write_all(prompt.as_bytes())?;
    stdout.flush()?;
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "EOF when reading a line"));
    }
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

/// Why a program stopped early, as the Python program would have: standard input ended at a
/// prompt (Python's `EOFError`), or a Pyro call failed.
pub enum Failure {
    /// Standard input ended at a prompt ([`input`]'s error).
    Eof(std::io::Error),
    /// A Pyro call failed.
    Pyro(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Pyro(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Eof(e)
    }
}

/// The exit status of a program that ended with `result`, after printing to standard error what
/// Python prints for the uncaught exception (with Pyro5's remote traceback for a remote one).
pub fn exit_status<E: Into<Failure>>(result: Result<(), E>) -> ExitCode {
    match result.map_err(Into::into) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::Eof(e)) => eprintln!("EOFError: {e}"),
        Err(Failure::Pyro(Error::Remote(e))) => eprint!("{}", pyro_traceback(&e)),
        Err(Failure::Pyro(e)) => eprintln!("{}: {e}", e.python_class()),
    }
    ExitCode::FAILURE
}
