//! Signers given no fields ("just sign these PDFs"): when such an envelope is sent, a
//! signature page is appended as one more document, with a signature and a date field for
//! each of them — made before the send's transaction, recorded inside it (or its stored
//! bytes removed when the send fails). Envelopes whose signers place their own signatures
//! (`Fieldless::FreeForm`) get no page: their placements become their fields in the sign
//! transition (`transition::signed`).

use super::contents::{self, Recipient};
use super::row::Envelope;
use crate::actor::Actor;
use crate::document::{self, Stored, Upload};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{EnvelopeId, FieldId, RecipientId};
use crate::infra::db::{Timestamp, Tx};
use crate::model::{FieldKind, Fieldless, RecipientRole, DATE_FORMATS};
use crate::seal::signature_page::{self, Signatory, Slot};
use crate::state::AppState;

/// A signature page made and stored for the signers without fields, not yet recorded.
pub(crate) struct Prepared {
    stored: Stored,
    signers: Vec<RecipientId>,
    slots: Vec<Slot>,
}

/// The signers of `recipients` who have no field among `fields`.
fn without_fields(recipients: &[Recipient], fields: &[crate::model::FieldDraft]) -> Vec<Recipient> {
    recipients.iter().filter(|r| r.role == RecipientRole::Signer && !fields.iter().any(|f| f.recipient_id == r.id)).cloned().collect()
}

/// Makes and stores the signature page when the draft has signers without fields (and at
/// least one document, so there is something to sign).
pub(crate) async fn prepare(st: &AppState, actor: &Actor, id: &EnvelopeId) -> AppResult<Option<Prepared>> {
    let mut conn = st.db.pool().acquire().await?;
    let env = Envelope::find_for(&mut conn, actor, id).await?;
    let c = contents::Contents::load(&mut conn, id).await?;
    drop(conn);
    let signers = without_fields(&c.recipients, &c.fields);
    if signers.is_empty() || c.documents.is_empty() || env.status != crate::model::EnvelopeStatus::Draft || env.fieldless == Fieldless::FreeForm {
        return Ok(None);
    }
    let people: Vec<Signatory> = signers.iter().map(|r| Signatory { name: r.name.clone(), email: r.email.clone() }).collect();
    let contract = env.name.clone();
    let page = crate::infra::blocking::spawn_blocking_with_tracing(move || signature_page::build(&contract, &people))
        .await?
        .map_err(|e| AppError::internal(e.context("making the signature page")))?;
    let name = format!("{} — {}.pdf", crate::i18n::both::SIGNATURE_PAGE_TITLE, env.name);
    let stored = document::store(st, Upload { file_name: name, bytes: page.pdf.into() }).await?;
    Ok(Some(Prepared { stored, signers: signers.into_iter().map(|r| r.id).collect(), slots: page.slots }))
}

impl Prepared {
    /// Adds the page to the draft with each signer's fields, inside the send's transaction —
    /// if the signers without fields are still those it was made for.
    pub(crate) async fn record(&self, tx: &mut Tx, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
        let recipients = contents::recipients(tx, id).await?;
        let fields = contents::fields(tx, id).await?;
        let now: Vec<RecipientId> = without_fields(&recipients, &fields).into_iter().map(|r| r.id).collect();
        if now != self.signers {
            return Err(AppError::new(ErrorCode::Conflict, "The contract changed while it was being sent; send it again"));
        }
        let at = Timestamp::now();
        self.stored.record(tx, actor, at).await?;
        super::draft::attach(tx, id, &self.stored.id, at).await?;
        let mut fields = Vec::with_capacity(self.signers.len() * 2);
        for (signer, slot) in self.signers.iter().zip(&self.slots) {
            for (kind, rect, label, format) in [
                (FieldKind::Signature, slot.signature, crate::i18n::both::SIGNATURE_PAGE_SIGNATURE, None),
                (FieldKind::Date, slot.date, crate::i18n::both::SIGNATURE_PAGE_DATE, Some(DATE_FORMATS[0].to_owned())),
            ] {
                fields.push(crate::model::FieldDraft {
                    id: FieldId::new(),
                    recipient_id: signer.clone(),
                    document_id: self.stored.id.clone(),
                    page: slot.page,
                    rect,
                    kind,
                    required: true,
                    label: label.to_owned(),
                    placeholder: String::new(),
                    options: Vec::new(),
                    format,
                    name: None,
                    prefill: None,
                    read_only: false,
                    cover: None,
                });
            }
        }
        super::draft::append_fields(tx, id, &fields, at, "fields").await?;
        Ok(())
    }

    /// After the send: a failed one leaves no stored page behind.
    pub(crate) async fn settle<T: std::fmt::Debug>(&self, st: &AppState, sent: AppResult<T>) -> AppResult<T> {
        Ok(self.stored.settle(st, sent).await?.0)
    }
}
