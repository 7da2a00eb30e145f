//! [`EtcdStorage`]: registrations in an etcd cluster, one name space shared by every name server
//! that uses the same cluster and prefix. The key layout, the consistency guarantees and the
//! coordinated expiry are documented on the type.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::etcd_gateway::{
    Answer, B64, Gateway, Ignored, KeyValue, LeaseGrantResponse, LeaseKeepAliveAnswer, RangeResponse, TxnResponse, b64,
    prefix_end,
};
use super::{EtcdSpec, Filter, Registration, Storage};
use crate::{NAMESERVER_NAME, StorageError};

/// etcd's default `--max-txn-ops`: the most operations one transaction may carry.
const MAX_TXN_OPS: usize = 128;

/// How often a compare-and-swap step is retried when other instances keep changing the key.
const MAX_CAS_TRIES: usize = 100;

/// A registration as stored in etcd.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Stored {
    uri: String,
    #[serde(default)]
    metadata: Vec<String>,
}

/// The auto-clean leadership of this instance.
#[derive(Default)]
struct Leadership {
    /// Our lease and when it was last renewed.
    lease: Option<(i64, Instant)>,
}

/// A storage in an etcd cluster (3.4 or later), shared by every name server using the same
/// cluster and prefix ([`EtcdSpec`]).
///
/// # Layout
///
/// Each registration is one key, `PREFIX` + `names/` + the name, whose value is JSON
/// (`{"uri": "PYRO:...", "metadata": ["a", "b"]}`). The key `PREFIX` + `autoclean/leader` names
/// the name server that runs the auto-clean sweeps (see below). Nothing else is written.
///
/// # The name server's own entry
///
/// Each name server instance answers for its own `Pyro.NameServer` entry: it is kept in the
/// instance, not in etcd, so `lookup("Pyro.NameServer")` and `list()` through an instance show
/// that instance's uri (what a Pyro5 client that located this name server expects: one
/// `Pyro.NameServer` entry, the one it talks to), `count()` counts it once, and a crashed
/// instance leaves no stale entry behind. Every other name is shared.
///
/// # Consistency
///
/// - **Reads are linearizable** (etcd's default range requests, `serializable=false`): a
///   `lookup`, `list`, `yplookup` or `count` through any instance sees every registration that
///   was acknowledged (through any instance) before it started. A member that has lost its
///   leader cannot answer such a read; the request goes to another member.
/// - **A write returns only after etcd committed it** (a quorum of members has it in its log),
///   so an acknowledged registration survives the loss of any minority of members, and of the
///   name server instance that made it.
/// - **Read-modify-write steps are etcd transactions**: `register(..., safe=True)` is one
///   transaction that creates the key only if absent; `set_metadata` and the auto-cleaner's
///   removal compare the key's revision with the one they read and retry if another instance
///   changed it in between; so two instances cannot both win a `safe` registration, and a
///   `set_metadata` never writes back an old uri over a newer registration.
/// - `remove(prefix=...)`/`remove(regex=...)` select the names, then delete them in
///   transactions of at most 128 keys (etcd's default limit per transaction): a name
///   registered by another instance meanwhile may survive, as if it had been registered just
///   after the removal.
/// - **During an etcd leader change or the loss of a member** a request fails over to the
///   next endpoint and is retried, for up to 10 seconds (each try at most 2 seconds); then the
///   caller gets a `NamingError("etcd error in ...")`. A client never gets an answer that
///   etcd did not commit or a read from a member without a leader. A write whose answer was
///   lost (the member died after receiving it) is retried: a plain registration is simply
///   written again; a `safe` registration that finds exactly its own value treats it as its
///   own earlier try and succeeds; a `remove` may then report fewer names than it removed.
/// - **Nothing acknowledged is lost** while a quorum of etcd members keeps its disks. What is
///   lost when a name server instance dies is only the requests it had not answered yet.
///
/// # Expiring registrations: auto-clean, coordinated
///
/// Plain Pyro5 registrations (from Python or Rust) carry no lease, so the name servers remove
/// dead ones themselves, with Pyro5's auto-clean (`PYRO_NS_AUTOCLEAN`, or
/// [`AutoClean`](crate::AutoClean)), coordinated through etcd: before each sweep an instance
/// asks [`Storage::autoclean_turn`]; only the instance holding the key `autoclean/leader`
/// (created in a transaction and attached to an etcd lease of `max(3 × interval, 3 s)` that
/// the leader renews at each sweep) sweeps, so each registered object is checked once per
/// interval, not once per instance. When the leader dies its lease expires and the next
/// instance to ask takes over. A dead server's names are gone after at most
/// `interval + max_unreachable` (plus one connect timeout) while the leader lives, and at most
/// `lease TTL + 2 × interval + max_unreachable` when the leader instance dies too.
///
/// # Client
///
/// It speaks etcd's v3 JSON gateway over HTTP/1.1 (`hyper` on a private one-thread tokio
/// runtime; the [`Storage`] calls block, and may also be made from inside another tokio
/// runtime, where they run on a helper thread). The gateway is served by every etcd member on
/// its client port and carries the same requests as gRPC; it is used instead of a gRPC client
/// crate because the well-kept one (`etcd-client`) needs `protoc` at build time.
///
/// ```no_run
/// use pyro_ns::storage::{EtcdSpec, EtcdStorage, Registration, Storage};
/// let storage = EtcdStorage::open("etcd:127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379".parse()?)?;
/// storage.set("example.thing", &Registration::new("PYRO:thing@localhost:4444", ["red"]))?;
/// // Any other name server on this cluster and prefix now finds it.
/// assert!(storage.get("example.thing")?.is_some());
/// # Ok::<(), pyro_ns::StorageError>(())
/// ```
pub struct EtcdStorage {
    spec: EtcdSpec,
    gateway: Gateway,
    /// `PREFIX` + `names/`.
    names: Vec<u8>,
    /// `PREFIX` + `autoclean/leader`.
    leader_key: Vec<u8>,
    /// This instance, as the value of the leader key.
    instance: String,
    /// This instance's own `Pyro.NameServer` entry.
    own: RwLock<Option<Registration>>,
    leadership: Mutex<Leadership>,
}

