//! The page's texts in the signer's language (the `texts` of `SignerBoot`), and the message
//! for a refused call.

use crate::net::Failure;
use std::collections::BTreeMap;

/// The page's texts in the signer's language, by locale key.
pub struct Texts(pub BTreeMap<String, String>);

impl Texts {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// The message for an error: its code's translation, else the server's message (the
    /// same rule as the app's `error_text`).
    pub(super) fn error(&self, e: &Failure) -> String {
        let key = format!("error.{}", e.code.to_ascii_lowercase());
        match self.0.get(&key) {
            Some(t) => t.clone(),
            None if e.status >= 500 => self.get("error.generic").to_owned(),
            None => e.message.clone(),
        }
    }
}
