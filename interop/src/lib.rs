//! Runs real Python Pyro5 5.17 next to pyro, for interop tests.
//!
//! The first use bootstraps a virtualenv with `Pyro5==5.17` and `msgpack` under the workspace's
//! `target/pyro5-venv` (or the directory named by `PYRO5_VENV`), guarded by a file lock so that
//! parallel test processes share one install. Nothing has to be installed by hand: `python3` on
//! the `PATH` (or `PYRO5_PYTHON`) and access to PyPI are enough, and the harness says on stderr
//! when it creates an environment or downloads. Without them, each interop test fails with one
//! line saying what is missing and how to point the tests at an existing Pyro5: `PYRO5_VENV` (and
//! `PYRO5_PLAIN_VENV`) naming a virtualenv that already has it is used as it is, and never
//! deleted; `PYRO5_EXAMPLES` names an unpacked copy of Pyro5's example programs.
//!
//! ```no_run
//! let python = pyro_interop::python();
//! let out = python.command().args(["-c", "import Pyro5; print(Pyro5.__version__)"]).output().unwrap();
//! assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5.17");
//! ```

mod certs;
mod codec;
mod examples;
mod server;
mod venv;

pub use certs::{Issued, TestCerts, path_text};
pub use codec::{CodecPeer, hex, unhex};
pub use examples::pyro5_examples;
pub use server::{PythonServer, wait_for};
pub use venv::{Python, python, python_plain};
