//! The integrator's own reference on envelopes and documents: `externalId`, the id of the
//! same thing in its system (unique per organization and mode when set), and `metadata`, a
//! JSON object of its own (at most 8 KB). Both can be set at creation and changed at any
//! state; neither is part of the contract (no audit event, not in the sealed PDF).

use crate::actor::Actor;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::infra::db::{Timestamp, Tx};
use serde_json::{Map, Value};

/// The longest `externalId`, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;
/// The largest `metadata`, as compact JSON.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// Which table holds the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Envelope,
    Document,
}

impl Owner {
    fn table(self) -> &'static str {
        match self {
            Owner::Envelope => "envelopes",
            Owner::Document => "documents",
        }
    }
}

/// A change of the reference: absent keys stay, `Some(None)` clears.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferenceChange {
    pub external_id: Option<Option<String>>,
    /// Compact JSON of an object.
    pub metadata: Option<Option<String>>,
}

impl ReferenceChange {
    /// Checks what the API was given: an `externalId` of visible characters, `metadata` a
    /// JSON object of at most 8 KB. Errors name the JSON keys.
    pub fn parse(external_id: Option<Option<String>>, metadata: Option<Option<Value>>) -> AppResult<Self> {
        let mut errors = Vec::new();
        let external_id = external_id.map(|e| {
            e.and_then(|e| {
                let e = e.trim().to_owned();
                if e.is_empty() {
                    return None;
                }
                if e.chars().count() > MAX_EXTERNAL_ID_CHARS || e.chars().any(char::is_control) {
                    errors.push(FieldError {
                        field: "externalId".into(),
                        code: "invalid".into(),
                        message: format!("Use at most {MAX_EXTERNAL_ID_CHARS} characters without control characters"),
                    });
                }
                Some(e)
            })
        });
        let metadata = metadata.map(|m| {
            m.and_then(|m| match m {
                Value::Object(map) => {
                    let text = serde_json::to_string(&map).unwrap_or_default();
                    if text.len() > MAX_METADATA_BYTES {
                        errors.push(FieldError {
                            field: "metadata".into(),
                            code: "too_large".into(),
                            message: format!("metadata is at most {MAX_METADATA_BYTES} bytes of JSON"),
                        });
                    }
                    Some(text)
                }
                Value::Null => None,
                _ => {
                    errors.push(FieldError { field: "metadata".into(), code: "invalid".into(), message: "metadata is a JSON object".into() });
                    None
                }
            })
        });
        if errors.is_empty() {
            Ok(Self { external_id, metadata })
        } else {
            Err(AppError::fields(errors))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.external_id.is_none() && self.metadata.is_none()
    }

    /// Writes the change on the row `id` (in the caller's scope, checked by the caller):
    /// 409 `EXTERNAL_ID_TAKEN` when another row of the organization and mode has that id.
    pub async fn apply(&self, tx: &mut Tx, actor: &Actor, owner: Owner, id: &str) -> AppResult<()> {
        if self.is_empty() {
            return Ok(());
        }
        let table = owner.table();
        if let Some(Some(external)) = &self.external_id {
            let taken: Option<String> =
                sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE organization_id = $1 AND mode = $2 AND external_id = $3 AND id <> $4"))
                    .bind(&actor.organization_id)
                    .bind(actor.mode)
                    .bind(external)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
            if taken.is_some() {
                return Err(taken_error());
            }
        }
        if let Some(e) = &self.external_id {
            sqlx::query(&format!("UPDATE {table} SET external_id = $2, updated_at = $3 WHERE id = $1"))
                .bind(id)
                .bind(e.as_deref())
                .bind(Timestamp::now())
                .execute(&mut **tx)
                .await
                .map_err(map_taken)?;
        }
        if let Some(m) = &self.metadata {
            sqlx::query(&format!("UPDATE {table} SET metadata = $2, updated_at = $3 WHERE id = $1"))
                .bind(id)
                .bind(m.as_deref())
                .bind(Timestamp::now())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

fn taken_error() -> AppError {
    AppError::new(ErrorCode::ExternalIdTaken, "Another one of this organization and mode already has this externalId")
}

/// The unique index caught two writers of one externalId at once.
fn map_taken(e: sqlx::Error) -> AppError {
    match crate::infra::db::unique_violation(&e) {
        Some(_) => taken_error(),
        None => AppError::from(e),
    }
}

/// Stored metadata as the API returns it (an empty object when none).
pub fn metadata_value(stored: Option<&str>) -> Map<String, Value> {
    stored.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_is_an_object_of_at_most_8_kb() {
        assert!(ReferenceChange::parse(None, Some(Some(json!({"a": 1})))).is_ok());
        assert!(ReferenceChange::parse(None, Some(Some(json!([1, 2])))).is_err());
        assert!(ReferenceChange::parse(None, Some(Some(json!("x")))).is_err());
        let big = "x".repeat(MAX_METADATA_BYTES);
        let e = ReferenceChange::parse(None, Some(Some(json!({ "big": big })))).unwrap_err();
        assert_eq!(e.fields[0].code, "too_large");
        assert_eq!(ReferenceChange::parse(None, Some(None)).unwrap().metadata, Some(None));
    }

    #[test]
    fn external_ids_are_trimmed_visible_text() {
        let c = ReferenceChange::parse(Some(Some("  계약-2026-001 ".into())), None).unwrap();
        assert_eq!(c.external_id, Some(Some("계약-2026-001".into())));
        assert_eq!(ReferenceChange::parse(Some(Some("   ".into())), None).unwrap().external_id, Some(None));
        assert!(ReferenceChange::parse(Some(Some("a\u{0}b".into())), None).is_err());
        assert!(ReferenceChange::parse(Some(Some("x".repeat(256))), None).is_err());
    }
}
