//! Bootstrapping the Python virtualenv that holds Pyro5 5.17.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What the virtualenv must hold; a change here rebuilds it.
const REQUIREMENTS: &[&str] = &["Pyro5==5.17", "msgpack==1.2.4"];

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

/// The shared interpreter, bootstrapped on first use. Panics with an explanation when Python
/// or PyPI cannot be reached (a test cannot go on without its peer).
///
/// ```no_run
/// let python = pyro_interop::python();
/// ```
pub fn python() -> &'static Python {
    static PYTHON: OnceLock<Python> = OnceLock::new();
    PYTHON.get_or_init(|| {
        bootstrap().unwrap_or_else(|why| panic!("cannot set up Python Pyro5 5.17 for interop tests: {why}"))
    })
}

fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PYRO5_VENV") {
        return PathBuf::from(dir);
    }
    // interop/ sits in the workspace root; use the workspace's target directory.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
    // A relative CARGO_TARGET_DIR is relative to where cargo ran (the workspace root here), not
    // to the package directory a test runs in.
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("pyro5-venv")
}

fn bootstrap() -> Result<Python, String> {
    let dir = venv_dir();
    let parent = dir.parent().ok_or("the virtualenv path has no parent")?;
    fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let lock_path = dir.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;

    let stamp = dir.join("pyro-interop-ready");
    let wanted = REQUIREMENTS.join("\n");
    if let Some(python) = ready(&dir, &stamp, &wanted) {
        return Ok(python);
    }
    let _ = fs::remove_dir_all(&dir);
    let base = base_python()?;
    let python = create_venv(&base, &dir).or_else(|venv_err| {
        eprintln!("pyro-interop: venv failed ({venv_err}); falling back to pip install --target");
        create_target_install(&base, &dir)
    })?;
    fs::write(
        &stamp,
        format!("{wanted}\n{}", python.site.as_deref().map(|p| p.display().to_string()).unwrap_or_default()),
    )
    .map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    check(&python)?;
    Ok(python)
}

/// The existing install, if its stamp says it holds the wanted requirements.
fn ready(dir: &Path, stamp: &Path, wanted: &str) -> Option<Python> {
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
    check(&python).ok().map(|()| python)
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

fn create_venv(base: &Path, dir: &Path) -> Result<Python, String> {
    run(Command::new(base).args(["-m", "venv"]).arg(dir), "python3 -m venv")?;
    let python = Python { executable: dir.join("bin").join("python"), site: None };
    run(
        python.command().args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(REQUIREMENTS),
        "pip install",
    )?;
    Ok(python)
}

fn create_target_install(base: &Path, dir: &Path) -> Result<Python, String> {
    let site = dir.join("site");
    run(
        Command::new(base)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&site)
            .args(REQUIREMENTS),
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

fn check(python: &Python) -> Result<(), String> {
    let out = python
        .command()
        .args(["-c", "import Pyro5, msgpack; assert Pyro5.__version__ == '5.17', Pyro5.__version__"])
        .output()
        .map_err(|e| format!("running {}: {e}", python.executable.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("Pyro5 5.17 is not importable: {}", String::from_utf8_lossy(&out.stderr)))
    }
}
