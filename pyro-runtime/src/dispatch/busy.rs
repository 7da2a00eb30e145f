//! Calls into an object that is busy with a remote call of its own: the rule that keeps a
//! callback from deadlocking silently.
//!
//! An object with `&mut self` methods runs them alone (see [`Served`](super::Served)). If such a
//! method makes a remote call (through any proxy) and the remote side calls the same object
//! back, the callback would wait for the method, which waits for the callback: a deadlock.
//! Callbacks are recognised by their correlation id: a call carries its caller's correlation
//! id, and proxy calls made inside a method carry the id of the call being served (Pyro5 and
//! pyro both propagate it, see [`current_context`](crate::current_context)). So while a method
//! of an object waits for a remote call, a call into that object that would have to wait for it
//! and comes with the correlation id of that remote call (a callback caused by it) fails at
//! once with a `Pyro5.errors.PyroError` saying so ([`BUSY_MESSAGE`]), instead of waiting. Any
//! other call waits its turn, as it would for a method that does not call out; a call that can
//! run at the same time (a `&self` method while only `&self` methods run) runs. A method calling
//! out without any correlation id (only possible outside a daemon) makes every call that would
//! wait for it fail, as callbacks could not be told apart.
//!
//! A callback made on a thread that does not carry the correlation id on (e.g. a thread a Python
//! server starts itself, without Pyro5's `current_context.from_global()`) is not recognised and
//! waits, as any caller: let the methods involved take `&self` when callbacks may come that way.
//!
//! Objects whose methods all take `&self` are never locked and never refuse a call.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

use crate::{Error, RemoteError, Value};

/// The text of the error a call into a busy object gets.
pub const BUSY_MESSAGE: &str = "object is busy: a method of it is waiting for the remote call this callback comes \
                                from, and this call would have to wait for that method (a callback into an object busy \
                                with `&mut self` would deadlock); let the methods involved take `&self`";

thread_local! {
    /// The gates of the objects whose methods run on this thread now (innermost last).
    static HELD: RefCell<Vec<Arc<Gate>>> = const { RefCell::new(Vec::new()) };
}

/// Who runs in an object now, and whether they are waiting for remote calls.
#[derive(Default)]
pub(crate) struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    readers: usize,
    writer: bool,
    /// The correlation ids of the remote calls the methods running now are making (one entry
    /// per id per call, so a multiset).
    chains: Vec<Uuid>,
    /// Remote calls being made without any correlation id.
    anonymous: usize,
}

impl State {
    /// Whether a call with correlation id `chain` would wait for a remote call it comes from.
    fn would_deadlock(&self, chain: Option<Uuid>) -> bool {
        self.anonymous > 0 || chain.is_some_and(|id| self.chains.contains(&id))
    }
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a `&mut self` (`exclusive`) or `&self` method of a call with correlation id `chain`
    /// in, waiting while others run unless they wait for the remote call it comes from; the
    /// guard lets it out.
    pub(crate) fn enter(self: &Arc<Self>, exclusive: bool, chain: Option<Uuid>) -> Result<Entered, Error> {
        let mut state = self.lock();
        loop {
            let free = !state.writer && (!exclusive || state.readers == 0);
            if free {
                break;
            }
            if state.would_deadlock(chain) {
                return Err(RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(BUSY_MESSAGE)]).into());
            }
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if exclusive {
            state.writer = true;
        } else {
            state.readers += 1;
        }
        drop(state);
        HELD.with(|held| held.borrow_mut().push(Arc::clone(self)));
        Ok(Entered { gate: Arc::clone(self), exclusive })
    }

    /// A method running here starts (`true`) or ends a remote call carrying `chain`.
    fn calling_out(&self, chain: &[Uuid], starts: bool) {
        let mut state = self.lock();
        match (chain.is_empty(), starts) {
            (true, true) => state.anonymous += 1,
            (true, false) => state.anonymous = state.anonymous.saturating_sub(1),
            (false, true) => state.chains.extend_from_slice(chain),
            (false, false) => {
                for id in chain {
                    if let Some(at) = state.chains.iter().position(|held| held == id) {
                        state.chains.swap_remove(at);
                    }
                }
            }
        }
        drop(state);
        self.changed.notify_all();
    }
}

