//! The SQLite storage shares database files with Python's name server: a database made by
//! Pyro5's `SqlStorage` opens here and ours opens there, with the same schema; Pyro5's old
//! single-table format is migrated; changes persist across reopening.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use pyro_ns::storage::{Filter, NameRegex, Registration, SqlStorage, Storage};
use pyro_ns::{NameServer, StorageError, StorageSpec};
use serde_json::{Value as Json, json};
use support::{TempDir, strs};

fn python(script: &str, args: &[&str]) -> String {
    let output = pyro_interop::python().command().arg("-c").arg(script).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The schema text of a database, whitespace normalized.
fn schema(path: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut statement = db.prepare("SELECT sql FROM sqlite_master WHERE type='table' ORDER BY name").unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(|sql| sql.unwrap().split_whitespace().collect::<Vec<_>>().join(" ").replace("( ", "("))
        .collect()
}

const PYTHON_WRITES: &str = r#"
import sys
from Pyro5.nameserver import NameServer, SqlStorage
ns = NameServer(SqlStorage(sys.argv[1]))
ns.register("py.a", "PYRO:a@localhost:1", metadata={"x", "y"})
ns.register("py.b", "PYRO:b@localhost:2")
ns.register("py.c", "PYRO:c@localhost:3", metadata=["x"])
"#;

const PYTHON_READS: &str = r#"
import json, sys
from Pyro5.nameserver import NameServer, SqlStorage
ns = NameServer(SqlStorage(sys.argv[1]))
listing = {name: [uri, sorted(meta)] for name, (uri, meta) in ns.list(return_metadata=True).items()}
print(json.dumps({
    "count": ns.count(),
    "list": listing,
    "yp_all": sorted(ns.yplookup(meta_all=["x", "z"]).keys()),
    "yp_any": sorted(ns.yplookup(meta_any=["z"]).keys()),
    "lookup": str(ns.lookup("rs.d")),
}))
"#;

#[test]
fn a_database_made_by_python_opens_here_and_back() {
    let dir = TempDir::new("sql-interop");
    let path = dir.file("python.db");
    python(PYTHON_WRITES, &[path.to_str().unwrap()]);

    let storage = Arc::new(SqlStorage::open(&path).unwrap());
    assert_eq!(storage.count().unwrap(), 3);
    assert_eq!(storage.get("py.a").unwrap().unwrap(), Registration::new("PYRO:a@localhost:1", ["x", "y"]));
    assert_eq!(storage.get("py.b").unwrap().unwrap(), Registration::new("PYRO:b@localhost:2", Vec::<String>::new()));

    let ns = NameServer::new(storage);
    let x: BTreeSet<String> = ["x".to_owned()].into();
    assert_eq!(ns.storage().select(&Filter::MetadataAll(&x)).unwrap().len(), 2);
    ns.register("rs.d".into(), "PYRO:d@localhost:4".into(), None, Some(strs(&["x", "z"]))).unwrap();
    ns.set_metadata("py.c".into(), strs(&["z"])).unwrap();
    assert_eq!(ns.remove(Some("py.b".into()), None, None).unwrap(), 1);
    drop(ns);

    let read: Json = serde_json::from_str(&python(PYTHON_READS, &[path.to_str().unwrap()])).unwrap();
    assert_eq!(
        read,
        json!({
            "count": 3,
            "list": {
                "py.a": ["PYRO:a@localhost:1", ["x", "y"]],
                "py.c": ["PYRO:c@localhost:3", ["z"]],
                "rs.d": ["PYRO:d@localhost:4", ["x", "z"]],
            },
            "yp_all": ["rs.d"],
            "yp_any": ["py.c", "rs.d"],
            "lookup": "PYRO:d@localhost:4",
        })
    );
}

#[test]
fn same_schema_as_python() {
    let dir = TempDir::new("sql-schema");
    let ours = dir.file("ours.db");
    let theirs = dir.file("theirs.db");
    drop(SqlStorage::open(&ours).unwrap());
    python("import sys\nfrom Pyro5.nameserver import SqlStorage\nSqlStorage(sys.argv[1])", &[theirs.to_str().unwrap()]);
    assert_eq!(schema(&ours), schema(&theirs));
    assert_eq!(schema(&ours).len(), 2);
}

#[test]
fn old_single_table_databases_are_migrated() {
    let dir = TempDir::new("sql-migrate");
    let path = dir.file("old.db");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE pyro_names (name nvarchar PRIMARY KEY, uri nvarchar NOT NULL);
             INSERT INTO pyro_names VALUES ('old.one', 'PYRO:one@localhost:1');",
        )
        .unwrap();
    }
    let storage = SqlStorage::open(&path).unwrap();
    assert_eq!(storage.get("old.one").unwrap().unwrap().uri, "PYRO:one@localhost:1");
    storage.set("new", &Registration::new("PYRO:n@localhost:1", ["t"])).unwrap();
    drop(storage);
    let dir_schema = schema(&path);
    assert!(dir_schema.iter().any(|s| s.contains("pyro_metadata")), "{dir_schema:?}");
    assert!(!dir_schema.iter().any(|s| s.contains("pyro_names_old")), "{dir_schema:?}");
}

