//! Calls into an object that is busy with a remote call of its own: the rule that keeps a
//! callback from deadlocking silently.
//!
//! An object with `&mut self` methods runs them alone (see [`Served`](super::Served)). If such a
//! method makes a remote call (through any proxy) and the remote side calls the same object
//! back, the callback would wait for the method, which waits for the callback: a deadlock. So
//! while a method of an object is making a remote call, a call into that object that would have
//! to wait for it fails at once, with a `Pyro5.errors.PyroError` saying so, instead of waiting
//! ([`BUSY_MESSAGE`]). A call that can run at the same time (a `&self` method while only `&self`
//! methods run) runs. This holds for every caller, not only callbacks: a caller that would wait
//! for a method that is itself waiting on the network is refused, and may retry.
//!
//! Objects whose methods all take `&self` are never locked and never refuse a call.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::{Error, RemoteError, Value};

/// The text of the error a call into a busy object gets.
pub const BUSY_MESSAGE: &str = "object is busy: a method of it is waiting for a remote call it made, and this call \
                                would have to wait for that method (a callback into an object busy with `&mut self` \
                                would deadlock); let the methods involved take `&self`";

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
    /// Remote calls being made by the methods running now.
    calling_out: usize,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a `&mut self` (`exclusive`) or `&self` method in, waiting while others run unless
    /// they wait for remote calls; the guard lets it out.
    pub(crate) fn enter(self: &Arc<Self>, exclusive: bool) -> Result<Entered, Error> {
        let mut state = self.lock();
        loop {
            let free = !state.writer && (!exclusive || state.readers == 0);
            if free {
                break;
            }
            if state.calling_out > 0 {
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

    fn calling_out(&self, delta: isize) {
        let mut state = self.lock();
        state.calling_out = state.calling_out.saturating_add_signed(delta);
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

/// Marks the objects whose methods run on this thread as waiting for a remote call until the
/// guard is dropped (every proxy call does this).
pub(crate) fn calling_out() -> CallingOut {
    let gates: Vec<Arc<Gate>> = HELD.with(|held| held.borrow().clone());
    for gate in &gates {
        gate.calling_out(1);
    }
    CallingOut { gates }
}

/// See [`calling_out`].
pub(crate) struct CallingOut {
    gates: Vec<Arc<Gate>>,
}

impl Drop for CallingOut {
    fn drop(&mut self) {
        for gate in &self.gates {
            gate.calling_out(-1);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_call_waiting_for_a_method_that_calls_out_is_refused() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true).unwrap();
        // Another thread waits for the exclusive method ...
        let waiting = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.enter(false).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiting.is_finished());
        // ... until that method makes a remote call: then it is refused.
        let out = calling_out();
        let err = waiting.join().unwrap().unwrap_err();
        assert!(err.to_string().contains("object is busy"), "{err}");
        drop(out);
        drop(holder);
        // Free again.
        drop(gate.enter(true).unwrap());
    }

    #[test]
    fn shared_methods_run_beside_shared_ones_calling_out() {
        let gate = Arc::new(Gate::default());
        let reader = gate.enter(false).unwrap();
        let _out = calling_out();
        let other = Arc::clone(&gate);
        assert!(std::thread::spawn(move || other.enter(false).map(drop)).join().unwrap().is_ok());
        let other = Arc::clone(&gate);
        assert!(std::thread::spawn(move || other.enter(true).map(drop)).join().unwrap().is_err());
        drop(reader);
    }

    #[test]
    fn calls_without_remote_calls_wait_their_turn() {
        let gate = Arc::new(Gate::default());
        let holder = gate.enter(true).unwrap();
        let waiting = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.enter(true).map(drop))
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(holder);
        assert!(waiting.join().unwrap().is_ok());
        assert!(HELD.with(|held| held.borrow().is_empty()));
    }
}
