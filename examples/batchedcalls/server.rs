//! The server of Pyro5's batchedcalls example: serves a `Thingy` as `example.batched` and prints
//! what Pyro5's `serve({Thingy: "example.batched"}, use_ns=False)` prints, so that Python's
//! `client.py` from that example runs against it unchanged (and `batchedcalls_client` against
//! either server).
//!
//! ```sh
//! cargo run --example batchedcalls_server
//! cargo run --example batchedcalls_client      # or: python client.py (in Pyro5's examples)
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_SERIALIZER`, ...).
//! The methods compute as Python does with ints of any size, floats and bools (floor division
//! included); other operands get a `TypeError` in Python's generic form, "unsupported operand
//! type(s)", where Python has a few more specific texts (e.g. for strings).
//!
//! As Pyro5's `serve()` does, it registers the class, one instance per proxy connection
//! (Pyro5's default "session" instance mode). The banner names the Python class as Pyro5
//! prints it (`<class '__main__.Thingy'>`), so the output lines are the same.

mod thingy;

use std::process::ExitCode;
use std::time::Duration;

use num_bigint::BigInt;
use num_traits::{ToPrimitive, Zero};
use pyro::daemon::InstanceMode;
use pyro::{Daemon, RemoteError, Value};
use thingy::Thingy;

/// The object id Python's `serve()` registers the `Thingy` under.
const OBJECT_ID: &str = "example.batched";

/// The Python class as Pyro5's `serve()` prints it (`repr(Thingy)`).
const CLASS_REPR: &str = "<class '__main__.Thingy'>";

/// Python's `Thingy`, one per proxy connection.
struct Batched;

impl Thingy for Batched {
    fn multiply(&self, a: Value, b: Value) -> Result<Value, RemoteError> {
        let (a, b) = operands(&a, &b, "*")?;
        Ok(match (a, b) {
            (Number::Int(a), Number::Int(b)) => Value::int(a * b),
            (a, b) => Value::Float(a.float()? * b.float()?),
        })
    }

    fn add(&self, a: Value, b: Value) -> Result<Value, RemoteError> {
        let (a, b) = operands(&a, &b, "+")?;
        Ok(match (a, b) {
            (Number::Int(a), Number::Int(b)) => Value::int(a + b),
            (a, b) => Value::Float(a.float()? + b.float()?),
        })
    }

    fn divide(&self, a: Value, b: Value) -> Result<Value, RemoteError> {
        let (a, b) = operands(&a, &b, "//")?;
        match (a, b) {
            (Number::Int(a), Number::Int(b)) => int_floor_div(&a, &b).map(Value::int),
            (a, b) => float_floor_div(a.float()?, b.float()?).map(Value::Float),
        }
    }

    fn error(&self) -> Result<Value, RemoteError> {
        int_floor_div(&BigInt::from(1), &BigInt::zero()).map(Value::int)
    }

    fn delay(&self, seconds: Value) -> Result<Value, RemoteError> {
        let wait = match Number::of(&seconds) {
            Some(number) => number.float()?,
            None => return Err(sleep_type(&seconds)),
        };
        if wait.is_nan() {
            return Err(RemoteError::new("builtins.ValueError", vec![Value::from("Invalid value NaN (not a number)")]));
        }
        if wait < 0.0 {
            return Err(RemoteError::new(
                "builtins.ValueError",
                vec![Value::from("sleep length must be non-negative")],
            ));
        }
        let duration = Duration::try_from_secs_f64(wait)
            .map_err(|_| RemoteError::new("builtins.OverflowError", vec![Value::from("sleep length is too large")]))?;
        std::thread::sleep(duration);
        Ok(seconds)
    }

    fn printmessage(&self, message: Value) -> i64 {
        // print(message): str() of the value, which for a str is the text itself.
        match &message {
            Value::Str(text) => println!("{text}"),
            other => println!("{other}"),
        }
        0
    }
}

/// A Python number: `bool` counts as `int`.
enum Number {
    Int(BigInt),
    Float(f64),
}

impl Number {
    fn of(value: &Value) -> Option<Number> {
        match value {
            Value::Bool(b) => Some(Number::Int(BigInt::from(u8::from(*b)))),
            Value::Int(i) => Some(Number::Int(BigInt::from(*i))),
            Value::BigInt(i) => Some(Number::Int(i.clone())),
            Value::Float(f) => Some(Number::Float(*f)),
            _ => None,
        }
    }

    /// `float(self)`, as Python converts an int operand when the other one is a float.
    fn float(self) -> Result<f64, RemoteError> {
        match self {
            Number::Float(f) => Ok(f),
            Number::Int(i) => i.to_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                RemoteError::new("builtins.OverflowError", vec![Value::from("int too large to convert to float")])
            }),
        }
    }
}

/// Both operands as numbers, or Python's `TypeError` for the operator `op`.
fn operands(a: &Value, b: &Value, op: &str) -> Result<(Number, Number), RemoteError> {
    match (Number::of(a), Number::of(b)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(RemoteError::new(
            "builtins.TypeError",
            vec![Value::from(format!(
                "unsupported operand type(s) for {op}: '{}' and '{}'",
                a.type_name(),
                b.type_name()
            ))],
        )),
    }
}

fn sleep_type(value: &Value) -> RemoteError {
    RemoteError::new(
        "builtins.TypeError",
        vec![Value::from(format!("'{}' object cannot be interpreted as an integer", value.type_name()))],
    )
}

fn zero_division(text: &str) -> RemoteError {
    RemoteError::new("builtins.ZeroDivisionError", vec![Value::from(text)])
}

/// `a // b` for Python ints: the quotient rounded towards negative infinity.
fn int_floor_div(a: &BigInt, b: &BigInt) -> Result<BigInt, RemoteError> {
    if b.is_zero() {
        return Err(zero_division("integer division or modulo by zero"));
    }
    let (quotient, remainder) = (a / b, a % b);
    // Truncated division rounds towards zero: one less when the signs differ and it was inexact.
    let negative = (remainder < BigInt::zero()) != (*b < BigInt::zero());
    Ok(if !remainder.is_zero() && negative { quotient - 1 } else { quotient })
}

/// `a // b` for Python floats, computed as CPython does (from `fmod`, so that
/// `a == (a // b) * b + a % b` holds as closely as floats allow).
fn float_floor_div(a: f64, b: f64) -> Result<f64, RemoteError> {
    if b == 0.0 {
        return Err(zero_division("float floor division by zero"));
    }
    let modulo = a % b;
    let mut div = (a - modulo) / b;
    if modulo != 0.0 && (b < 0.0) != (modulo < 0.0) {
        div -= 1.0;
    }
    if div == 0.0 {
        return Ok(0.0f64.copysign(a / b));
    }
    let floor = div.floor();
    Ok(if div - floor > 0.5 { floor + 1.0 } else { floor })
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("batchedcalls_server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What Pyro5's `serve(..., use_ns=False)` does: a daemon on `HOST` (any free port), the class
/// registered under its name, the banner, the request loop.
fn serve() -> pyro::Result<()> {
    let daemon = Daemon::builder().bind()?;
    let uri = daemon.register_class_as::<dyn Thingy, _>(InstanceMode::Session, |_| Batched, Some(OBJECT_ID))?;
    println!("Object {CLASS_REPR}:\n    uri = {uri}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}