impl std::fmt::Debug for EtcdStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStorage").field("spec", &self.spec).field("instance", &self.instance).finish()
    }
}

impl EtcdStorage {
    /// Connects to the cluster and checks that it answers (a linearizable read of the number
    /// of registrations); a cluster that does not answer within 10 seconds is an error.
    ///
    /// See [`EtcdStorage`] for an example.
    pub fn open(spec: EtcdSpec) -> Result<EtcdStorage, StorageError> {
        if spec.endpoints.is_empty() {
            return Err(StorageError::InvalidEtcdSpec { spec: spec.to_string(), reason: "no endpoint".into() });
        }
        let gateway = Gateway::new(spec.endpoints.clone())?;
        let names = format!("{}names/", spec.prefix).into_bytes();
        let leader_key = format!("{}autoclean/leader", spec.prefix).into_bytes();
        let instance = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4());
        let storage = EtcdStorage {
            spec,
            gateway,
            names,
            leader_key,
            instance,
            own: RwLock::new(None),
            leadership: Mutex::new(Leadership::default()),
        };
        storage.count_shared("open")?;
        Ok(storage)
    }

    /// The cluster and prefix.
    ///
    /// ```no_run
    /// let storage = pyro_ns::storage::EtcdStorage::open("etcd:127.0.0.1:2379".parse()?)?;
    /// assert_eq!(storage.spec().prefix, "pyro-ns/");
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    pub fn spec(&self) -> &EtcdSpec {
        &self.spec
    }

    fn key(&self, name: &str) -> Vec<u8> {
        let mut key = self.names.clone();
        key.extend_from_slice(name.as_bytes());
        key
    }

    fn call<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        request: serde_json::Value,
    ) -> Result<Answer<T>, StorageError> {
        self.gateway.call(operation, path, &request)
    }

    fn own(&self) -> Option<Registration> {
        self.own.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_own(&self, registration: Option<Registration>) -> bool {
        let mut own = self.own.write().unwrap_or_else(PoisonError::into_inner);
        let had = own.is_some();
        *own = registration;
        had
    }

    /// The key-value of `name`, if registered.
    fn fetch(&self, operation: &'static str, name: &str) -> Result<Option<KeyValue>, StorageError> {
        let range: RangeResponse = self.call(operation, "/v3/kv/range", json!({ "key": b64(self.key(name)) }))?.value;
        Ok(range.kvs.into_iter().next())
    }

    fn count_shared(&self, operation: &'static str) -> Result<usize, StorageError> {
        let range: RangeResponse = self
            .call(
                operation,
                "/v3/kv/range",
                json!({ "key": b64(&self.names), "range_end": b64(prefix_end(&self.names)), "count_only": true }),
            )?
            .value;
        Ok(usize::try_from(range.count.0).unwrap_or(0))
    }

    /// Decodes a stored key-value into its name and registration.
    fn decode(&self, operation: &'static str, kv: &KeyValue) -> Result<(String, Registration), StorageError> {
        let corrupt = |reason: String| StorageError::Etcd {
            operation,
            message: format!("key {:?} does not hold a registration: {reason}", String::from_utf8_lossy(&kv.key.0)),
        };
        let name = kv.key.0.strip_prefix(self.names.as_slice()).ok_or_else(|| corrupt("outside the prefix".into()))?;
        let name = String::from_utf8(name.to_vec()).map_err(|e| corrupt(e.to_string()))?;
        let stored: Stored = serde_json::from_slice(&kv.value.0).map_err(|e| corrupt(e.to_string()))?;
        Ok((name, Registration { uri: stored.uri, metadata: stored.metadata.into_iter().collect() }))
    }

    fn encode(registration: &Registration) -> Vec<u8> {
        let stored =
            Stored { uri: registration.uri.clone(), metadata: registration.metadata.iter().cloned().collect() };
        // Serializing strings into JSON cannot fail.
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// Puts `value` at `name`'s key if its revision is still `revision`; whether it did.
    fn put_if_revision(
        &self,
        operation: &'static str,
        name: &str,
        revision: i64,
        value: &[u8],
    ) -> Result<bool, StorageError> {
        let key = b64(self.key(name));
        let txn: TxnResponse = self
            .call(
                operation,
                "/v3/kv/txn",
                json!({
                    "compare": [{ "result": "EQUAL", "target": "MOD", "key": key, "mod_revision": revision.to_string() }],
                    "success": [{ "request_put": { "key": key, "value": b64(value) } }],
                }),
            )?
            .value;
        Ok(txn.succeeded)
    }

    /// Renews this instance's lease (or grants a new one); its id.
    fn lease(&self, leadership: &mut Leadership, ttl: Duration) -> Result<i64, StorageError> {
        if let Some((id, renewed)) = leadership.lease {
            if renewed.elapsed() < ttl / 3 {
                return Ok(id);
            }
            let answer: LeaseKeepAliveAnswer =
                self.call("autoclean_turn", "/v3/lease/keepalive", json!({ "ID": id.to_string() }))?.value;
            if answer.result.ttl.0 > 0 {
                leadership.lease = Some((id, Instant::now()));
                return Ok(id);
            }
            // Expired (e.g. etcd unreachable for longer than the TTL): our leader key is gone.
            leadership.lease = None;
        }
        let granted: LeaseGrantResponse =
            self.call("autoclean_turn", "/v3/lease/grant", json!({ "TTL": ttl.as_secs().to_string() }))?.value;
        if !granted.error.is_empty() || granted.id.0 == 0 {
            return Err(StorageError::Etcd {
                operation: "autoclean_turn",
                message: format!("no lease: {}", granted.error),
            });
        }
        leadership.lease = Some((granted.id.0, Instant::now()));
        Ok(granted.id.0)
    }
}

/// The auto-clean leader's lease for a sweep `interval`: three intervals, at least 3 seconds,
/// in whole seconds (etcd's unit).
fn leader_ttl(interval: Duration) -> Duration {
    Duration::from_secs((interval * 3).as_secs_f64().ceil().max(3.0) as u64)
}

impl Storage for EtcdStorage {
    fn get(&self, name: &str) -> Result<Option<Registration>, StorageError> {
        if name == NAMESERVER_NAME {
            return Ok(self.own());
        }
        match self.fetch("get", name)? {
            Some(kv) => Ok(Some(self.decode("get", &kv)?.1)),
            None => Ok(None),
        }
    }

    fn set(&self, name: &str, registration: &Registration) -> Result<(), StorageError> {
        if name == NAMESERVER_NAME {
            self.set_own(Some(registration.clone()));
            return Ok(());
        }
        let _: Answer<Ignored> = self.call(
            "set",
            "/v3/kv/put",
            json!({ "key": b64(self.key(name)), "value": b64(EtcdStorage::encode(registration)) }),
        )?;
        Ok(())
    }

    fn remove(&self, names: &[String]) -> Result<usize, StorageError> {
        let mut removed = 0;
        let shared: Vec<&String> = names
            .iter()
            .filter(|name| {
                if name.as_str() == NAMESERVER_NAME {
                    removed += usize::from(self.set_own(None));
                    false
                } else {
                    true
                }
            })
            .collect();
        for chunk in shared.chunks(MAX_TXN_OPS) {
            let deletes: Vec<_> =
                chunk.iter().map(|name| json!({ "request_delete_range": { "key": b64(self.key(name)) } })).collect();
            let txn: TxnResponse = self.call("remove", "/v3/kv/txn", json!({ "success": deletes }))?.value;
            removed += txn
                .responses
                .iter()
                .filter_map(|op| op.response_delete_range.as_ref())
                .map(|deleted| usize::try_from(deleted.deleted.0).unwrap_or(0))
                .sum::<usize>();
        }
        Ok(removed)
    }

    fn count(&self) -> Result<usize, StorageError> {
        Ok(self.count_shared("count")? + usize::from(self.own().is_some()))
    }

    fn select(&self, filter: &Filter<'_>) -> Result<Vec<(String, Registration)>, StorageError> {
        let start = match filter {
            Filter::Prefix(prefix) => self.key(prefix),
            _ => self.names.clone(),
        };
        let range: RangeResponse = self
            .call("select", "/v3/kv/range", json!({ "key": b64(&start), "range_end": b64(prefix_end(&start)) }))?
            .value;
        let mut selected = Vec::with_capacity(range.kvs.len() + 1);
        for kv in &range.kvs {
            let (name, registration) = self.decode("select", kv)?;
            if name != NAMESERVER_NAME && filter.matches(&name, &registration) {
                selected.push((name, registration));
            }
        }
        if let Some(own) = self.own().filter(|own| filter.matches(NAMESERVER_NAME, own)) {
            // etcd returns keys sorted; the own entry goes where its name sorts.
            let at = selected.partition_point(|(name, _)| name.as_str() < NAMESERVER_NAME);
            selected.insert(at, (NAMESERVER_NAME.to_owned(), own));
        }
        Ok(selected)
    }

    fn describe(&self) -> String {
        self.spec.to_string()
    }

    fn insert_new(&self, name: &str, registration: &Registration) -> Result<bool, StorageError> {
        if name == NAMESERVER_NAME {
            let mut own = self.own.write().unwrap_or_else(PoisonError::into_inner);
            if own.is_some() {
                return Ok(false);
            }
            *own = Some(registration.clone());
            return Ok(true);
        }
        let key = b64(self.key(name));
        let value = EtcdStorage::encode(registration);
        let answer: Answer<TxnResponse> = self.call(
            "insert_new",
            "/v3/kv/txn",
            json!({
                "compare": [{ "result": "EQUAL", "target": "CREATE", "key": key, "create_revision": "0" }],
                "success": [{ "request_put": { "key": key, "value": b64(&value) } }],
                "failure": [{ "request_range": { "key": key } }],
            }),
        )?;
        if answer.value.succeeded {
            return Ok(true);
        }
        // A first try whose answer was lost may have created the key with exactly this value.
        let existing =
            answer.value.responses.first().and_then(|op| op.response_range.as_ref()).and_then(|r| r.kvs.first());
        Ok(answer.retried_after_ambiguity && existing.is_some_and(|kv| kv.value == B64(value)))
    }

    fn replace_metadata(&self, name: &str, metadata: &BTreeSet<String>) -> Result<bool, StorageError> {
        if name == NAMESERVER_NAME {
            let mut own = self.own.write().unwrap_or_else(PoisonError::into_inner);
            return Ok(match own.as_mut() {
                Some(own) => {
                    own.metadata = metadata.clone();
                    true
                }
                None => false,
            });
        }
        for _ in 0..MAX_CAS_TRIES {
            let Some(kv) = self.fetch("set_metadata", name)? else { return Ok(false) };
            let (_, mut registration) = self.decode("set_metadata", &kv)?;
            registration.metadata = metadata.clone();
            if self.put_if_revision("set_metadata", name, kv.mod_revision.0, &EtcdStorage::encode(&registration))? {
                return Ok(true);
            }
        }
        Err(StorageError::Etcd {
            operation: "set_metadata",
            message: format!("{name} kept changing under other name servers ({MAX_CAS_TRIES} tries)"),
        })
    }

    fn remove_if_uri(&self, name: &str, uri: &str) -> Result<bool, StorageError> {
        if name == NAMESERVER_NAME {
            return Ok(false);
        }
        let Some(kv) = self.fetch("remove_if_uri", name)? else { return Ok(false) };
        if self.decode("remove_if_uri", &kv)?.1.uri != uri {
            return Ok(false);
        }
        let key = b64(self.key(name));
        let txn: TxnResponse = self
            .call(
                "remove_if_uri",
                "/v3/kv/txn",
                json!({
                    "compare": [{ "result": "EQUAL", "target": "MOD", "key": key, "mod_revision": kv.mod_revision.0.to_string() }],
                    "success": [{ "request_delete_range": { "key": key } }],
                }),
            )?
            .value;
        Ok(txn.succeeded)
    }

    fn autoclean_turn(&self, interval: Duration) -> Result<bool, StorageError> {
        let mut leadership = self.leadership.lock().unwrap_or_else(PoisonError::into_inner);
        let lease = self.lease(&mut leadership, leader_ttl(interval))?;
        let key = b64(&self.leader_key);
        let txn: TxnResponse = self
            .call(
                "autoclean_turn",
                "/v3/kv/txn",
                json!({
                    "compare": [{ "result": "EQUAL", "target": "CREATE", "key": key, "create_revision": "0" }],
                    "success": [{ "request_put": { "key": key, "value": b64(&self.instance), "lease": lease.to_string() } }],
                    "failure": [{ "request_range": { "key": key } }],
                }),
            )?
            .value;
        if txn.succeeded {
            tracing::info!(target: "pyro::ns", instance = %self.instance, "autoclean: this name server now sweeps for the etcd name space");
            return Ok(true);
        }
        let holder = txn.responses.first().and_then(|op| op.response_range.as_ref()).and_then(|r| r.kvs.first());
        Ok(holder.is_some_and(|kv| kv.value.0 == self.instance.as_bytes()))
    }
}

impl Drop for EtcdStorage {
    /// Gives up the auto-clean leadership at once (revoking the lease deletes the leader key),
    /// so that another instance takes over without waiting for the lease to expire.
    fn drop(&mut self) {
        let lease = self.leadership.get_mut().unwrap_or_else(PoisonError::into_inner).lease.take();
        if let Some((id, _)) = lease {
            let request = json!({ "ID": id.to_string() });
            let revoked: Result<Answer<Ignored>, _> =
                self.gateway.call_within("close", "/v3/lease/revoke", &request, Duration::from_secs(1));
            if let Err(error) = revoked {
                tracing::debug!(target: "pyro::ns", %error, "cannot revoke the auto-clean lease; it expires by itself");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leader_ttls() {
        assert_eq!(leader_ttl(Duration::from_millis(100)), Duration::from_secs(3));
        assert_eq!(leader_ttl(Duration::from_secs(10)), Duration::from_secs(30));
        assert_eq!(leader_ttl(Duration::from_millis(3400)), Duration::from_secs(11));
    }
}