/// A method running in an object; dropping it lets the next one in.
pub(crate) struct Entered {
    gate: Arc<Gate>,
    exclusive: bool,
}

impl Drop for Entered {
    fn drop(&mut self) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(at) = held.iter().rposition(|gate| Arc::ptr_eq(gate, &self.gate)) {
                held.remove(at);
            }
        });
        let mut state = self.gate.lock();
        if self.exclusive {
            state.writer = false;
        } else {
            state.readers = state.readers.saturating_sub(1);
        }
        drop(state);
        self.gate.changed.notify_all();
    }
}

/// Marks the objects whose methods run on this thread as waiting for a remote call carrying
/// the correlation ids `chain` (the thread's and the one sent, when they differ) until the
/// guard is dropped (every proxy call does this; an async proxy's call for the methods running
/// on the thread that first polls it, the guard held across its awaits).
pub(crate) fn calling_out(chain: impl IntoIterator<Item = Uuid>) -> CallingOut {
    let gates: Vec<Arc<Gate>> = HELD.with(|held| held.borrow().clone());
    let mut ids: Vec<Uuid> = Vec::new();
    if !gates.is_empty() {
        for id in chain {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    for gate in &gates {
        gate.calling_out(&ids, true);
    }
    CallingOut { gates, chain: ids }
}

/// See [`calling_out`].
pub(crate) struct CallingOut {
    gates: Vec<Arc<Gate>>,
    chain: Vec<Uuid>,
}

impl Drop for CallingOut {
    fn drop(&mut self) {
        for gate in &self.gates {
            gate.calling_out(&self.chain, false);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    const CHAIN: Option<Uuid> = Some(Uuid::from_u128(1));
    const OTHER: Option<Uuid> = Some(Uuid::from_u128(2));

    #[test]
    fn a_callback_waiting_for_the_method_it_comes_from_is_refused() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true, CHAIN).unwrap();
        // The callback arrives while the method waits for its remote call: refused at once.
        let out = calling_out(CHAIN);
        let callback = Arc::clone(&gate);
        let err = std::thread::spawn(move || callback.enter(false, CHAIN).map(drop)).join().unwrap().unwrap_err();
        assert!(err.to_string().contains("object is busy"), "{err}");
        drop(out);
        drop(holder);
        assert!(gate.enter(true, CHAIN).is_ok());
    }

    #[test]
    fn a_callback_already_waiting_is_refused_when_the_method_calls_out() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true, CHAIN).unwrap();
        let waiting = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.enter(false, CHAIN).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiting.is_finished());
        let out = calling_out(CHAIN);
        assert!(waiting.join().unwrap().is_err());
        drop(out);
        drop(holder);
    }

    #[test]
    fn other_callers_wait_for_a_method_that_calls_out() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true, CHAIN).unwrap();
        let out = calling_out(CHAIN);
        let waiting = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.enter(true, OTHER).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiting.is_finished(), "a caller from another chain waits its turn");
        drop(out);
        drop(holder);
        assert!(waiting.join().unwrap().is_ok());
    }

    #[test]
    fn calling_out_without_a_correlation_id_refuses_every_waiter() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true, None).unwrap();
        let out = calling_out(None);
        let other = Arc::clone(&gate);
        assert!(std::thread::spawn(move || other.enter(true, OTHER).map(drop)).join().unwrap().is_err());
        drop(out);
        drop(holder);
    }

    #[test]
    fn shared_methods_run_beside_shared_ones_calling_out() {
        let gate = Arc::new(Gate::default());
        let reader = gate.enter(false, CHAIN).unwrap();
        let _out = calling_out(CHAIN);
        let other = Arc::clone(&gate);
        assert!(std::thread::spawn(move || other.enter(false, CHAIN).map(drop)).join().unwrap().is_ok());
        let other = Arc::clone(&gate);
        assert!(std::thread::spawn(move || other.enter(true, CHAIN).map(drop)).join().unwrap().is_err());
        drop(reader);
    }

    #[test]
    fn calls_without_remote_calls_wait_their_turn() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true, CHAIN).unwrap();
        let waiting = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.enter(true, CHAIN).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(holder);
        assert!(waiting.join().unwrap().is_ok());
        assert!(HELD.with(|held| held.borrow().is_empty()));
    }
}
