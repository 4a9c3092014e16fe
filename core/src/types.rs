//! Validated input types: parsed once at the edge, trusted everywhere inside.
//! They compile for the browser too, so forms check the same rules before sending.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// An email address, trimmed and lowercased so one mailbox has one spelling.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_lowercase();
        let invalid = || AppError::field("email", "invalid", "Enter a valid email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains("..") && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok || local.contains(['<', '>', '"', ',', '@']) {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's or a company's display name: any script (Hangul included), trimmed,
/// 1–100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    /// `field` names the form field in the error (`name`, `orgName`, …).
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(AppError::field(field, "required", "This field is required"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(AppError::field(field, "too_long", "Use at most 100 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(AppError::field(field, "invalid", "Control characters are not allowed"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::parse_field(raw, "name")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–256 characters. The upper bound keeps hashing cheap to refuse.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(AppError::field("password", "too_short", "Use at least 8 characters"));
        }
        if n > Self::MAX_CHARS {
            return Err(AppError::field("password", "too_long", "Use at most 256 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

macro_rules! string_conversions {
    ($($t:ident),*) => {$(
        impl TryFrom<String> for $t {
            type Error = AppError;
            fn try_from(s: String) -> Result<Self, AppError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
string_conversions!(EmailAddress, DisplayName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(EmailAddress::parse("  Kim@Example.COM ").unwrap().as_str(), "kim@example.com");
        for bad in ["", "kim", "kim@", "@example.com", "kim@example", "a b@example.com", "kim@@x.com", "kim@x..com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn names_accept_hangul_and_refuse_blank_or_long() {
        assert_eq!(DisplayName::parse(" 김도장 ").unwrap().as_str(), "김도장");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"가".repeat(101)).is_err());
        assert!(DisplayName::parse(&"가".repeat(100)).is_ok());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn passwords_have_bounds_and_never_print() {
        assert!(NewPassword::parse("short").is_err());
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
    }
}
