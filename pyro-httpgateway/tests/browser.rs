//! The front page in a real browser: headless Chromium opens `/pyro/`, whose own script calls
//! objects through the gateway (the calls given in the page's fragment), and the test reads the
//! results from the DOM Chromium dumps; a screenshot is kept under
//! `target/pyro-httpgateway/front-page.png`.
//!
//! Chromium is Debian's `chromium` package; when it is missing the test installs it with
//! `apt-get` (as root), and when that is impossible it says so in one line and passes.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::{RunningGateway, python_objects, settings};

/// The Chromium program, installed if needed; `None` (after saying why) when there is none.
fn chromium() -> Option<PathBuf> {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
            let out = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
    };
    if let Some(path) = find() {
        return Some(path);
    }
    let installed = Command::new("apt-get")
        .args(["install", "-y", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    match find() {
        Some(path) => Some(path),
        None => {
            println!("SKIPPED: no Chromium, and `apt-get install -y chromium` failed (installed: {installed})");
            None
        }
    }
}

fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=1200,1400",
        "--virtual-time-budget=15000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

#[test]
fn the_front_page_calls_objects_from_the_browser() {
    let Some(chromium) = chromium() else { return };
    let (_objects, ns_port) = python_objects();
    let gw = RunningGateway::start(settings(ns_port));
    // The calls the page's script makes on loading (each `call` is URL-encoded).
    let calls = [
        "http.thing/echo?message=hello%20browser&n=1&n=2",
        "http.thing/value",
        "http.thing/fail",
        "hidden.thing/echo",
        "http.thing/$meta",
    ];
    let fragment: Vec<String> = calls
        .iter()
        .map(|c| format!("call={}", percent_encoding::utf8_percent_encode(c, percent_encoding::NON_ALPHANUMERIC)))
        .collect();
    let url = format!("{}/pyro/#{}", gw.base(), fragment.join("&"));

    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyro-httpgateway");
    std::fs::create_dir_all(&out_dir).unwrap();
    let profile = out_dir.join("chromium-profile");
    let dump = headless(&chromium, &profile).arg("--dump-dom").arg(&url).stderr(Stdio::null()).output().unwrap();
    assert!(dump.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dump.stderr));
    let dom = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(dom.contains(r#"data-replayed="5""#), "the page's script did not finish its calls:\n{dom}");

    // Each call's log entry: its status and the answer as the page received it.
    let entries: Vec<&str> = dom.split("<li data-status=").skip(1).collect();
    assert_eq!(entries.len(), 5, "{dom}");
    let expect = [
        ("\"200\"", r#"{"message": "hello browser", "kwargs": {"n": ["1", "2"]}}"#),
        ("\"200\"", ">42</pre>"),
        ("\"500\"", "builtins.ValueError"),
        ("\"403\"", "403 Forbidden - access to the requested object has been denied"),
        ("\"200\"", r#""attributes": ["value"]"#),
    ];
    for (entry, (status, text)) in entries.iter().zip(expect) {
        assert!(entry.starts_with(status), "{entry}");
        assert!(entry.contains(text), "expected {text} in {entry}");
    }
    // The table of exposed names was rendered, without the hidden one.
    assert!(dom.contains(">http.thing</a>") && !dom.contains(">hidden.thing</a>"));

    let screenshot = out_dir.join("front-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let shot = headless(&chromium, &profile)
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(&url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(shot.success());
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot at {}", screenshot.display());
    println!("screenshot: {}", screenshot.display());
}