#[test]
fn changes_persist_across_reopening() {
    let dir = TempDir::new("sql-reopen");
    let path = dir.file("names.db");
    {
        let storage = SqlStorage::open(&path).unwrap();
        storage.set("a", &Registration::new("PYRO:a@h:1", ["t1", "t2"])).unwrap();
        storage.set("b", &Registration::new("PYRO:b@h:1", ["t1"])).unwrap();
        storage.set("a", &Registration::new("PYRO:a2@h:1", ["t3"])).unwrap(); // replaces
        assert_eq!(storage.remove(&["b".into(), "nothing".into()]).unwrap(), 1);
    }
    let storage = SqlStorage::open(&path).unwrap();
    assert_eq!(storage.select(&Filter::All).unwrap(), [("a".to_owned(), Registration::new("PYRO:a2@h:1", ["t3"]))]);
    // No orphaned metadata rows were left behind by the replacement and the removal.
    let db = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = db.query_row("SELECT count(*) FROM pyro_metadata", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 1);
    assert_eq!(storage.describe(), format!("sql:{}", path.display()));
}

#[test]
fn filters_match_the_memory_storage() {
    let dir = TempDir::new("sql-filters");
    let sql = SqlStorage::open(dir.file("f.db")).unwrap();
    let memory = pyro_ns::storage::MemoryStorage::new();
    let entries = [
        ("app.one", vec!["a", "b"]),
        ("app.two", vec!["b"]),
        ("app_three", vec![]),
        ("App.four", vec!["c"]),
        ("ünï.cödé", vec!["ü"]),
    ];
    for (name, tags) in &entries {
        let reg = Registration::new(format!("PYRO:{}@h:1", name.len()), tags.iter().copied());
        sql.set(name, &reg).unwrap();
        memory.set(name, &reg).unwrap();
    }
    let b: BTreeSet<String> = ["b".to_owned()].into();
    let ab: BTreeSet<String> = ["a".to_owned(), "b".to_owned()].into();
    let cu: BTreeSet<String> = ["c".to_owned(), "ü".to_owned()].into();
    let regex = NameRegex::new(r"app\.t|ü").unwrap();
    let filters = [
        Filter::All,
        Filter::Prefix("app."),
        Filter::Prefix("app_"),
        Filter::Prefix("ünï"),
        Filter::Prefix(""),
        Filter::Regex(&regex),
        Filter::MetadataAll(&ab),
        Filter::MetadataAll(&b),
        Filter::MetadataAny(&cu),
    ];
    for filter in filters {
        let names = |s: &dyn Storage| s.select(&filter).unwrap().into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&sql), names(&memory), "{filter:?}");
    }
    assert_eq!(sql.select(&Filter::Prefix("app.")).unwrap().len(), 2);
}

#[test]
fn storage_specs_like_pyro5() {
    assert!(matches!("sql::memory:".parse::<StorageSpec>(), Err(StorageError::SqliteMemory)));
    assert!(matches!(SqlStorage::open(":memory:"), Err(StorageError::SqliteMemory)));
    assert!(matches!("redis:x".parse::<StorageSpec>(), Err(StorageError::InvalidSpec { .. })));
    assert_eq!("".parse::<StorageSpec>().unwrap(), StorageSpec::Memory);
    let dir = TempDir::new("sql-spec");
    let spec: StorageSpec = format!("sql:{}", dir.file("s.db").display()).parse().unwrap();
    let storage = spec.open().unwrap();
    storage.set("x", &Registration::new("PYRO:x@h:1", ["t"])).unwrap();
    assert!(dir.file("s.db").exists());
    // A file that is not a database is a NamingError-class storage error, not a panic.
    std::fs::write(dir.file("junk.db"), vec![b'x'; 4096]).unwrap();
    let err = SqlStorage::open(dir.file("junk.db")).unwrap_err();
    assert!(matches!(err, StorageError::Sqlite { .. }), "{err}");
}
