//! Bootstrapping the Python virtualenvs that hold Pyro5 5.17: one with `msgpack` (the
//! [`python`] most tests use) and one with Pyro5's own dependencies only ([`python_plain`],
//! what a plain `pip install Pyro5` gives: serpent, no msgpack).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// One kind of Python environment: where it lives, what it must hold (a change here rebuilds
/// it) and the import check that proves it.
struct Flavor {
    /// Directory name under the target directory.
    dir_name: &'static str,
    /// Environment variable that overrides the directory.
    dir_variable: &'static str,
    requirements: &'static [&'static str],
    check: &'static str,
}

const FULL: Flavor = Flavor {
    dir_name: "pyro5-venv",
    dir_variable: "PYRO5_VENV",
    requirements: &["Pyro5==5.17", "msgpack==1.2.4"],
    check: "import Pyro5, msgpack; assert Pyro5.__version__ == '5.17', Pyro5.__version__",
};

const PLAIN: Flavor = Flavor {
    dir_name: "pyro5-plain-venv",
    dir_variable: "PYRO5_PLAIN_VENV",
    requirements: &["Pyro5==5.17"],
    check: "import Pyro5, Pyro5.serializers as s, importlib.util as u\n\
            assert Pyro5.__version__ == '5.17', Pyro5.__version__\n\
            assert u.find_spec('msgpack') is None, 'msgpack must not be installed'\n\
            assert 'msgpack' not in s.serializers, sorted(s.serializers)",
};

/// A Python interpreter with Pyro5 5.17 and msgpack importable.
#[derive(Debug)]
pub struct Python {
    executable: PathBuf,
    /// Extra `PYTHONPATH` entry, when the fallback `pip install --target` layout is in use.
    site: Option<PathBuf>,
}

impl Python {
    /// A command running this interpreter, with a clean `PYRO_*` environment so that the
    /// caller's settings do not leak into the Python peer.
    ///
    /// ```no_run
    /// let status = pyro_interop::python().command().arg("-c").arg("import Pyro5").status().unwrap();
    /// assert!(status.success());
    /// ```
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.executable);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PYRO_") {
                cmd.env_remove(key);
            }
        }
        if let Some(site) = &self.site {
            cmd.env("PYTHONPATH", site);
        }
        cmd.env("PYTHONUNBUFFERED", "1").env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }

    /// The interpreter's path.
    ///
    /// ```no_run
    /// assert!(pyro_interop::python().executable().exists());
    /// ```
    pub fn executable(&self) -> &Path {
        &self.executable
    }
}

/// The shared interpreter with Pyro5 5.17 and msgpack, bootstrapped on first use (under
/// `target/pyro5-venv`, or `PYRO5_VENV`). Panics with an explanation when Python or PyPI cannot
/// be reached (a test cannot go on without its peer).
///
/// ```no_run
/// let python = pyro_interop::python();
/// ```
pub fn python() -> &'static Python {
    static PYTHON: OnceLock<Python> = OnceLock::new();
    PYTHON.get_or_init(|| {
        bootstrap(&FULL).unwrap_or_else(|why| panic!("cannot set up Python Pyro5 5.17 for interop tests: {why}"))
    })
}

/// An interpreter with Pyro5 5.17 and only its own dependencies (serpent; no msgpack), as a
/// plain `pip install Pyro5` leaves it; bootstrapped on first use (under
/// `target/pyro5-plain-venv`, or `PYRO5_PLAIN_VENV`). Its Pyro5 serves and speaks serpent,
/// marshal and json only.
///
/// ```no_run
/// let status = pyro_interop::python_plain().command().args(["-c", "import msgpack"]).status().unwrap();
/// assert!(!status.success());
/// ```
pub fn python_plain() -> &'static Python {
    static PYTHON: OnceLock<Python> = OnceLock::new();
    PYTHON.get_or_init(|| {
        bootstrap(&PLAIN)
            .unwrap_or_else(|why| panic!("cannot set up Python Pyro5 5.17 without msgpack for interop tests: {why}"))
    })
}

