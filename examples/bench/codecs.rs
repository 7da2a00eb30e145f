//! The codec section: encoding and decoding bulk data with each serializer, pyro's Rust codecs
//! against Pyro5's Python ones, in one run (`--codec-rounds N`, 0 to skip).
//!
//! Two workloads, the same on both sides: a list of 100,000 small dicts (an int, a str, a
//! float, a list of two str, a bool) and one 10 MB bytes value. The Rust side encodes a
//! [`Value`] (what a dynamic caller holds) and decodes back into a [`Value`]; the Python side
//! runs Pyro5 5.17's serializer objects (`Pyro5.serializers.serializers[name].dumps/loads`),
//! which is what a Pyro5 program pays. The best of N rounds is kept for each. Json carries no
//! bytes on either side; that cell is reported, not measured.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use pyro::value::Dict;
use pyro::{Serializer, Value};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::child::Python;

/// The Python half (see the file for what it prints).
const PYTHON_SCRIPT: &str = include_str!("codec_bench.py");

/// Serializers in the order shown.
const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// The workloads by name, in the order shown.
const WORKLOADS: [&str; 2] = ["100k small dicts", "10 MB bytes"];

/// One cell: the best encode and decode times, and the encoded size; or why it could not run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodecTiming {
    /// Best encode time in ns.
    #[serde(default)]
    pub encode_ns: u64,
    /// Best decode time in ns.
    #[serde(default)]
    pub decode_ns: u64,
    /// Encoded size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Why it was not measured (e.g. json cannot carry bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// serializer name -> workload name -> timing.
pub type CodecTable = BTreeMap<String, BTreeMap<String, CodecTiming>>;

/// Both sides of the codec section.
#[derive(Debug, Serialize)]
pub struct CodecSummary {
    /// Rounds per cell (best kept).
    pub rounds: u32,
    /// pyro's codecs.
    pub rust: CodecTable,
    /// Pyro5's codecs.
    pub python: CodecTable,
}

fn small_dicts() -> Value {
    Value::List(
        (0..100_000i64)
            .map(|i| {
                let mut dict = Dict::with_capacity(5);
                dict.insert("id", i);
                dict.insert("name", format!("item-{i}"));
                dict.insert("price", i as f64 * 0.5);
                dict.insert("tags", Value::List(vec!["red".into(), "small".into()]));
                dict.insert("active", i % 2 == 0);
                Value::Dict(dict)
            })
            .collect(),
    )
}

fn blob() -> Value {
    let pattern: Vec<u8> = (0..=255u8).collect();
    Value::Bytes(pattern.repeat(10 * 1024 * 1024 / 256))
}

fn nanos(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn time_rust(serializer: Serializer, data: &Value, rounds: u32) -> CodecTiming {
    let mut best: Option<(u64, u64, u64)> = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let encoded = match serializer.to_bytes(data) {
            Ok(encoded) => encoded,
            Err(e) => return CodecTiming { encode_ns: 0, decode_ns: 0, bytes: 0, error: Some(e.to_string()) },
        };
        let encode = nanos(t);
        let t = Instant::now();
        let decoded: Value = match serializer.from_bytes(&encoded) {
            Ok(decoded) => decoded,
            Err(e) => {
                return CodecTiming { encode_ns: 0, decode_ns: 0, bytes: 0, error: Some(format!("decoding: {e}")) };
            }
        };
        let decode = nanos(t);
        drop(decoded);
        let size = encoded.len() as u64;
        best = Some(match best {
            None => (encode, decode, size),
            Some((e, d, _)) => (e.min(encode), d.min(decode), size),
        });
    }
    let (encode_ns, decode_ns, bytes) = best.unwrap_or_default();
    CodecTiming { encode_ns, decode_ns, bytes, error: None }
}

