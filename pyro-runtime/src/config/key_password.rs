//! [`KeyPassword`]: a private key's password that printing never shows.

use std::fmt;

/// A private key's password (`SSL_SERVERKEYPASSWD`, `SSL_CLIENTKEYPASSWD`): its `Debug` hides the
/// text, so printing a [`Config`](super::Config) shows no password.
///
/// ```
/// use pyro::config::KeyPassword;
/// let password = KeyPassword::from("secret");
/// assert_eq!(password.expose(), "secret");
/// assert_eq!(format!("{password:?}"), "KeyPassword(<hidden>)");
/// let config = pyro::Config { ssl_server_key_password: Some(password), ..Default::default() };
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPassword(String);

impl KeyPassword {
    /// The password text.
    ///
    /// See [`KeyPassword`] for an example.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for KeyPassword {
    fn from(text: String) -> KeyPassword {
        KeyPassword(text)
    }
}

impl From<&str> for KeyPassword {
    fn from(text: &str) -> KeyPassword {
        KeyPassword(text.to_owned())
    }
}

impl fmt::Debug for KeyPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyPassword(<hidden>)")
    }
}
