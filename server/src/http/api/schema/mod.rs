//! The API's JSON shapes (requests and responses), documented in the OpenAPI spec from these
//! very types. Names are camelCase on the wire.

mod access;
mod document;
mod envelope;
mod template;
mod webhook;

pub use access::*;
pub use document::*;
pub use envelope::*;
pub use template::*;
pub use webhook::*;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// `Some(None)` when the JSON says `null`, `None` when the key is absent.
pub(super) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub fn b64url(hex_digest: &str) -> String {
    hex::decode(hex_digest).map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)).unwrap_or_default()
}

/// Every error: a stable machine `code`, a message for people, and the invalid fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// e.g. `NOT_FOUND`, `VALIDATION_FAILED`, `RATE_LIMITED`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
    /// Seconds to wait (429), also sent as `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// JSON path of the field, e.g. `recipients[1].email`.
    pub field: String,
    pub code: String,
    pub message: String,
}