fn venv_dir(flavor: &Flavor) -> PathBuf {
    match std::env::var_os(flavor.dir_variable) {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join(flavor.dir_name),
    }
}

/// The workspace's target directory (where the environments and downloads are kept).
pub(crate) fn target_dir() -> PathBuf {
    // interop/ sits in the workspace root; use the workspace's target directory.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
    // A relative CARGO_TARGET_DIR is relative to where cargo ran (the workspace root here), not
    // to the package directory a test runs in.
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |dir| workspace.join(dir))
}

fn bootstrap(flavor: &Flavor) -> Result<Python, String> {
    let dir = venv_dir(flavor);
    let parent = dir.parent().ok_or("the virtualenv path has no parent")?;
    fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let lock_path = dir.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;

    let stamp = dir.join("pyro-interop-ready");
    let wanted = flavor.requirements.join("\n");
    if let Some(python) = ready(flavor, &dir, &stamp, &wanted) {
        return Ok(python);
    }
    let _ = fs::remove_dir_all(&dir);
    let base = base_python()?;
    let python = create_venv(flavor, &base, &dir).or_else(|venv_err| {
        eprintln!("pyro-interop: venv failed ({venv_err}); falling back to pip install --target");
        create_target_install(flavor, &base, &dir)
    })?;
    fs::write(
        &stamp,
        format!("{wanted}\n{}", python.site.as_deref().map(|p| p.display().to_string()).unwrap_or_default()),
    )
    .map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    check(flavor, &python)?;
    Ok(python)
}

/// The existing install, if its stamp says it holds the wanted requirements.
fn ready(flavor: &Flavor, dir: &Path, stamp: &Path, wanted: &str) -> Option<Python> {
    let text = fs::read_to_string(stamp).ok()?;
    let (reqs, site) = text.rsplit_once('\n')?;
    if reqs != wanted {
        return None;
    }
    let python = if site.is_empty() {
        Python { executable: dir.join("bin").join("python"), site: None }
    } else {
        Python {
            executable: PathBuf::from(std::env::var_os("PYRO5_PYTHON").unwrap_or_else(|| "python3".into())),
            site: Some(PathBuf::from(site)),
        }
    };
    check(flavor, &python).ok().map(|()| python)
}

fn base_python() -> Result<PathBuf, String> {
    let exe = PathBuf::from(std::env::var_os("PYRO5_PYTHON").unwrap_or_else(|| "python3".into()));
    match Command::new(&exe).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(exe),
        Ok(out) => Err(format!("{} --version failed: {}", exe.display(), String::from_utf8_lossy(&out.stderr))),
        Err(e) => Err(format!(
            "python3 is required for the interop tests and was not found ({}: {e}); install Python 3 or set PYRO5_PYTHON",
            exe.display()
        )),
    }
}

fn create_venv(flavor: &Flavor, base: &Path, dir: &Path) -> Result<Python, String> {
    run(Command::new(base).args(["-m", "venv"]).arg(dir), "python3 -m venv")?;
    let python = Python { executable: dir.join("bin").join("python"), site: None };
    run(
        python
            .command()
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(flavor.requirements),
        "pip install",
    )?;
    Ok(python)
}

fn create_target_install(flavor: &Flavor, base: &Path, dir: &Path) -> Result<Python, String> {
    let site = dir.join("site");
    run(
        Command::new(base)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&site)
            .args(flavor.requirements),
        "pip install --target",
    )?;
    Ok(Python { executable: base.to_path_buf(), site: Some(site) })
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn check(flavor: &Flavor, python: &Python) -> Result<(), String> {
    let out = python
        .command()
        .args(["-c", flavor.check])
        .output()
        .map_err(|e| format!("running {}: {e}", python.executable.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("the Python environment is not as required: {}", String::from_utf8_lossy(&out.stderr)))
    }
}
