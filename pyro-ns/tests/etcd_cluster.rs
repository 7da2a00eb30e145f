//! `pyro-ns` on etcd, against a real three-member etcd cluster on loopback ports: several name
//! servers share one name space (from Rust, from Python's `locate_ns`/`PYRONAME:`/`PYROMETA:`
//! and from `pyro-nsc`); SIGKILL of the etcd leader and of one name server during a stream of
//! registrations loses no acknowledged registration while lookups go on through the
//! survivors; a killed daemon's names expire in bounded time, checked by one name server at a
//! time. Skips (printing why) where etcd is missing and cannot be installed.
#![allow(clippy::unwrap_used)]

#[path = "cli_common/mod.rs"]
mod cli_common;
mod etcd_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_common::{NameServerProcess, nsc};
use etcd_support::{EtcdCluster, etcd_or_skip};
use pyro::naming::NameServerProxy;
use pyro::{Config, Uri};
use pyro_ns::storage::EtcdStorage;
use pyro_ns::{AutoClean, NameServerBuilder, StorageSpec};
use serde_json::Value as Json;

/// A `pyro-ns` process on loopback over the cluster's name space `prefix`.
fn instance(cluster: &EtcdCluster, prefix: &str) -> NameServerProcess {
    NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x", "-s", &cluster.spec(prefix)])
}

/// A client of `ns`, with a timeout above the storage's retry deadline.
fn client(ns: &NameServerProcess) -> NameServerProxy {
    let config = Config { comm_timeout: Some(Duration::from_secs(15)), ..Config::default() };
    NameServerProxy::with_config(ns.uri.parse().unwrap(), &config)
}

