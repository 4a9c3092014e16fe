//! The signer's side: the signing page's data, what a signer submits (drawn signatures as vectors), and the outcome.

use super::{DocumentInfo, FieldDraft, Language};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, FieldId};
use serde::{Deserialize, Serialize};

/// How a pointer touched the signature pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointerKind {
    Mouse,
    Touch,
    Pen,
}

/// One sampled point: position as fractions of the pad (x of its width, y of its height),
/// milliseconds since the signature began, and pressure 0–1 when the device reports it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrokePoint {
    pub x: f32,
    pub y: f32,
    pub t: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    pub pointer: PointerKind,
    pub points: Vec<StrokePoint>,
}

/// A drawn signature as vectors, with the pad's aspect (width / height) when drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawnSignature {
    pub aspect: f32,
    pub strokes: Vec<Stroke>,
}

impl DrawnSignature {
    /// A real signature, not an empty pad or a dot: enough ink, spread over the pad.
    pub fn is_substantial(&self) -> bool {
        let pts: Vec<&StrokePoint> = self.strokes.iter().flat_map(|s| &s.points).collect();
        if pts.len() < 5 {
            return false;
        }
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &pts {
            x0 = x0.min(p.x);
            x1 = x1.max(p.x);
            y0 = y0.min(p.y);
            y1 = y1.max(p.y);
        }
        let aspect = if self.aspect.is_finite() && self.aspect > 0.0 { self.aspect } else { 1.0 };
        let length: f32 = self.strokes.iter().flat_map(|s| s.points.windows(2)).map(|w| ((w[1].x - w[0].x) * aspect).hypot(w[1].y - w[0].y)).sum();
        (x1 - x0) * aspect > 0.05 && (x1 - x0).max(y1 - y0) > 0.05 && length > 0.15
    }
}

/// How a signer made their signature (or initials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum SignatureInput {
    Drawn { drawing: DrawnSignature, png: String },
    Typed { text: String, png: String },
    Uploaded { png: String },
}

impl SignatureInput {
    /// The picture of the signature (a PNG data URL), however it was made.
    pub fn png(&self) -> &str {
        match self {
            Self::Drawn { png, .. } | Self::Typed { png, .. } | Self::Uploaded { png } => png,
        }
    }
}

/// A value a signer gives one field. Signature and initials fields name a signature by its
/// index in the submission's `signatures`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldInput {
    pub field_id: FieldId,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub signature: Option<usize>,
}

/// Everything a signer submits when finishing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignSubmission {
    pub fields: Vec<FieldInput>,
    pub signatures: Vec<SignatureInput>,
    /// Signatures the signer placed themselves, where the envelope lets signers without
    /// fields sign anywhere (`fieldless: freeForm`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placements: Vec<Placement>,
}

/// A signature the signer put on a page themselves: where, and which of the submission's
/// signatures it shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub document_id: DocumentId,
    pub page: u32,
    pub rect: FieldRect,
    pub signature: usize,
}

/// Where a signer stands when opening the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerState {
    /// Their turn: they may consent and sign.
    Ready,
    /// A recipient earlier in the order has not signed yet.
    NotYourTurn,
    Signed,
    Declined,
    Cancelled,
    Expired,
    Completed,
    /// A viewer: nothing to sign.
    ViewOnly,
}

impl SignerState {
    pub const ALL: [SignerState; 8] =
        [Self::Ready, Self::NotYourTurn, Self::Signed, Self::Declined, Self::Cancelled, Self::Expired, Self::Completed, Self::ViewOnly];

    /// The state's name on the wire (as serde writes it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::NotYourTurn => "not_your_turn",
            Self::Signed => "signed",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Completed => "completed",
            Self::ViewOnly => "view_only",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.name() == s)
    }

    /// The key of the sentence telling the signer where they stand (in the locale files).
    pub fn message_key(self) -> &'static str {
        match self {
            Self::Ready => "sign_ready",
            Self::NotYourTurn => "sign_not_your_turn",
            Self::Signed => "sign_done",
            Self::Declined => "sign_declined",
            Self::Cancelled => "sign_cancelled",
            Self::Expired => "sign_expired",
            Self::Completed => "sign_completed",
            Self::ViewOnly => "sign_view_only",
        }
    }
}

/// A field on the signer's page: theirs to fill, or someone else's shown for context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerField {
    pub field: FieldDraft,
    pub mine: bool,
    /// A value already given (another signer's, shown as text).
    pub value: Option<String>,
}

/// The signing page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignerView {
    pub envelope_name: String,
    pub organization_name: String,
    pub sender_name: String,
    pub message: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub language: Language,
    pub state: SignerState,
    pub consented: bool,
    pub consent_version: String,
    pub consent_text: String,
    pub expires_at: Option<String>,
    pub documents: Vec<DocumentInfo>,
    pub fields: Vec<SignerField>,
    /// Today in the sender's terms, for date fields (YYYY-MM-DD).
    pub today: String,
    pub redirect_url: Option<String>,
    /// Origins the organization lets embed this page (where its events may be posted).
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// Made with a test API key: not legally binding, and the page says so.
    #[serde(default)]
    pub test_mode: bool,
    /// The signer has no fields and places their signature on any page themselves.
    #[serde(default)]
    pub free_form: bool,
    /// Checks the signer must pass first: while set, the view holds nothing of the contract
    /// (no message, documents or fields).
    #[serde(default)]
    pub verification: Option<super::VerificationGate>,
}

/// What the signer sees after finishing or declining.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignOutcome {
    pub state: SignerState,
    pub redirect_url: Option<String>,
    pub envelope_completed: bool,
}

/// What the signer page's script needs besides the markup (written into the page as JSON):
/// the link's token, where the signer stands, where to go when done, who may hear events, and
/// the texts it shows after the page was rendered, in the signer's language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignerBoot {
    pub token: String,
    pub consented: bool,
    pub signer_name: String,
    pub redirect_url: Option<String>,
    pub embed_origins: Vec<String>,
    /// The signer places their signature themselves (see `SignerView::free_form`).
    pub free_form: bool,
    /// Texts by their key in the locale files (`sign_done`, `pad_too_small`, `error.not_found`, …).
    pub texts: std::collections::BTreeMap<String, String>,
}
