//! Typed ids shared by client and server. An id is 32 lowercase hex digits (a UUIDv7 on the
//! server, so ids sort by creation time); anything else is refused at the edge as not found.

use crate::error::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            #[cfg(feature = "server")]
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().simple().to_string())
            }

            /// Parses an id from untrusted input; a malformed id cannot name anything, so it
            /// is reported as not found.
            pub fn parse(s: &str) -> Result<Self, AppError> {
                if is_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(AppError::new(ErrorCode::NotFound, concat!($what, " not found")))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = AppError;
            fn try_from(s: String) -> Result<Self, AppError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "server")]
        crate::infra::db::text_type!($name, |s: String| Ok::<_, AppError>($name(s)), |v: &$name| v.0.clone());
    };
}

typed_id!(
    /// A company (tenant). Every row that belongs to a tenant carries one.
    OrganizationId,
    "Organization"
);
typed_id!(
    /// A person who logs in to Dojang.
    UserId,
    "User"
);

typed_id!(
    /// A contract being prepared, sent, signed and sealed (called a contract in the UI).
    EnvelopeId,
    "Contract"
);
typed_id!(
    /// Documents, roles and fields prepared once, from which envelopes are made.
    TemplateId,
    "Template"
);
typed_id!(
    /// A bulk send: one envelope per row from a template.
    BatchId,
    "Batch"
);
typed_id!(
    /// An uploaded PDF.
    DocumentId,
    "Document"
);
typed_id!(
    /// A person asked to sign or view an envelope.
    RecipientId,
    "Recipient"
);
typed_id!(
    /// A field placed on a page for one recipient.
    FieldId,
    "Field"
);

typed_id!(
    /// An API credential (key and secret) of an organization.
    ApiKeyId,
    "API key"
);
typed_id!(
    /// A user of an integrator's own system, registered through the API (the Comake flow).
    ClientId,
    "Client"
);
typed_id!(
    /// A URL an organization registered to receive webhooks.
    WebhookEndpointId,
    "Webhook endpoint"
);
typed_id!(
    /// One event queued for one webhook endpoint (`webhook-id` is `msg_` and this id).
    WebhookMessageId,
    "Webhook message"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_32_lowercase_hex_digits() {
        assert!(UserId::parse("0193a2b4c5d6e7f8091a2b3c4d5e6f70").is_ok());
        for bad in ["", "x", "0193A2B4C5D6E7F8091A2B3C4D5E6F70", "../../etc/passwd", "0193a2b4c5d6e7f8091a2b3c4d5e6f7"] {
            let err = UserId::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::NotFound, "{bad}");
        }
    }

    #[test]
    fn ids_travel_as_plain_strings() {
        let id = OrganizationId::parse("0193a2b4c5d6e7f8091a2b3c4d5e6f70").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0193a2b4c5d6e7f8091a2b3c4d5e6f70\"");
        assert!(serde_json::from_str::<OrganizationId>("\"nope\"").is_err());
    }
}
