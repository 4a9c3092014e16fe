//! Finding envelopes for the API's list: by reported status, the integrator's `externalId`,
//! a recipient's email, creation and change times and words of the subject, a page at a time
//! (by offset or cursor), always within the caller's scope.

use crate::actor::Actor;
use crate::api::listing::{contains_pattern, Conditions, Cursor, Page};
use crate::error::AppResult;
use crate::ids::EnvelopeId;
use crate::infra::db::{Db, Timestamp};
use crate::model::{EnvelopeStatus, SealStatus};

/// What to find; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// A reported status (`sealing`, `completed` and `expired` as the API reports them).
    pub status: Option<EnvelopeStatus>,
    pub external_id: Option<String>,
    pub recipient_email: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub updated_after: Option<Timestamp>,
    pub updated_before: Option<Timestamp>,
    /// Words of the subject (case-insensitive, anywhere).
    pub subject: Option<String>,
}

/// One page of the envelope ids in the caller's scope matching `filter`, newest first, and
/// the cursor of the next page when more follow.
pub async fn find(db: &Db, actor: &Actor, filter: &Filter, page: &Page) -> AppResult<(Vec<EnvelopeId>, Option<Cursor>)> {
    let mut c = Conditions::scoped(actor, "t");
    // Reported statuses: `sealing` and `completed` are both stored as completed, told apart
    // by the seal; a sent envelope past its expiry is `expired` before the sweeper marks it.
    match filter.status {
        Some(EnvelopeStatus::Sealing) => {
            let (done, sealed) = (c.param(EnvelopeStatus::Completed.as_str()), c.param(SealStatus::Sealed.as_str()));
            c.push(format!("t.status = {done} AND (t.seal_status IS NULL OR t.seal_status <> {sealed})"));
        }
        Some(EnvelopeStatus::Completed) => {
            let (done, sealed) = (c.param(EnvelopeStatus::Completed.as_str()), c.param(SealStatus::Sealed.as_str()));
            c.push(format!("t.status = {done} AND t.seal_status = {sealed}"));
        }
        Some(EnvelopeStatus::Sent) => {
            let (sent, now) = (c.param(EnvelopeStatus::Sent.as_str()), c.param(Timestamp::now().to_db()));
            c.push(format!("t.status = {sent} AND (t.expires_at IS NULL OR t.expires_at > {now})"));
        }
        Some(EnvelopeStatus::Expired) => {
            let (expired, sent, now) = (c.param(EnvelopeStatus::Expired.as_str()), c.param(EnvelopeStatus::Sent.as_str()), c.param(Timestamp::now().to_db()));
            c.push(format!("(t.status = {expired} OR (t.status = {sent} AND t.expires_at IS NOT NULL AND t.expires_at <= {now}))"));
        }
        Some(s) => {
            let p = c.param(s.as_str());
            c.push(format!("t.status = {p}"));
        }
        None => {}
    }
    if let Some(e) = &filter.external_id {
        let p = c.param(e.trim());
        c.push(format!("t.external_id = {p}"));
    }
    if let Some(email) = &filter.recipient_email {
        let p = c.param(email.trim().to_lowercase());
        c.push(format!("EXISTS (SELECT 1 FROM recipients r WHERE r.envelope_id = t.id AND LOWER(r.email) = {p})"));
    }
    if let Some(words) = filter.subject.as_deref().filter(|w| !w.trim().is_empty()) {
        let p = c.param(contains_pattern(words));
        c.push(format!("LOWER(t.name) LIKE {p} ESCAPE '\\'"));
    }
    c.range("t.created_at", filter.created_after, filter.created_before);
    c.range("t.updated_at", filter.updated_after, filter.updated_before);
    let (rows, next) =
        c.fetch_page::<(EnvelopeId, Timestamp)>(db, "SELECT t.id, t.created_at FROM envelopes t", page, |(id, at)| (*at, id.to_string())).await?;
    Ok((rows.into_iter().map(|(id, _)| id).collect(), next))
}
