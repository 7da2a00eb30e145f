//! [`Flags`]: the 16-bit flags field of the message header.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// The header's flags: a set of bits, named ones as associated constants.
///
/// Unknown bits are kept as they are (Pyro5 passes any flags through, e.g. `255`).
///
/// ```
/// use pyro::protocol::Flags;
///
/// let mut flags = Flags::EXCEPTION | Flags::CORR_ID;
/// assert!(flags.contains(Flags::CORR_ID));
/// assert_eq!(flags.bits(), 0x41);
/// assert_eq!(format!("{flags:?}"), "EXCEPTION|CORR_ID");
/// flags.remove(Flags::EXCEPTION);
/// flags.insert(Flags::from_bits(0x8000));
/// assert_eq!(format!("{flags:?}"), "CORR_ID|0x8000");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u16);

/// Names of the known bits, lowest first, for `Debug`.
const NAMES: [(Flags, &str); 7] = [
    (Flags::EXCEPTION, "EXCEPTION"),
    (Flags::COMPRESSED, "COMPRESSED"),
    (Flags::ONEWAY, "ONEWAY"),
    (Flags::BATCH, "BATCH"),
    (Flags::ITEMSTREAMRESULT, "ITEMSTREAMRESULT"),
    (Flags::KEEPSERIALIZED, "KEEPSERIALIZED"),
    (Flags::CORR_ID, "CORR_ID"),
];

impl Flags {
    /// No flags.
    pub const EMPTY: Flags = Flags(0);
    /// RESULT: the payload is a serialized exception to raise.
    pub const EXCEPTION: Flags = Flags(0x01);
    /// The payload (not the annotations) is zlib-compressed. Managed by encoding and decoding.
    pub const COMPRESSED: Flags = Flags(0x02);
    /// INVOKE: no RESULT will be sent.
    pub const ONEWAY: Flags = Flags(0x04);
    /// INVOKE: a batch of calls; RESULT: the list of their results.
    pub const BATCH: Flags = Flags(0x08);
    /// RESULT: the call returned an iterator; the stream id is in annotation `STRM`.
    pub const ITEMSTREAMRESULT: Flags = Flags(0x10);
    /// INVOKE: a serialized blob passed through; its target is in annotation `BLBI`.
    pub const KEEPSERIALIZED: Flags = Flags(0x20);
    /// The header's correlation id is meaningful.
    pub const CORR_ID: Flags = Flags(0x40);

    /// Flags from the raw header bits, unknown bits included.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// assert_eq!(Flags::from_bits(0x41), Flags::EXCEPTION | Flags::CORR_ID);
    /// assert_eq!(Flags::from_bits(255).bits(), 255);
    /// ```
    pub const fn from_bits(bits: u16) -> Flags {
        Flags(bits)
    }

    /// The raw header bits.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// assert_eq!((Flags::ONEWAY | Flags::BATCH).bits(), 0x0c);
    /// ```
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// let flags = Flags::ONEWAY | Flags::BATCH;
    /// assert!(flags.contains(Flags::ONEWAY));
    /// assert!(!flags.contains(Flags::ONEWAY | Flags::EXCEPTION));
    /// ```
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// assert!(Flags::default().is_empty());
    /// assert!(!Flags::BATCH.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Sets the bits of `other`.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// let mut flags = Flags::EMPTY;
    /// flags.insert(Flags::EXCEPTION);
    /// assert_eq!(flags, Flags::EXCEPTION);
    /// ```
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// let mut flags = Flags::EXCEPTION | Flags::CORR_ID;
    /// flags.remove(Flags::EXCEPTION);
    /// assert_eq!(flags, Flags::CORR_ID);
    /// ```
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }

    /// `self` with the bits of `other` cleared.
    ///
    /// ```
    /// use pyro::protocol::Flags;
    /// assert_eq!(Flags::from_bits(0xff).without(Flags::COMPRESSED).bits(), 0xfd);
    /// ```
    #[must_use]
    pub const fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }
}

impl BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl From<u16> for Flags {
    fn from(bits: u16) -> Flags {
        Flags(bits)
    }
}

impl From<Flags> for u16 {
    fn from(flags: Flags) -> u16 {
        flags.0
    }
}

impl fmt::Debug for Flags {
    /// Names joined by `|` (`EXCEPTION|CORR_ID`), unknown bits in hex, `(empty)` for none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("(empty)");
        }
        let mut rest = *self;
        let mut first = true;
        for (flag, name) in NAMES {
            if rest.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
                rest.remove(flag);
            }
        }
        if !rest.is_empty() {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{:#x}", rest.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_pyro5() {
        let bits: Vec<u16> = NAMES.iter().map(|(flag, _)| flag.bits()).collect();
        assert_eq!(bits, [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40]);
    }

    #[test]
    fn debug_names_bits() {
        assert_eq!(format!("{:?}", Flags::EMPTY), "(empty)");
        assert_eq!(format!("{:?}", Flags::EXCEPTION | Flags::CORR_ID), "EXCEPTION|CORR_ID");
        assert_eq!(
            format!("{:?}", Flags::from_bits(0xff)),
            "EXCEPTION|COMPRESSED|ONEWAY|BATCH|ITEMSTREAMRESULT|KEEPSERIALIZED|CORR_ID|0x80"
        );
        assert_eq!(format!("{:?}", Flags::from_bits(0x100)), "0x100");
    }

    #[test]
    fn insert_remove_keep_unknown_bits() {
        let mut flags = Flags::from_bits(0x8001);
        flags.insert(Flags::ONEWAY);
        flags |= Flags::BATCH;
        assert_eq!(flags.bits(), 0x800d);
        flags.remove(Flags::EXCEPTION | Flags::BATCH);
        assert_eq!(flags.bits(), 0x8004);
        assert_eq!(u16::from(flags), 0x8004);
        assert_eq!(Flags::from(0x8004), flags);
        assert!(flags.contains(Flags::EMPTY));
    }
}
