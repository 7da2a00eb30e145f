//! Durability with a real kill: a name server process with SQLite storage is killed with
//! SIGKILL while clients register names; a new process on the same database must have every
//! registration that was acknowledged before the kill.
//!
//! The test binary plays both parts (`harness = false`): run normally it is the test; with
//! `PYRO_NS_TEST_SERVE_DB` set it is the name server.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::value::Dict;
use pyro::{Serializer, Uri, Value};
use pyro_ns::{NameServerBuilder, StorageSpec};
use support::TempDir;

const SERVE_DB: &str = "PYRO_NS_TEST_SERVE_DB";
const WRITERS: usize = 4;

fn main() {
    if let Ok(db) = std::env::var(SERVE_DB) {
        serve(&db);
        return;
    }
    let kept = killed_name_server_keeps_every_acknowledged_registration();
    println!(
        "test killed_name_server_keeps_every_acknowledged_registration ... ok ({kept} acknowledged registrations kept)"
    );
}

/// The name server part: serve until killed.
fn serve(db: &str) {
    let bound = NameServerBuilder::new()
        .host("127.0.0.1")
        .port(0)
        .storage(StorageSpec::Sql(db.into()))
        .broadcast(false)
        .bind()
        .unwrap();
    println!("{}", bound.uri());
    bound.serve().unwrap();
}

/// A name server child process, killed when dropped.
struct Server {
    child: Child,
    uri: Uri,
}

impl Server {
    fn start(db: &std::path::Path) -> Server {
        let mut child =
            Command::new(std::env::current_exe().unwrap()).env(SERVE_DB, db).stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let uri = line.trim().parse().unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("the server printed {line:?}: {e}")
        });
        Server { child, uri }
    }

    fn proxy(&self) -> Proxy {
        Proxy::new(self.uri.clone()).with_serializer(Serializer::Msgpack).with_timeout(Some(Duration::from_secs(10)))
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no destructor, no flush, no commit.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn killed_name_server_keeps_every_acknowledged_registration() -> usize {
    let dir = TempDir::new("durability");
    let db = dir.file("names.db");
    let server = Server::start(&db);

    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let proxy = server.proxy();
            let (acknowledged, killed) = (Arc::clone(&acknowledged), Arc::clone(&killed));
            std::thread::spawn(move || {
                for n in 0.. {
                    let (name, uri) = (format!("w{w}.n{n}"), format!("PYRO:obj{n}@10.0.0.{w}:{}", 1000 + n));
                    let metadata: Dict =
                        [("metadata", Value::List(vec![format!("writer{w}").into()]))].into_iter().collect();
                    match proxy.call_with_kwargs::<_, _, ()>("register", &(&name, &uri), &metadata) {
                        Ok(()) => acknowledged.lock().unwrap().push((name, uri)),
                        Err(error) => {
                            assert!(killed.load(Ordering::SeqCst), "a registration failed before the kill: {error}");
                            return;
                        }
                    }
                }
            })
        })
        .collect();

    // Let the writers get going, then kill the server in the middle of their registrations.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    killed.store(true, Ordering::SeqCst);
    server.kill();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} registrations before the kill", acknowledged.len());

    let restarted = Server::start(&db);
    let listing: pyro_ns::Listing =
        restarted.proxy().call_with_kwargs("list", &(), &Dict::from_iter([("return_metadata", true)])).unwrap();
    for (name, uri) in &acknowledged {
        let entry = listing.get(name).unwrap_or_else(|| panic!("{name} was acknowledged but is gone"));
        assert_eq!(entry.uri(), uri);
        let writer = &name[..name.find('.').unwrap()];
        assert_eq!(entry.metadata(), [format!("writer{}", &writer[1..])]);
    }
    // The restarted name server registered itself again (one entry, its new uri).
    assert_eq!(listing["Pyro.NameServer"].uri(), restarted.uri.to_string());
    // Nothing beyond the acknowledged registrations and at most one in flight per writer.
    assert!(listing.len() <= acknowledged.len() + WRITERS + 1, "{} > {}", listing.len(), acknowledged.len());
    restarted.kill();
    acknowledged.len()
}
