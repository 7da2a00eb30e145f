//! Pyro5's own example programs, unchanged: the `examples/` folder of the Pyro5 5.17 source
//! distribution from PyPI, fetched with pip and unpacked once under the target directory, so
//! that tests can run a Python example against its Rust port.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use crate::venv::{python, target_dir};

/// The sdist's file name, as PyPI serves it.
const SDIST: &str = "pyro5-5.17.tar.gz";

/// The folder holding Pyro5 5.17's examples (`batchedcalls/`, `streaming/`, ...), fetched and
/// unpacked on first use. Panics with an explanation when PyPI cannot be reached.
///
/// ```no_run
/// let server = pyro_interop::pyro5_examples().join("batchedcalls").join("server.py");
/// assert!(server.exists());
/// ```
pub fn pyro5_examples() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PYRO5_EXAMPLES") {
            let dir = PathBuf::from(dir);
            return if dir.join("batchedcalls").is_dir() {
                Ok(dir)
            } else {
                Err(format!("PYRO5_EXAMPLES names {}, which has no batchedcalls folder", dir.display()))
            };
        }
        fetch().map_err(|why| {
            eprintln!("pyro-interop: fetching Pyro5 5.17's examples failed: {why}");
            let first = why.lines().next().unwrap_or("unknown error");
            format!(
                "interop tests need Pyro5 5.17's example programs: {first}. Fix: allow pip to reach PyPI, or set \
                 PYRO5_EXAMPLES to the examples folder of an unpacked pyro5-5.17.tar.gz"
            )
        })
    });
    match dir {
        Ok(dir) => dir,
        Err(why) => panic!("{why}"),
    }
}

fn fetch() -> Result<PathBuf, String> {
    let root = target_dir().join("pyro5-examples");
    let examples = root.join("pyro5-5.17").join("examples");
    let stamp = root.join("pyro-interop-ready");
    if stamp.exists() && examples.is_dir() {
        return Ok(examples);
    }
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let lock_path = root.with_extension("lock");
    let lock = fs::File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    if stamp.exists() && examples.is_dir() {
        return Ok(examples);
    }
    let python = python();
    eprintln!(
        "pyro-interop: first run: downloading Pyro5 5.17's source distribution from PyPI for its example programs"
    );
    let download = python
        .command()
        .args(["-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--retries", "1", "--timeout", "30"])
        .args(["--no-deps", "--no-binary", ":all:"])
        .arg("--dest")
        .arg(&root)
        .arg("Pyro5==5.17")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running pip download: {e}"))?;
    if !download.status.success() {
        let stderr = String::from_utf8_lossy(&download.stderr);
        let last = stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("(no output)");
        return Err(format!("pip download Pyro5==5.17 failed: {last}\n{stderr}"));
    }
    // Python's tarfile unpacks it: no tar program or Rust archive crate needed.
    let unpack = python
        .command()
        .args(["-c", "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')"])
        .arg(root.join(SDIST))
        .arg(&root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("unpacking {SDIST}: {e}"))?;
    if !unpack.status.success() {
        return Err(format!("unpacking {SDIST} failed: {}", String::from_utf8_lossy(&unpack.stderr)));
    }
    if !examples.is_dir() {
        return Err(format!("{SDIST} has no examples folder at {}", examples.display()));
    }
    fs::write(&stamp, SDIST).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(examples)
}
