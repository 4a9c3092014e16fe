//! Who is signing: the checks a recipient passes before their signing page shows anything of
//! the contract, and the channel their invitations, reminders and codes take.

use serde::{Deserialize, Serialize};

/// A check before signing. The link alone is the absence of checks; several combine (all of
/// them must pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum AuthMethod {
    /// A 6-digit code emailed to the recipient.
    EmailCode,
    /// A 6-digit code sent to the recipient's phone by SMS.
    SmsCode,
    /// A code the sender gives the recipient out of band.
    AccessCode,
    /// The recipient's phone number and birth date, as the sender entered them.
    Knowledge,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [Self::EmailCode, Self::SmsCode, Self::AccessCode, Self::Knowledge];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailCode => "emailCode",
            Self::SmsCode => "smsCode",
            Self::AccessCode => "accessCode",
            Self::Knowledge => "knowledge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the check sends a code that the signer asks for.
    pub fn sends_code(self) -> bool {
        matches!(self, Self::EmailCode | Self::SmsCode)
    }

    /// A list as stored: comma-separated, in order.
    pub fn join(methods: &[AuthMethod]) -> String {
        methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
    }

    /// A stored list; an unknown name is an error (never dropped: that would weaken a check).
    pub fn split(s: &str) -> Result<Vec<AuthMethod>, String> {
        s.split(',').filter(|p| !p.is_empty()).map(|p| Self::parse(p).ok_or_else(|| format!("unknown check {p:?}"))).collect()
    }
}

/// How invitations, reminders and codes reach a recipient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Channel {
    #[default]
    Email,
    Sms,
    Both,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Sms, Self::Both].into_iter().find(|c| c.as_str() == s)
    }

    pub fn emails(self) -> bool {
        matches!(self, Self::Email | Self::Both)
    }

    pub fn texts(self) -> bool {
        matches!(self, Self::Sms | Self::Both)
    }
}

/// One check on the signing page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationStep {
    pub method: AuthMethod,
    /// Passed in this browser.
    pub done: bool,
    /// Where a code goes, masked (`010-****-5678`, `k***@example.com`).
    pub sent_to: Option<String>,
    /// A code was sent and is still valid.
    pub code_sent: bool,
}

/// What the signing page asks before it shows the contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationGate {
    pub steps: Vec<VerificationStep>,
    /// Too many wrong answers: only the sender can let the recipient try again.
    pub locked: bool,
}

/// What the sender sets for a recipient in the web app's send form (the API takes the same
/// in each recipient). Secrets go one way: they are stored hashed and never shown again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipientIdentity {
    #[serde(default)]
    pub methods: Vec<AuthMethod>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub channel: Channel,
    #[serde(default)]
    pub access_code: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
}
