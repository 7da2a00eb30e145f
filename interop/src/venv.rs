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

/// The file that marks an environment these tests made, with what it holds.
const STAMP: &str = "pyro-interop-ready";

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
/// `target/pyro5-venv`, or `PYRO5_VENV`). When Python or PyPI cannot be reached it panics with
/// one line saying what is missing and how to point the tests at an existing Pyro5 (a test cannot
/// go on without its peer); the attempt is made once per test process, so the other interop
/// tests of that process fail at once with the same line.
///
/// ```no_run
/// let python = pyro_interop::python();
/// ```
pub fn python() -> &'static Python {
    static PYTHON: OnceLock<Result<Python, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| bootstrap(&FULL, &Environment::current(&FULL))) {
        Ok(python) => python,
        Err(why) => panic!("{why}"),
    }
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
    static PYTHON: OnceLock<Result<Python, String>> = OnceLock::new();
    match PYTHON.get_or_init(|| bootstrap(&PLAIN, &Environment::current(&PLAIN))) {
        Ok(python) => python,
        Err(why) => panic!("{why}"),
    }
}

/// Where a flavor's environment lives and which interpreter builds it: from the environment
/// variables, or given (for the tests of the bootstrap itself).
struct Environment {
    /// The virtualenv's directory.
    dir: PathBuf,
    /// Whether the user named the directory (`PYRO5_VENV`...): an existing environment there is
    /// used as it is and never deleted.
    named: bool,
    /// The interpreter that creates the environment (`PYRO5_PYTHON`, default `python3`).
    base: PathBuf,
}

impl Environment {
    fn current(flavor: &Flavor) -> Environment {
        let named = std::env::var_os(flavor.dir_variable);
        Environment {
            named: named.is_some(),
            dir: named.map_or_else(|| target_dir().join(flavor.dir_name), PathBuf::from),
            base: base_python_name(),
        }
    }
}

fn base_python_name() -> PathBuf {
    PathBuf::from(std::env::var_os("PYRO5_PYTHON").unwrap_or_else(|| "python3".into()))
}

/// The one line a test fails with when the environment cannot be had: what went wrong (its
/// first line; the whole story went to stderr) and how to use an existing Pyro5 instead.
fn failure_line(flavor: &Flavor, dir: &Path, why: &str) -> String {
    let first = why.lines().next().unwrap_or("unknown error");
    let what = if flavor.requirements.len() > 1 { "Pyro5 5.17 and msgpack" } else { "Pyro5 5.17 without msgpack" };
    format!(
        "interop tests need Python {what} in {}: {first}. Fix: install python3 and allow pip to reach PyPI, \
         or set {} to an existing virtualenv with {} (PYRO5_PYTHON names the interpreter to build one with)",
        dir.display(),
        flavor.dir_variable,
        flavor.requirements.join(" "),
    )
}

/// The workspace's target directory (where the environments and downloads are kept).
pub(crate) fn target_dir() -> PathBuf {
    // interop/ sits in the workspace root; use the workspace's target directory.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
    // A relative CARGO_TARGET_DIR is relative to where cargo ran (the workspace root here), not
    // to the package directory a test runs in.
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |dir| workspace.join(dir))
}

fn bootstrap(flavor: &Flavor, env: &Environment) -> Result<Python, String> {
    bootstrap_inner(flavor, env).map_err(|why| {
        eprintln!("pyro-interop: setting up Python for the interop tests failed: {why}");
        failure_line(flavor, &env.dir, &why)
    })
}

