//! SMS, the second channel: invitations, reminders and one-time codes for recipients who get
//! them by SMS (`Channel::Sms` or `Both`). Queued in the caller's transaction into the SMS
//! outbox (`text_messages`) and delivered by a worker through `infra::sms` with the mail
//! outbox's machinery: claims with fencing tokens, retries with backoff, at least once.
//! The text is encrypted at rest (it carries codes and signing links).

pub mod outbox;
mod texts;

pub use texts::{code, completed, invitation, MAX_CHARS};

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Invitation,
    Reminder,
    Code,
    /// The contract is complete: where the signer gets their copy.
    Completed,
}

impl TextKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reminder => "reminder",
            Self::Code => "code",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Invitation, Self::Reminder, Self::Code, Self::Completed].into_iter().find(|k| k.as_str() == s)
    }

    /// Sent because someone asked for it now (a sender, a signer): refused, not dropped,
    /// when it cannot go.
    pub fn is_asked_for(self) -> bool {
        !matches!(self, Self::Completed)
    }
}

crate::infra::db::db_enum!(TextKind);
