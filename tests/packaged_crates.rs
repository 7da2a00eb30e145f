//! The proof that the crates work outside this workspace, as a user gets them: `cargo package`
//! makes the `.crate` files that would be published, a new cargo project under
//! `target/package-proof/` depends on them (`pyro5 = "0.1"`, patched to the unpacked packages),
//! builds the README's examples and the packaged quickstart offline, and they talk to Python's
//! Pyro5 both ways.
//!
//! The new project has a target directory of its own there, kept between runs, so only the
//! first run builds its dependencies.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use pyro_interop::{PythonServer, python};

/// The packages a user's project pulls in, in dependency order (the name server is packaged and
/// unpacked too, to prove that it packages).
const PACKAGES: [&str; 4] = ["pyro5-macros", "pyro5-runtime", "pyro5", "pyro5-ns"];

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn proof_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from);
    workspace().join(target).join("package-proof")
}

fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Nothing of the outer build leaks into the new project's.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" || key == "RUSTFLAGS" {
            cargo.env_remove(key);
        }
    }
    cargo
}

fn run(command: &mut Command, what: &str) -> Output {
    let out = command.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The body of the README's first code block opened by `fence` whose text starts with `text`.
fn readme_block(fence: &str, text: &str) -> String {
    let readme = fs::read_to_string(workspace().join("README.md")).unwrap();
    let opening = format!("{fence}\n{text}");
    let start =
        readme.find(&opening).unwrap_or_else(|| panic!("the README has no {opening:?} block")) + fence.len() + 1;
    let length = readme[start..].find("```").unwrap();
    readme[start..start + length].to_owned()
}

/// `cargo package` (no verification build: the new project is the build), then each `.crate`
/// unpacked under `crates/`.
fn package(proof: &Path) -> PathBuf {
    let build = proof.join("package-target");
    let mut command = cargo();
    command.current_dir(workspace()).args(["package", "--no-verify", "--allow-dirty", "--offline", "--quiet"]);
    for package in PACKAGES {
        command.args(["-p", package]);
    }
    run(command.arg("--target-dir").arg(&build), "cargo package");
    let crates = proof.join("crates");
    fs::create_dir_all(&crates).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for package in PACKAGES {
        let name = format!("{package}-{version}");
        let file = build.join("package").join(format!("{name}.crate"));
        // Unpacked again only when it changed, so that the new project rebuilds only then.
        let unpacked = crates.join(format!("{name}.crate"));
        if fs::read(&unpacked).ok() == Some(fs::read(&file).unwrap()) && crates.join(&name).is_dir() {
            continue;
        }
        let _ = fs::remove_dir_all(crates.join(&name));
        run(Command::new("tar").arg("xzf").arg(&file).arg("-C").arg(&crates), "unpacking a .crate");
        fs::copy(&file, &unpacked).unwrap();
    }
    crates
}

/// The user's project: the README's examples and the quickstart as binaries.
fn write_project(proof: &Path, crates: &Path) -> PathBuf {
    let app = proof.join("app");
    fs::create_dir_all(app.join("src").join("bin")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let patch = |package: &str| format!("{package} = {{ path = {:?} }}\n", crates.join(format!("{package}-{version}")));
    let manifest = format!(
        "[package]\nname = \"pyro-user\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\npyro5 = \"0.1\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\n\
         # Not published yet: the packages as cargo package made them.\n[patch.crates-io]\n{}{}{}\n\
         [profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n\
         # A project of its own, not a member of the workspace it sits in.\n[workspace]\n",
        patch("pyro5"),
        patch("pyro5-runtime"),
        patch("pyro5-macros"),
    );
    fs::write(app.join("Cargo.toml"), manifest).unwrap();
    // The versions already downloaded for the workspace, so that it builds offline.
    fs::copy(workspace().join("Cargo.lock"), app.join("Cargo.lock")).unwrap();
    let bin = app.join("src").join("bin");
    fs::write(bin.join("readme.rs"), readme_block("```rust", "#[derive(Default)]\npub struct Counter")).unwrap();
    fs::write(bin.join("echo.rs"), readme_block("```rust,no_run", "/// What Pyro5's test echo server")).unwrap();
    let quickstart = crates.join(format!("pyro5-{version}")).join("examples").join("quickstart.rs");
    fs::copy(&quickstart, bin.join("quickstart.rs")).unwrap_or_else(|e| panic!("{}: {e}", quickstart.display()));
    app
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_new_project_builds_the_readme_against_the_packaged_crates_and_talks_to_python() {
    let proof = proof_dir();
    let crates = package(&proof);
    for package in PACKAGES {
        let manifest =
            fs::read_to_string(crates.join(format!("{package}-{}", env!("CARGO_PKG_VERSION"))).join("Cargo.toml"))
                .unwrap();
        assert!(
            !manifest.contains("path = \"..") && !manifest.contains("path = \"/"),
            "{package} is packaged with a path dependency:\n{manifest}"
        );
        assert!(!manifest.contains("pyro-interop"), "{package} is packaged with the test harness:\n{manifest}");
    }
    let app = write_project(&proof, &crates);
    let target = proof.join("target");
    run(
        cargo().current_dir(&app).args(["build", "--offline", "--quiet", "--bins"]).arg("--target-dir").arg(&target),
        "building the new project",
    );
    let exe = |name: &str| target.join("debug").join(name);

    // The README's first example: a daemon and a typed proxy in one process.
    run(&mut Command::new(exe("readme")), "the README's example");

    // The README's Rust-calls-Python example against Pyro5's own echo server.
    let script = "import Pyro5.api\n\
                  from Pyro5.utils.echoserver import EchoServer\n\
                  d = Pyro5.api.Daemon(host='127.0.0.1')\n\
                  print(d.register(EchoServer, 'test.echoserver'), flush=True)\n\
                  d.requestLoop()";
    let echo_server = PythonServer::start(python(), script);
    let out = run(Command::new(exe("echo")).arg(echo_server.uri()), "the README's echo client");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello from Rust");
    drop(echo_server);

    // The packaged quickstart, kept serving, called by the README's Python snippet.
    let mut child = Command::new(exe("quickstart"))
        .args(["--serve", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _quickstart = Killed(child);
    // Its output is read to the end (a closed pipe would end it), the URI handed over.
    let (found, uri) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("5. still serving ") {
                let _ = found.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
    });
    let uri = uri.recv_timeout(Duration::from_secs(60)).expect("the quickstart says where it keeps serving");
    let snippet = readme_block("```python", "import Pyro5.api\nshopping = ");
    assert!(snippet.contains("PYRO:example.shopping@127.0.0.1:9999"), "{snippet}");
    let snippet = snippet.replace("PYRO:example.shopping@127.0.0.1:9999", &uri);
    let out = run(python().command().args(["-c", &snippet]), "the README's Python snippet");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "3 ['3 x apples', '1 x bread', '2 x milk']",
        "the Python client sees the list the demo filled"
    );
}
