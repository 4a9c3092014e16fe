//! What an API key may do: its scopes, carried by every token made from it. `read` reads
//! everything; `documents`, `envelopes` and `webhooks` each read and change their own part
//! (client users and their tokens belong to `envelopes`). A key with every scope — the
//! default — may also manage keys and the embedding allowlist.

use crate::error::{AppError, AppResult, ErrorCode};

/// One scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    Documents,
    Envelopes,
    Webhooks,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Documents, Scope::Envelopes, Scope::Webhooks];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Documents => "documents",
            Scope::Envelopes => "envelopes",
            Scope::Webhooks => "webhooks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A key's scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    pub fn all() -> Self {
        Self(0b1111)
    }

    fn bit(s: Scope) -> u8 {
        1 << (s as u8)
    }

    pub fn has(self, s: Scope) -> bool {
        self.0 & Self::bit(s) != 0
    }

    pub fn is_all(self) -> bool {
        self == Self::all()
    }

    /// From the API's list of names (422 naming `scopes` for an unknown or empty list).
    pub fn parse_list(names: &[String]) -> AppResult<Self> {
        let mut bits = 0;
        for n in names {
            let s = Scope::parse(n.trim()).ok_or_else(|| AppError::field("scopes", "invalid", "Scopes are read, documents, envelopes and webhooks"))?;
            bits |= Self::bit(s);
        }
        if bits == 0 {
            return Err(AppError::field("scopes", "required", "Name at least one scope"));
        }
        Ok(Self(bits))
    }

    /// As stored: `NULL` for every scope, else the names joined by commas.
    pub fn to_db(self) -> Option<String> {
        (!self.is_all()).then(|| self.names().join(","))
    }

    /// As stored; an unreadable value grants nothing.
    pub fn from_db(stored: Option<&str>) -> Self {
        match stored {
            None => Self::all(),
            Some(s) => Self(s.split(',').filter_map(Scope::parse).fold(0, |b, s| b | Self::bit(s))),
        }
    }

    pub fn names(self) -> Vec<&'static str> {
        Scope::ALL.into_iter().filter(|s| self.has(*s)).map(Scope::as_str).collect()
    }

    /// Whether a key with these scopes may make one with `other` (never more than it has).
    pub fn covers(self, other: Scopes) -> bool {
        other.0 & !self.0 == 0
    }
}

/// The part of the API a route belongs to, by its path under `/api/v1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Documents,
    Envelopes,
    Webhooks,
    /// Keys and the embedding allowlist: only a key with every scope.
    Administration,
    /// Trading a key for a token, usage: any key.
    Any,
}

impl Area {
    pub fn of(path: &str) -> Self {
        let first = path.trim_start_matches("/api/v1").trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "documents" => Area::Documents,
            "envelopes" | "clients" | "templates" | "batches" => Area::Envelopes,
            "webhooks" => Area::Webhooks,
            "keys" | "embedding" => Area::Administration,
            "auth" if path.ends_with("/client-token") => Area::Envelopes,
            _ => Area::Any,
        }
    }
}

/// Ok when a caller with `scopes` may make this request (`read` is a GET or HEAD).
pub fn allow(scopes: Scopes, area: Area, read: bool) -> AppResult<()> {
    let own = match area {
        Area::Documents => Some(Scope::Documents),
        Area::Envelopes => Some(Scope::Envelopes),
        Area::Webhooks => Some(Scope::Webhooks),
        Area::Administration => {
            return if scopes.is_all() { Ok(()) } else { Err(missing("a key with every scope")) };
        }
        Area::Any => return Ok(()),
    };
    let own = own.expect("an area with a scope");
    if scopes.has(own) || (read && scopes.has(Scope::Read)) {
        Ok(())
    } else {
        Err(missing(&format!("the `{}` scope", own.as_str())))
    }
}

fn missing(what: &str) -> AppError {
    AppError::new(ErrorCode::Forbidden, format!("This API key may not do this; it needs {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_limit_each_area() {
        let read = Scopes::parse_list(&["read".into()]).unwrap();
        assert_eq!(Scopes::from_db(read.to_db().as_deref()), read);
        assert_eq!(Scopes::all().to_db(), None);
        assert_eq!(Scopes::from_db(None), Scopes::all());
        assert_eq!(Scopes::from_db(Some("bogus")).names(), Vec::<&str>::new(), "unreadable grants nothing");
        assert!(allow(read, Area::Envelopes, true).is_ok());
        assert!(allow(read, Area::Envelopes, false).is_err());
        let docs = Scopes::parse_list(&["documents".into()]).unwrap();
        assert!(allow(docs, Area::Documents, false).is_ok());
        assert!(allow(docs, Area::Envelopes, true).is_err(), "documents does not read envelopes");
        assert!(allow(docs, Area::Administration, true).is_err());
        assert!(allow(Scopes::all(), Area::Administration, false).is_ok());
        assert!(!docs.covers(Scopes::all()) && Scopes::all().covers(docs));
        assert!(Scopes::parse_list(&[]).is_err() && Scopes::parse_list(&["admin".into()]).is_err());
        assert_eq!(Area::of("/api/v1/auth/client-token"), Area::Envelopes);
        assert_eq!(Area::of("/api/v1/auth/admin-token"), Area::Any);
        assert_eq!(Area::of("/api/v1/keys/abc"), Area::Administration);
        assert_eq!(Area::of("/api/v1/envelopes/x/remind"), Area::Envelopes);
        assert_eq!(Area::of("/api/v1/templates/x/envelopes"), Area::Envelopes);
        assert_eq!(Area::of("/api/v1/batches/x"), Area::Envelopes);
    }
}
