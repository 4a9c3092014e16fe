//! Organizations' people and API credentials, the two modes data lives in, and languages.

use crate::ids::OrganizationId;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    Owner,
    Admin,
    Member,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// The signed-in user and their organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: UserRole,
    pub organization_id: OrganizationId,
    pub organization_name: String,
}

/// Live data carries legal weight; test data (made with a test API key) is sealed with a
/// visible mark, does not count toward quotas, and is never visible to the other mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(Self::Live),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

/// An API key as listed to its organization: never the key or the secret themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: crate::ids::ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub mode: Mode,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// What it may do (`read`, `documents`, `envelopes`, `webhooks`); all four by default.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A freshly created API key: the only time the key and the secret are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub id: crate::ids::ApiKeyId,
    pub key: String,
    pub secret: String,
    pub mode: Mode,
    pub prefix: String,
}

/// The language of a recipient's emails and signing page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema), schema(as = Lang))]
pub enum Language {
    #[default]
    Ko,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ko => "ko",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().get(..2) {
            Some("ko") => Some(Self::Ko),
            Some("en") => Some(Self::En),
            _ => None,
        }
    }
}
