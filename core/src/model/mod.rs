//! Data the browser and the server both see, by feature. Everything is re-exported here, so
//! `model::X` names any of it.

mod account;
mod document;
mod envelope;
mod identity;
mod signing;
mod template;
mod webhook;

pub use account::*;
pub use document::*;
pub use envelope::*;
pub use identity::*;
pub use signing::*;
pub use template::*;
pub use webhook::*;

// Stored as the text `as_str()` gives (which the migrations' CHECK constraints list), read
// back strictly.
#[cfg(feature = "server")]
crate::infra::db::db_enum!(EnvelopeStatus, SealStatus, RecipientRole, FieldKind, SigningOrder, Fieldless, AuthMethod, Channel, Mode, Language, UserRole);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_state_names_are_the_wire_names() {
        for s in SignerState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::from(s.name()));
            assert_eq!(SignerState::from_name(s.name()), Some(s));
        }
        assert_eq!(SignerState::from_name("Ready"), None);
    }
}