fn tags(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const PYTHON_CLIENT: &str = r#"
import json, sys, threading
import Pyro5.api

port_a, port_b, port_c = (int(p) for p in sys.argv[1:4])
Pyro5.config.COMMTIMEOUT = 15

def out(case, value):
    print(json.dumps({"case": case, "value": value}), flush=True)

@Pyro5.api.expose
class Greeter:
    def hello(self, name):
        return "hello " + name

daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
uri = daemon.register(Greeter(), "py.greeter")
threading.Thread(target=daemon.requestLoop, daemon=True).start()

a = Pyro5.api.locate_ns("127.0.0.1", port_a)
b = Pyro5.api.locate_ns("127.0.0.1", port_b)
a.register("py.greeter", uri, metadata={"greeting", "python"})
out("lookup_b", str(b.lookup("py.greeter")))
found, meta = b.lookup("py.greeter", return_metadata=True)
out("lookup_meta_b", [str(found), sorted(meta)])
out("rust_thing_b", str(b.lookup("rust.thing")))
out("list_b", sorted(b.list(prefix="py.").keys()))
out("own_entry_b", str(b.lookup("Pyro.NameServer")))
with Pyro5.api.Proxy("PYRONAME:py.greeter@127.0.0.1:%d" % port_b) as p:
    out("pyroname_b", p.hello("b"))
with Pyro5.api.Proxy("PYROMETA:greeting,python@127.0.0.1:%d" % port_c) as p:
    out("pyrometa_c", p.hello("c"))
b.set_metadata("py.greeter", ["greeting", "updated"])
out("yplookup_a", sorted(a.yplookup(meta_all=["updated"]).keys()))
out("done", True)
"#;

#[test]
fn instances_share_one_name_space_for_rust_python_and_nsc() {
    let Some(etcd) = etcd_or_skip("instances_share_one_name_space_for_rust_python_and_nsc") else { return };
    let cluster = EtcdCluster::start(&etcd);
    let (a, b, c) = (instance(&cluster, "shared"), instance(&cluster, "shared"), instance(&cluster, "shared"));

    // Rust: a registration through A is seen through B and C, with its metadata.
    let thing: Uri = "PYRO:thing@127.0.0.1:4444".parse().unwrap();
    client(&a).register("rust.thing", &thing, false, Some(&tags(&["red", "rust"]))).unwrap();
    let (found, metadata) = client(&b).lookup_with_metadata("rust.thing").unwrap();
    assert_eq!((found, metadata), (thing.clone(), tags(&["red", "rust"])));
    assert_eq!(client(&c).yplookup(&["rust"], &[]).unwrap().keys().collect::<Vec<_>>(), ["rust.thing"]);
    // `safe` registration is one etcd transaction: C cannot take A's name.
    let other: Uri = "PYRO:other@127.0.0.1:1".parse().unwrap();
    let refused = client(&c).register("rust.thing", &other, true, None).unwrap_err();
    assert!(refused.to_string().contains("name already registered: rust.thing"), "{refused}");
    assert_eq!(client(&a).lookup("rust.thing").unwrap(), thing);
    // Each instance answers for its own entry, once: count is the shared names plus one.
    for ns in [&a, &b, &c] {
        let listing = client(ns).list(None, None).unwrap();
        assert_eq!(listing["Pyro.NameServer"].to_string(), ns.uri, "{listing:?}");
        assert_eq!(client(ns).count().unwrap(), 2);
    }

    // Python: register through A, look up and resolve through B and C.
    let ports = [a.port().to_string(), b.port().to_string(), c.port().to_string()];
    let output = pyro_interop::python().command().args(["-c", PYTHON_CLIENT]).args(&ports).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results: BTreeMap<String, Json> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .map(|line| (line["case"].as_str().unwrap().to_owned(), line["value"].clone()))
        .collect();
    assert!(
        results.contains_key("done"),
        "the Python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let greeter = results["lookup_b"].as_str().unwrap().to_owned();
    assert!(greeter.starts_with("PYRO:py.greeter@127.0.0.1:"), "{greeter}");
    assert_eq!(results["lookup_meta_b"], serde_json::json!([greeter, ["greeting", "python"]]));
    assert_eq!(results["rust_thing_b"], thing.to_string());
    assert_eq!(results["list_b"], serde_json::json!(["py.greeter"]));
    assert_eq!(results["own_entry_b"], b.uri);
    assert_eq!(results["pyroname_b"], "hello b");
    assert_eq!(results["pyrometa_c"], "hello c");
    assert_eq!(results["yplookup_a"], serde_json::json!(["py.greeter"]));

    // pyro-nsc against any instance.
    let looked_up = nsc(c.port(), &["lookup", "py.greeter"]).ok();
    assert!(looked_up.contains(&greeter), "{looked_up}");
    let listed = nsc(b.port(), &["list", "rust."]).ok();
    assert!(listed.contains("rust.thing --> PYRO:thing@127.0.0.1:4444"), "{listed}");
    let removed = nsc(a.port(), &["remove", "rust.thing"]).ok();
    assert_eq!(removed, "Removed rust.thing\n");
    assert!(client(&c).lookup("rust.thing").is_err());

    // Another prefix is another name space on the same cluster.
    let separate = instance(&cluster, "separate");
    assert_eq!(client(&separate).count().unwrap(), 1);
    assert_eq!(client(&a).count().unwrap(), 2); // its own entry and py.greeter
}

#[test]
fn sigkill_of_the_etcd_leader_and_a_name_server_loses_no_acknowledged_registration() {
    let Some(etcd) = etcd_or_skip("sigkill_of_the_etcd_leader_and_a_name_server_loses_no_acknowledged_registration")
    else {
        return;
    };
    let mut cluster = EtcdCluster::start(&etcd);
    let mut instances = vec![instance(&cluster, "stream"), instance(&cluster, "stream"), instance(&cluster, "stream")];
    let clients: Vec<NameServerProxy> = instances.iter().map(client).collect();
    let uris: Vec<String> = instances.iter().map(|ns| ns.uri.clone()).collect();

    const TOTAL: usize = 150;
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let lookups_after_kill = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (acknowledged, killed, lookups_after_kill) =
            (Arc::clone(&acknowledged), Arc::clone(&killed), Arc::clone(&lookups_after_kill));
        std::thread::spawn(move || {
            let clients: Vec<NameServerProxy> = uris.iter().map(|u| client_for(u)).collect();
            let mut failures = Vec::new();
            for i in 0..TOTAL {
                let name = format!("stream.{i:04}");
                let uri: Uri = format!("PYRO:obj{i}@127.0.0.1:{}", 10000 + i).parse().unwrap();
                // Through the instances in turn; one that fails (killed) passes to the next.
                let mut done = false;
                for attempt in 0..6 {
                    let through = (i + attempt) % clients.len();
                    match clients[through].register(&name, &uri, false, None) {
                        Ok(()) => {
                            acknowledged.lock().unwrap().push((name.clone(), uri.to_string()));
                            done = true;
                            break;
                        }
                        Err(error) => failures.push(format!("{name} through {through}: {error}")),
                    }
                }
                assert!(done, "{name} could not be registered through any instance: {failures:?}");
                // Lookups of earlier registrations through the other instances go on.
                if i > 0 {
                    let earlier = format!("stream.{:04}", i / 2);
                    let found = (1..=2).find_map(|k| clients[(i + k) % clients.len()].lookup(&earlier).ok());
                    assert!(found.is_some(), "{earlier} not found through the survivors");
                    if killed.load(Ordering::SeqCst) {
                        lookups_after_kill.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            failures
        })
    };

    // Kill the etcd leader and one name server while the stream runs.
    let start = Instant::now();
    while acknowledged.lock().unwrap().len() < 40 {
        assert!(start.elapsed() < Duration::from_secs(30), "the stream does not progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    let leader = cluster.leader().expect("the cluster has a leader");
    cluster.kill(leader);
    drop(instances.remove(0)); // SIGKILL (Child::kill)
    killed.store(true, Ordering::SeqCst);
    let acked_at_kill = acknowledged.lock().unwrap().len();

    let failures = writer.join().expect("the writer finished");
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), TOTAL);
    assert!(acked_at_kill < TOTAL, "the kills came after the stream");
    assert!(lookups_after_kill.load(Ordering::SeqCst) > 0);
    eprintln!("stream: {} failed tries, retried through another instance: {failures:?}", failures.len());

    // A new leader among the survivors, and every acknowledged registration through each
    // surviving instance.
    let start = Instant::now();
    while cluster.leader().is_none_or(|l| l == leader) {
        assert!(start.elapsed() < Duration::from_secs(10), "no new etcd leader");
        std::thread::sleep(Duration::from_millis(50));
    }
    for survivor in &clients[1..] {
        let listing = survivor.list(Some("stream."), None).unwrap();
        for (name, uri) in &acknowledged {
            assert_eq!(listing.get(name).map(|u| u.to_string()).as_deref(), Some(uri.as_str()), "{name} lost");
        }
        assert_eq!(listing.len(), TOTAL);
    }
}

fn client_for(uri: &str) -> NameServerProxy {
    let config = Config { comm_timeout: Some(Duration::from_secs(15)), ..Config::default() };
    NameServerProxy::with_config(uri.parse().unwrap(), &config)
}

const PYTHON_DAEMON: &str = r#"
import sys, Pyro5.api

@Pyro5.api.expose
class Thing:
    def ping(self):
        return "pong"

daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
uri = daemon.register(Thing(), "doomed")
Pyro5.api.locate_ns("127.0.0.1", int(sys.argv[1])).register(sys.argv[2], uri)
print("ready", uri, flush=True)
daemon.requestLoop()
"#;

/// A Pyro5 daemon process whose object is registered as `name` through the name server on
/// `port`; killed (SIGKILL) by [`std::process::Child::kill`].
fn python_daemon(port: u16, name: &str) -> std::process::Child {
    let mut child = pyro_interop::python()
        .command()
        .args(["-c", PYTHON_DAEMON, &port.to_string(), name])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("ready PYRO:doomed@"), "the Python daemon did not start: {line:?}");
    child
}

/// Waits until `done` holds, for at most `limit`; how long it took.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
    start.elapsed()
}

#[test]
fn a_killed_daemons_names_expire_checked_by_one_name_server_at_a_time() {
    let Some(etcd) = etcd_or_skip("a_killed_daemons_names_expire_checked_by_one_name_server_at_a_time") else { return };
    let cluster = EtcdCluster::start(&etcd);
    let spec: StorageSpec = cluster.spec("expiry").parse().unwrap();
    let quick = AutoClean {
        interval: Duration::from_millis(200),
        max_unreachable: Duration::from_millis(1000),
        poll: Duration::from_millis(50),
        connect_timeout: Duration::from_millis(500),
    };
    let start = |spec: &StorageSpec| {
        NameServerBuilder::new()
            .host("127.0.0.1")
            .port(0)
            .storage(spec.clone())
            .autoclean(Some(quick.clone()))
            .start()
            .unwrap()
    };
    let (first, second) = (start(&spec), start(&spec));

    // A live server, pinged by the sweeps: counted, to see that only one instance sweeps.
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let live_uri = format!("PYRO:live@127.0.0.1:{}", live.local_addr().unwrap().port());
    first.name_server().register("live".into(), live_uri.as_str().into(), None, None).unwrap();
    let pings = Arc::new(AtomicUsize::new(0));
    {
        let pings = Arc::clone(&pings);
        std::thread::spawn(move || {
            for connection in live.incoming() {
                drop(connection);
                pings.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    wait_until(Duration::from_secs(10), "a first sweep", || pings.load(Ordering::SeqCst) > 0);
    // Exactly one of the two has the turn.
    let turns =
        [first.name_server(), second.name_server()].map(|ns| ns.storage().autoclean_turn(quick.interval).unwrap());
    assert_eq!(turns.iter().filter(|&&t| t).count(), 1, "{turns:?}");
    let window = Duration::from_secs(2);
    let before = pings.load(Ordering::SeqCst);
    std::thread::sleep(window);
    let swept = pings.load(Ordering::SeqCst) - before;
    // One sweeper: at most one ping per interval (two would ping about twice as often).
    let most = (window.as_millis() / quick.interval.as_millis()) as usize + 1;
    assert!((1..=most).contains(&swept), "{swept} pings in {window:?}, at most {most} expected from one sweeper");

    // A real Pyro5 daemon registers through the second name server and is killed: its name
    // is gone through the first in bounded time; the live one stays.
    let port = second.uri().port().unwrap();
    let mut daemon = python_daemon(port, "py.doomed");
    std::thread::sleep(quick.max_unreachable + quick.interval * 2);
    assert!(first.name_server().lookup("py.doomed".into(), None).is_ok(), "removed while its daemon runs");
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let bound = quick.max_unreachable + quick.interval * 2 + quick.connect_timeout + Duration::from_secs(2);
    let took = wait_until(bound, "the killed daemon's name to expire", || {
        first.name_server().lookup("py.doomed".into(), None).is_err()
    });
    eprintln!("the killed daemon's name expired after {took:?}");
    assert!(second.name_server().lookup("live".into(), None).is_ok());

    // The sweeping instance stops: the other takes over (at once: the leader's lease is revoked
    // when its storage closes; at most the lease TTL after a crash) and cleans on its own.
    let (leader, survivor) = if turns[0] { (first, second) } else { (second, first) };
    leader.shutdown().unwrap();
    let mut daemon = python_daemon(survivor.uri().port().unwrap(), "py.doomed.again");
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let bound = Duration::from_secs(3)
        + quick.max_unreachable
        + quick.interval * 3
        + quick.connect_timeout
        + Duration::from_secs(2);
    wait_until(bound, "the survivor to clean the second killed daemon's name", || {
        survivor.name_server().lookup("py.doomed.again".into(), None).is_err()
    });
    assert!(survivor.name_server().storage().autoclean_turn(quick.interval).unwrap());
    assert!(survivor.name_server().lookup("live".into(), None).is_ok());
}

#[test]
fn an_unreachable_cluster_is_a_clear_error() {
    // Nothing listens on these ports: opening fails after trying each endpoint, naming them.
    let dead: Vec<String> =
        (0..2).map(|_| TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string()).collect();
    let spec = pyro_ns::storage::EtcdSpec::new(dead.clone());
    let started = Instant::now();
    let error = EtcdStorage::open(spec).unwrap_err().to_string();
    assert!(error.starts_with("etcd error in open: no etcd member answered"), "{error}");
    assert!(error.contains("cannot connect"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn storage_steps_are_atomic_across_instances() {
    use pyro_ns::storage::{Filter, NameRegex, Registration, Storage};
    let Some(etcd) = etcd_or_skip("storage_steps_are_atomic_across_instances") else { return };
    let cluster = EtcdCluster::start(&etcd);
    let spec: pyro_ns::storage::EtcdSpec = cluster.spec("steps").parse().unwrap();
    let (one, two) = (EtcdStorage::open(spec.clone()).unwrap(), EtcdStorage::open(spec).unwrap());
    let reg = |uri: &str, tags: &[&str]| Registration::new(uri, tags.iter().copied());

    // Each storage keeps its own Pyro.NameServer entry; it sorts among the shared names.
    one.set("Pyro.NameServer", &reg("PYRO:Pyro.NameServer@127.0.0.1:1", &["ns"])).unwrap();
    two.set("Pyro.NameServer", &reg("PYRO:Pyro.NameServer@127.0.0.1:2", &["ns"])).unwrap();
    one.set("A.first", &reg("PYRO:a@127.0.0.1:1", &["x"])).unwrap();
    two.set("Z.last", &reg("PYRO:z@127.0.0.1:1", &["x", "y"])).unwrap();
    let names = |storage: &EtcdStorage, filter: &Filter<'_>| -> Vec<String> {
        storage.select(filter).unwrap().into_iter().map(|(name, _)| name).collect()
    };
    assert_eq!(names(&one, &Filter::All), ["A.first", "Pyro.NameServer", "Z.last"]);
    assert_eq!(two.get("Pyro.NameServer").unwrap().unwrap().uri, "PYRO:Pyro.NameServer@127.0.0.1:2");
    assert_eq!((one.count().unwrap(), two.count().unwrap()), (3, 3));
    let regex = NameRegex::new("[AZ]\\.").unwrap();
    assert_eq!(names(&two, &Filter::Regex(&regex)), ["A.first", "Z.last"]);
    assert_eq!(names(&two, &Filter::MetadataAll(&tags(&["x", "y"]))), ["Z.last"]);
    assert_eq!(names(&one, &Filter::MetadataAny(&tags(&["ns", "y"]))), ["Pyro.NameServer", "Z.last"]);
    assert_eq!(names(&one, &Filter::Prefix("Z")), ["Z.last"]);

    // Two instances race for the same `safe` name many times: exactly one wins each.
    for round in 0..20 {
        let name = format!("race.{round}");
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| one.insert_new(&name, &reg("PYRO:one@127.0.0.1:1", &[])).unwrap());
            let b = scope.spawn(|| two.insert_new(&name, &reg("PYRO:two@127.0.0.1:1", &[])).unwrap());
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a ^ b, "round {round}: {a} {b}");
        let winner = if a { "PYRO:one@127.0.0.1:1" } else { "PYRO:two@127.0.0.1:1" };
        assert_eq!(two.get(&name).unwrap().unwrap().uri, winner);
    }

    // set_metadata keeps a uri changed meanwhile by the other instance; the auto-cleaner's
    // removal leaves a renewed registration alone.
    two.set("A.first", &reg("PYRO:renewed@127.0.0.1:1", &["x"])).unwrap();
    assert!(one.replace_metadata("A.first", &tags(&["new"])).unwrap());
    assert_eq!(two.get("A.first").unwrap().unwrap(), reg("PYRO:renewed@127.0.0.1:1", &["new"]));
    assert!(!one.replace_metadata("nobody", &tags(&[])).unwrap());
    assert!(!one.remove_if_uri("A.first", "PYRO:a@127.0.0.1:1").unwrap());
    assert!(two.remove_if_uri("A.first", "PYRO:renewed@127.0.0.1:1").unwrap());
    assert!(one.get("A.first").unwrap().is_none());

    // Removal in several transactions (etcd allows 128 operations in one).
    let many: Vec<String> = (0..300).map(|i| format!("many.{i:03}")).collect();
    for name in &many {
        one.set(name, &reg("PYRO:m@127.0.0.1:1", &[])).unwrap();
    }
    let mut asked = many.clone();
    asked.push("many.absent".into());
    asked.push("Pyro.NameServer".into());
    assert_eq!(two.remove(&asked).unwrap(), 301); // 300 shared names and two's own entry
    assert!(two.get("Pyro.NameServer").unwrap().is_none());
    assert!(one.get("Pyro.NameServer").unwrap().is_some());
    assert!(names(&one, &Filter::Prefix("many.")).is_empty());

    // From inside a tokio runtime (e.g. a servant called by an async daemon) too.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let count = runtime.block_on(async { one.count() }).unwrap();
    assert_eq!(count, 3 + 20 - 1); // its own entry, Z.last, the 20 races; A.first removed
    drop(runtime);
    runtime_drop_inside_async(two);
}

/// Drops a storage (its private runtime) inside an async context, which must not panic.
fn runtime_drop_inside_async(storage: EtcdStorage) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move { drop(storage) });
}

#[test]
fn pyro_ns_reports_a_bad_etcd_spec() {
    let mut command = cli_common::tool(env!("CARGO_BIN_EXE_pyro-ns"));
    command.args(["-n", "127.0.0.1", "-p", "0", "-x", "-s", "etcd:localhost"]);
    let output = cli_common::run(&mut command, "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid etcd storage 'etcd:localhost': endpoint 'localhost' has no port (host:port)"),
        "{stderr}"
    );
}
