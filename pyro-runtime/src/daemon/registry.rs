//! [`Registry`]: the daemon's objects by id (Pyro5's `Daemon.objectsById`).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::dispatch::Servant;
use crate::session::{DAEMON_OBJECT_ID, Directory};

/// Registered objects, keeping registration order for `Pyro.Daemon.registered()`.
#[derive(Default)]
pub(crate) struct Registry {
    objects: RwLock<Objects>,
}

#[derive(Default)]
struct Objects {
    next: u64,
    by_id: HashMap<String, (u64, Arc<dyn Servant>)>,
}

impl Registry {
    /// Adds `servant` as `id`; `false` if the id is taken (`Pyro.Daemon` always is).
    pub(super) fn insert(&self, id: &str, servant: Arc<dyn Servant>) -> bool {
        let mut objects = self.objects.write().unwrap_or_else(PoisonError::into_inner);
        if id == DAEMON_OBJECT_ID || objects.by_id.contains_key(id) {
            return false;
        }
        let order = objects.next;
        objects.next += 1;
        objects.by_id.insert(id.to_owned(), (order, servant));
        true
    }

    /// Removes `id`; `true` if it was registered.
    pub(super) fn remove(&self, id: &str) -> bool {
        let removed = self.objects.write().unwrap_or_else(PoisonError::into_inner).by_id.remove(id);
        // Dropped outside the lock: the object's `Drop` may use the daemon.
        removed.is_some()
    }

    /// Removes `id` if `same` says it is still the object it was; `true` if it was removed.
    pub(super) fn remove_if(&self, id: &str, same: impl FnOnce(&Arc<dyn Servant>) -> bool) -> bool {
        let mut objects = self.objects.write().unwrap_or_else(PoisonError::into_inner);
        let removed = match objects.by_id.get(id) {
            Some((_, servant)) if same(servant) => objects.by_id.remove(id),
            _ => None,
        };
        drop(objects);
        // Dropped outside the lock: the object's `Drop` may use the daemon.
        removed.is_some()
    }

    /// The object registered as `id`.
    pub(super) fn get(&self, id: &str) -> Option<Arc<dyn Servant>> {
        let objects = self.objects.read().unwrap_or_else(PoisonError::into_inner);
        objects.by_id.get(id).map(|(_, servant)| Arc::clone(servant))
    }

    /// All ids but `Pyro.Daemon`'s, in registration order.
    pub(super) fn ids(&self) -> Vec<String> {
        let objects = self.objects.read().unwrap_or_else(PoisonError::into_inner);
        let mut ids: Vec<(u64, &String)> = objects.by_id.iter().map(|(id, (order, _))| (*order, id)).collect();
        ids.sort_unstable();
        ids.into_iter().map(|(_, id)| id.clone()).collect()
    }

    /// The number of registered objects, `Pyro.Daemon` included.
    pub(super) fn len(&self) -> usize {
        self.objects.read().unwrap_or_else(PoisonError::into_inner).by_id.len() + 1
    }
}

impl Directory for Registry {
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> {
        self.get(id)
    }

    fn ids(&self) -> Vec<String> {
        Registry::ids(self)
    }
}
