//! Which serializer a proxy speaks: pinned by configuration, or negotiated at the first
//! connection (msgpack, falling back to serpent for a Pyro5 daemon without msgpack).

use std::sync::atomic::{AtomicU8, Ordering};

use crate::serializer::Serializer;

/// The serializer a negotiating proxy tries first: the fastest.
const PREFERRED: Serializer = Serializer::Msgpack;
/// The one it falls back to: every Pyro5 installation has serpent.
const FALLBACK: Serializer = Serializer::Serpent;

/// A proxy's serializer: `pinned` (set by [`Config::serializer`](crate::Config::serializer) or
/// [`Proxy::set_serializer`](super::Proxy::set_serializer)) or, when `None`, the one the first
/// handshake settled on (`negotiated`, a wire id; 0 until then).
#[derive(Debug)]
pub(super) struct SerializerChoice {
    pinned: Option<Serializer>,
    /// Whether `pinned` was set for this proxy ([`pin`](Self::pin)) rather than by the
    /// configuration: what Pyro5 keeps in `_pyroSerializer` and a proxy's state carries.
    explicit: bool,
    negotiated: AtomicU8,
}

impl SerializerChoice {
    pub(super) fn new(pinned: Option<Serializer>) -> SerializerChoice {
        SerializerChoice { pinned, explicit: false, negotiated: AtomicU8::new(0) }
    }

    /// The serializer calls use now: the pinned one, else the negotiated one, else the one a
    /// negotiation tries first.
    pub(super) fn current(&self) -> Serializer {
        self.pinned.or_else(|| self.negotiated()).unwrap_or(PREFERRED)
    }

    /// Whether [`current`](Self::current) is final (pinned, or negotiated already): calls may be
    /// serialized before the connection is open.
    pub(super) fn settled(&self) -> bool {
        self.pinned.is_some() || self.negotiated().is_some()
    }

    /// The serializer to open a connection with, and the one to try when the daemon closes the
    /// connection at the handshake without a reply (only while negotiating).
    pub(super) fn for_handshake(&self) -> (Serializer, Option<Serializer>) {
        match self.pinned.or_else(|| self.negotiated()) {
            Some(serializer) => (serializer, None),
            None => (PREFERRED, Some(FALLBACK)),
        }
    }

    /// Remembers what a successful handshake used (nothing changes for a pinned serializer).
    pub(super) fn settle(&self, serializer: Serializer) {
        if self.pinned.is_none() {
            self.negotiated.store(serializer.id(), Ordering::Relaxed);
        }
    }

    /// Pins `serializer`.
    pub(super) fn pin(&mut self, serializer: Serializer) {
        self.pinned = Some(serializer);
        self.explicit = true;
    }

    /// The serializer set for this proxy, not by the configuration (Pyro5's `_pyroSerializer`).
    pub(super) fn explicit(&self) -> Option<Serializer> {
        self.pinned.filter(|_| self.explicit)
    }

    fn negotiated(&self) -> Option<Serializer> {
        match self.negotiated.load(Ordering::Relaxed) {
            0 => None,
            id => Serializer::from_id(id).ok(),
        }
    }
}

impl Clone for SerializerChoice {
    fn clone(&self) -> SerializerChoice {
        SerializerChoice {
            pinned: self.pinned,
            explicit: self.explicit,
            negotiated: AtomicU8::new(self.negotiated.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_starts_with_msgpack_and_settles_once() {
        let choice = SerializerChoice::new(None);
        assert_eq!((choice.current(), choice.settled()), (Serializer::Msgpack, false));
        assert_eq!(choice.for_handshake(), (Serializer::Msgpack, Some(Serializer::Serpent)));
        choice.settle(Serializer::Serpent);
        assert_eq!((choice.current(), choice.settled()), (Serializer::Serpent, true));
        assert_eq!(choice.for_handshake(), (Serializer::Serpent, None));
        assert_eq!(choice.clone().current(), Serializer::Serpent);
    }

    #[test]
    fn a_pinned_serializer_never_falls_back() {
        let mut choice = SerializerChoice::new(Some(Serializer::Json));
        assert_eq!(choice.for_handshake(), (Serializer::Json, None));
        choice.settle(Serializer::Serpent);
        assert_eq!(choice.current(), Serializer::Json);
        assert_eq!(choice.explicit(), None);
        choice.pin(Serializer::Marshal);
        assert_eq!((choice.current(), choice.settled()), (Serializer::Marshal, true));
        assert_eq!(choice.explicit(), Some(Serializer::Marshal));
    }
}
