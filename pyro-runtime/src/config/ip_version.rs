//! `PREFER_IP_VERSION`: the IP version host names resolve to.

/// PREFER_IP_VERSION: the IP version host names resolve to.
///
/// ```
/// use pyro::config::IpVersion;
/// assert_eq!(IpVersion::from_number(6), Some(IpVersion::V6));
/// assert_eq!(IpVersion::Any.number(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IpVersion {
    /// `0`: let the operating system choose (RFC 3484).
    #[default]
    Any,
    /// `4`: IPv4.
    V4,
    /// `6`: IPv6 (and no broadcast name server discovery).
    V6,
}

impl IpVersion {
    /// The version for Pyro5's number `0`, `4` or `6`.
    ///
    /// ```
    /// assert_eq!(pyro::config::IpVersion::from_number(5), None);
    /// ```
    pub fn from_number(number: u8) -> Option<IpVersion> {
        match number {
            0 => Some(IpVersion::Any),
            4 => Some(IpVersion::V4),
            6 => Some(IpVersion::V6),
            _ => None,
        }
    }

    /// Pyro5's number for it: `0`, `4` or `6`.
    ///
    /// ```
    /// assert_eq!(pyro::config::IpVersion::V4.number(), 4);
    /// ```
    pub fn number(self) -> u8 {
        match self {
            IpVersion::Any => 0,
            IpVersion::V4 => 4,
            IpVersion::V6 => 6,
        }
    }
}