fn bootstrap_inner(flavor: &Flavor, env: &Environment) -> Result<Python, String> {
    let dir = &env.dir;
    // A virtualenv the user named that already holds what is needed serves as it is.
    let existing = Python { executable: dir.join("bin").join("python"), site: None };
    if env.named && existing.executable.exists() && !dir.join(STAMP).exists() {
        return check(flavor, &existing)
            .map(|()| existing)
            .map_err(|why| format!("{} names {}, which is not usable: {why}", flavor.dir_variable, dir.display()));
    }
    let parent = dir.parent().ok_or("the virtualenv path has no parent")?;
    fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let lock_path = dir.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;

    let stamp = dir.join(STAMP);
    let wanted = flavor.requirements.join("\n");
    if let Some(python) = ready(flavor, dir, &stamp, &wanted, &env.base) {
        return Ok(python);
    }
    if dir.exists() && !stamp.exists() && env.named {
        return Err(format!(
            "{} names {}, which is neither a virtualenv nor one made by these tests (not deleted)",
            flavor.dir_variable,
            dir.display()
        ));
    }
    let _ = fs::remove_dir_all(dir);
    let base = base_python(&env.base)?;
    eprintln!(
        "pyro-interop: first run: creating a Python virtualenv at {} and installing {} from PyPI \
         (once; set {} to use an existing one)",
        dir.display(),
        flavor.requirements.join(" "),
        flavor.dir_variable
    );
    let python = create_venv(flavor, &base, dir).or_else(|venv_err| {
        eprintln!("pyro-interop: venv failed ({venv_err}); falling back to pip install --target");
        create_target_install(flavor, &base, dir)
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
fn ready(flavor: &Flavor, dir: &Path, stamp: &Path, wanted: &str, base: &Path) -> Option<Python> {
    let text = fs::read_to_string(stamp).ok()?;
    let (reqs, site) = text.rsplit_once('\n')?;
    if reqs != wanted {
        return None;
    }
    let python = if site.is_empty() {
        Python { executable: dir.join("bin").join("python"), site: None }
    } else {
        Python { executable: base.to_path_buf(), site: Some(PathBuf::from(site)) }
    };
    check(flavor, &python).ok().map(|()| python)
}

fn base_python(exe: &Path) -> Result<PathBuf, String> {
    match Command::new(exe).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(exe.to_path_buf()),
        Ok(out) => Err(format!("{} --version failed: {}", exe.display(), String::from_utf8_lossy(&out.stderr))),
        Err(e) => Err(format!("{} was not found ({e}); python3 is needed to build it", exe.display())),
    }
}

/// `pip install` quietly, trying an unreachable index once and for 30 s at most, so that a
/// machine without PyPI access fails in seconds.
const PIP_INSTALL: &[&str] =
    &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "1", "--timeout", "30"];

fn create_venv(flavor: &Flavor, base: &Path, dir: &Path) -> Result<Python, String> {
    run(Command::new(base).args(["-m", "venv"]).arg(dir), "python3 -m venv")?;
    let python = Python { executable: dir.join("bin").join("python"), site: None };
    run(python.command().args(PIP_INSTALL).args(flavor.requirements), "pip install")?;
    Ok(python)
}

fn create_target_install(flavor: &Flavor, base: &Path, dir: &Path) -> Result<Python, String> {
    let site = dir.join("site");
    run(
        Command::new(base).args(PIP_INSTALL).arg("--target").arg(&site).args(flavor.requirements),
        "pip install --target",
    )?;
    Ok(Python { executable: base.to_path_buf(), site: Some(site) })
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!("{what} failed ({}): {}\n{stdout}{stderr}", out.status, last_line(&stderr)))
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
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!("the Python environment is not as required: {}\n{stderr}", last_line(&stderr)))
    }
}

/// The last non-empty line of a program's output: where pip and Python put the error itself.
fn last_line(text: &str) -> &str {
    text.lines().rev().map(str::trim).find(|line| !line.is_empty()).unwrap_or("(no output)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = target_dir().join("interop-venv-tests").join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn without_python_the_failure_is_one_line_naming_the_fix() {
        let dir = scratch("no-python");
        let env = Environment { dir: dir.clone(), named: false, base: PathBuf::from("/nonexistent/python3") };
        let why = bootstrap(&FULL, &env).expect_err("no interpreter, no environment");
        assert_eq!(why.lines().count(), 1, "{why}");
        assert!(why.contains("/nonexistent/python3 was not found"), "{why}");
        assert!(why.contains("PYRO5_VENV"), "{why}");
        assert!(why.contains("Pyro5==5.17 msgpack==1.2.4"), "{why}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_named_directory_that_is_no_virtualenv_is_reported_and_kept() {
        let dir = scratch("named");
        fs::create_dir_all(&dir).expect("scratch dir");
        fs::write(dir.join("keep-me"), "user data").expect("a user file");
        let env = Environment { dir: dir.clone(), named: true, base: PathBuf::from("python3") };
        let why = bootstrap(&PLAIN, &env).expect_err("not a virtualenv");
        assert_eq!(why.lines().count(), 1, "{why}");
        assert!(why.contains("PYRO5_PLAIN_VENV names"), "{why}");
        assert!(dir.join("keep-me").exists(), "the user's directory was deleted");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_named_virtualenv_without_pyro5_says_what_is_missing() {
        // The shared environment's interpreter, seen through a fake virtualenv layout.
        let Some(real) = std::env::var_os("PYRO5_VENV").map(PathBuf::from) else { return };
        let dir = scratch("no-pyro5");
        fs::create_dir_all(dir.join("bin")).expect("scratch bin");
        std::os::unix::fs::symlink(real.join("bin").join("python"), dir.join("bin").join("python")).expect("symlink");
        let env = Environment { dir: dir.clone(), named: true, base: PathBuf::from("python3") };
        // Whichever Python that turns out to be, it is not Pyro5 without msgpack.
        let why = bootstrap(&PLAIN, &env).expect_err("not a plain Pyro5");
        assert_eq!(why.lines().count(), 1, "{why}");
        assert!(why.contains("PYRO5_PLAIN_VENV names") && why.contains("not usable"), "{why}");
        assert!(why.contains("the Python environment is not as required"), "{why}");
        let _ = fs::remove_dir_all(&dir);
    }
}
