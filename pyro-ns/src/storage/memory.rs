//! [`MemoryStorage`]: registrations in a map, forgotten when the name server stops.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Filter, Registration, Storage};
use crate::StorageError;

/// The default storage: a map behind a read-write lock (lookups run concurrently). Pyro5's
/// `MemoryStorage`.
///
/// ```
/// use pyro_ns::storage::{Filter, MemoryStorage, Registration, Storage};
/// let storage = MemoryStorage::new();
/// storage.set("b", &Registration::new("PYRO:b@localhost:1", ["x"]))?;
/// storage.set("a", &Registration::new("PYRO:a@localhost:1", ["x"]))?;
/// let names: Vec<String> = storage.select(&Filter::All)?.into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["a", "b"]);
/// # Ok::<(), pyro_ns::StorageError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStorage {
    names: RwLock<BTreeMap<String, Registration>>,
}

impl MemoryStorage {
    /// An empty storage.
    ///
    /// See [`MemoryStorage`] for an example.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    // No method panics while holding the lock, so a poisoned lock still holds consistent data.
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Registration>> {
        self.names.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Registration>> {
        self.names.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Storage for MemoryStorage {
    fn get(&self, name: &str) -> Result<Option<Registration>, StorageError> {
        Ok(self.read().get(name).cloned())
    }

    fn set(&self, name: &str, registration: &Registration) -> Result<(), StorageError> {
        self.write().insert(name.to_owned(), registration.clone());
        Ok(())
    }

    fn remove(&self, names: &[String]) -> Result<usize, StorageError> {
        let mut map = self.write();
        Ok(names.iter().filter(|name| map.remove(name.as_str()).is_some()).count())
    }

    fn count(&self) -> Result<usize, StorageError> {
        Ok(self.read().len())
    }

    fn select(&self, filter: &Filter<'_>) -> Result<Vec<(String, Registration)>, StorageError> {
        let map = self.read();
        let selected =
            |(name, reg): (&String, &Registration)| filter.matches(name, reg).then(|| (name.clone(), reg.clone()));
        Ok(match filter {
            // Names with the prefix are one contiguous range of the sorted map.
            Filter::Prefix(prefix) => map
                .range::<str, _>((std::ops::Bound::Included(*prefix), std::ops::Bound::Unbounded))
                .take_while(|(name, _)| name.starts_with(prefix))
                .filter_map(selected)
                .collect(),
            _ => map.iter().filter_map(selected).collect(),
        })
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}