/// Runs both sides and returns what they measured.
pub fn measure(python: &Python, rounds: u32) -> Result<CodecSummary> {
    let workloads = [small_dicts(), blob()];
    let mut rust = CodecTable::new();
    for serializer in SERIALIZERS {
        let cells = rust.entry(serializer.name().to_owned()).or_default();
        for (name, data) in WORKLOADS.iter().zip(&workloads) {
            eprint!("bench: codec {:<8} {:<17} Rust ... ", serializer.name(), name);
            let timing = time_rust(serializer, data, rounds);
            eprintln!("{}", describe(&timing));
            cells.insert((*name).to_owned(), timing);
        }
    }
    eprintln!("bench: codecs, Python (Pyro5's serializers) ...");
    let output = python
        .script(PYTHON_SCRIPT, &[rounds.to_string()])
        .output()
        .map_err(|e| format!("running the Python codec benchmark: {e}"))?;
    if !output.status.success() {
        return Err(format!("the Python codec benchmark failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let python: CodecTable = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the Python codec benchmark printed something else ({e})"))?;
    Ok(CodecSummary { rounds, rust, python })
}

fn describe(timing: &CodecTiming) -> String {
    match &timing.error {
        Some(error) => format!("not carried: {error}"),
        None => format!("encode {:.1} ms, decode {:.1} ms", ms(timing.encode_ns), ms(timing.decode_ns)),
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

impl CodecSummary {
    /// The table: per serializer and workload, both sides' times and Python / Rust ratios.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nCodecs (best of {} rounds; speed-up = Python time / Rust time)", self.rounds);
        let _ = writeln!(
            out,
            "{:<8} {:<17} {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8} | {:>9} {:>9}",
            "ser", "workload", "Rust enc", "Rust dec", "size", "Py enc", "Py dec", "size", "enc x", "dec x"
        );
        for serializer in SERIALIZERS {
            for workload in WORKLOADS {
                let rust = self.rust.get(serializer.name()).and_then(|cells| cells.get(workload));
                let python = self.python.get(serializer.name()).and_then(|cells| cells.get(workload));
                let _ = writeln!(out, "{}", row(serializer.name(), workload, rust, python));
            }
        }
        for (serializer, workload, encode, decode) in self.targets() {
            let met = |x: f64| if x >= 20.0 { "met" } else { "NOT met" };
            let _ = writeln!(
                out,
                "target: {serializer} {workload} at least 20x Pyro5: encode {encode:.1}x ({}), decode {decode:.1}x ({})",
                met(encode),
                met(decode)
            );
        }
        out
    }

    /// (serializer, workload, encode speed-up, decode speed-up) for serpent and marshal.
    pub fn targets(&self) -> Vec<(&'static str, &'static str, f64, f64)> {
        let mut targets = Vec::new();
        for serializer in ["serpent", "marshal"] {
            for workload in WORKLOADS {
                let rust = self.rust.get(serializer).and_then(|cells| cells.get(workload));
                let python = self.python.get(serializer).and_then(|cells| cells.get(workload));
                if let (Some(rust), Some(python)) = (measured(rust), measured(python)) {
                    targets.push((
                        serializer,
                        workload,
                        ratio(python.encode_ns, rust.encode_ns),
                        ratio(python.decode_ns, rust.decode_ns),
                    ));
                }
            }
        }
        targets
    }
}

fn measured(timing: Option<&CodecTiming>) -> Option<&CodecTiming> {
    timing.filter(|t| t.error.is_none())
}

fn ratio(python: u64, rust: u64) -> f64 {
    python as f64 / rust.max(1) as f64
}

fn row(serializer: &str, workload: &str, rust: Option<&CodecTiming>, python: Option<&CodecTiming>) -> String {
    let side = |timing: Option<&CodecTiming>| match measured(timing) {
        Some(t) => format!("{:>8.1}ms {:>8.1}ms {:>8}", ms(t.encode_ns), ms(t.decode_ns), kib(t.bytes)),
        None => format!("{:>10} {:>10} {:>8}", "-", "-", "-"),
    };
    let speedup = match (measured(rust), measured(python)) {
        (Some(r), Some(p)) => {
            format!("{:>8.1}x {:>8.1}x", ratio(p.encode_ns, r.encode_ns), ratio(p.decode_ns, r.decode_ns))
        }
        _ => format!("{:>9} {:>9}", "-", "-"),
    };
    format!("{serializer:<8} {workload:<17} {} | {} | {speedup}", side(rust), side(python))
}

fn kib(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{:.1}MB", bytes as f64 / f64::from(1 << 20)) } else { format!("{}KB", bytes >> 10) }
}
