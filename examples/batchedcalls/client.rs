//! The client of Pyro5's batchedcalls example: asks for the server's URI (`enter server object
//! uri: `, as Python's `client.py` does), makes 20000 × 2 calls one by one, then the same calls
//! as one batch, then as a oneway batch, and finally a batch that stops at a division by zero,
//! printing the lines Python's client prints (with other timings). Works against
//! `batchedcalls_server` and against Python's `server.py` alike.
//!
//! ```sh
//! cargo run --example batchedcalls_server        # or: python server.py (in Pyro5's examples)
//! cargo run --example batchedcalls_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another (pyro's own default is msgpack). The error
//! section prints the exception as `get_pyro_traceback()` does, with one difference: Python
//! lists its own stack frames before the exception line, and a Rust program has none to show,
//! so the local part is the exception line alone; the remote traceback (Python's frames, or
//! the one frame a pyro daemon reports) is framed exactly as Pyro5 frames it. A failed check of
//! the results (Python's `assert`) ends the program with an error, as an `AssertionError` does.

#[path = "../common/python.rs"]
mod python;
mod thingy;

use std::process::ExitCode;
use std::time::Instant;

use pyro::{Error, Value};
use python::{input, pyro_traceback};
use thingy::ThingyProxy;

/// Python's `NUMBER_OF_LOOPS`.
const NUMBER_OF_LOOPS: i64 = 20000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("batchedcalls_client: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A result that must be an int (the client only adds ints).
fn int(value: &Value) -> Result<i64, String> {
    value.as_i64().ok_or_else(|| format!("expected an int result, got {value}"))
}

/// Python's `assert total == ...`.
fn check_total(total: i64) -> Result<(), String> {
    let expected = NUMBER_OF_LOOPS * (7 * 6 + 10 + 20);
    match total == expected {
        true => Ok(()),
        false => Err(format!("AssertionError: total {total}, expected {expected}")),
    }
}

fn run() -> Result<(), String> {
    let uri = input("enter server object uri: ").map_err(|e| format!("EOFError: {e}"))?;
    let p = ThingyProxy::from_proxy(python::proxy(uri.trim()).map_err(|e| e.to_string())?);
    let seven_six = || (Value::Int(7), Value::Int(6));
    let ten_twenty = || (Value::Int(10), Value::Int(20));

    // First, N normal remote calls, timed, and the computation checked.
    println!("Normal remote calls...");
    let begin = Instant::now();
    let mut total = 0;
    p.printmessage(Value::from("beginning normal calls")).map_err(|e| e.to_string())?;
    for _ in 0..NUMBER_OF_LOOPS {
        let (a, b) = seven_six();
        total += int(&p.multiply(a, b).map_err(|e| e.to_string())?)?;
        let (a, b) = ten_twenty();
        total += int(&p.add(a, b).map_err(|e| e.to_string())?)?;
    }
    p.printmessage(Value::from("end of normal calls")).map_err(|e| e.to_string())?;
    check_total(total)?;
    let duration_normal = begin.elapsed().as_secs_f64();
    let calls = NUMBER_OF_LOOPS as f64 * 2.0;
    println!("that took {duration_normal:.2} seconds ({:.0} calls/sec)", calls / duration_normal);

    // The same calls as one batch: recorded, sent as one message, results read back in order.
    println!("\nBatched remote calls...");
    let begin = Instant::now();
    let mut batch = p.batch();
    let first = batch.printmessage(Value::from("beginning batch #1"));
    let mut results = Vec::with_capacity(NUMBER_OF_LOOPS as usize * 2);
    for _ in 0..NUMBER_OF_LOOPS {
        let (a, b) = seven_six();
        results.push(batch.multiply(a, b));
        let (a, b) = ten_twenty();
        results.push(batch.add(a, b));
    }
    let last = batch.printmessage(Value::from("end of batch #1"));
    println!("processing the results...");
    batch.run().map_err(|e| e.to_string())?;
    let mut total = first.get().map_err(|e| e.to_string())?;
    for result in results {
        total += int(&result.get().map_err(|e| e.to_string())?)?;
    }
    total += last.get().map_err(|e| e.to_string())?;
    let duration = begin.elapsed().as_secs_f64();
    check_total(total)?;
    println!("total time taken {duration:.2} seconds ({:.0} calls/sec)", (calls / duration / 100.0).floor() * 100.0);
    println!("batched calls were {:.1} times faster than normal remote calls", duration_normal / duration);

    // Once more, oneway: no results come back (the 2 second delay goes unnoticed).
    println!("\nOneway batched remote calls...");
    let begin = Instant::now();
    let mut batch = p.batch();
    let _ = batch.printmessage(Value::from("beginning batch #2"));
    for _ in 0..NUMBER_OF_LOOPS {
        let (a, b) = seven_six();
        let _ = batch.multiply(a, b);
        let (a, b) = ten_twenty();
        let _ = batch.add(a, b);
    }
    let _ = batch.delay(Value::Int(2));
    let _ = batch.printmessage(Value::from("end of batch #2"));
    println!("executing batch, there will be no result values. Check server to see printed messages...");
    batch.run_oneway().map_err(|e| e.to_string())?;
    let duration = begin.elapsed().as_secs_f64();
    println!("total time taken {duration:.2} seconds ({:.0} calls/sec)", (calls / duration / 100.0).floor() * 100.0);
    println!("oneway batched calls were {:.1} times faster than normal remote calls", duration_normal / duration);

    // A batch in which one call raises: it stops there, and reading that result raises.
    println!("\nBatch with an error. Dividing a number by decreasing divisors...");
    let mut batch = p.batch();
    let divisions: Vec<_> = (-2..=3).rev().map(|d| batch.divide(Value::Int(100), Value::Int(d))).collect();
    println!("getting results...");
    batch.run().map_err(|e| e.to_string())?;
    let mut divisor = 3;
    for division in divisions {
        match division.get() {
            Ok(result) => {
                println!("100//{divisor} = {}", int(&result)?);
                divisor -= 1;
            }
            Err(Error::Remote(e)) if e.class == "builtins.ZeroDivisionError" => {
                println!("A divide by zero error occurred during the batch! (expected)");
                println!("{}", pyro_traceback(&e));
                break;
            }
            Err(other) => return Err(other.to_string()),
        }
    }
    Ok(())
}
