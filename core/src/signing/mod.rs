//! Sending envelopes and signing them: invitations with signing links, the signer's view,
//! consent, submission, decline, the sender's cancel, expiry and reminders.
//!
//! Every transition runs in one transaction that guards the state it changes with a
//! conditional update, so signing twice, out of turn, after cancel or expiry, or from two
//! tabs at once ends in a clear error and never in a half-changed envelope.

pub mod lifecycle;
pub mod send;
pub mod signer;

use crate::db::{Db, Timestamp};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{EnvelopeId, OrganizationId};
use crate::model::{EnvelopeStatus, Language, Mode, SigningOrder};

/// Version of the electronic-signature disclosure; recorded with each consent.
pub const CONSENT_VERSION: &str = "2026-11-23";

pub fn consent_text(lang: Language) -> &'static str {
    match lang {
        Language::Ko => "전자서명 동의: 본인은 이 문서에 전자적으로 서명하는 데 동의하며, 전자서명이 자필 서명과 같은 효력을 가질 수 있음을 이해합니다. \
            서명 과정에서 IP 주소, 기기 정보, 시각이 감사 기록으로 남습니다. 종이 문서를 원하시면 보낸 사람에게 요청할 수 있고, 서명 전에는 언제든 거절할 수 있습니다.",
        Language::En => "Consent to sign electronically: I agree to sign this document electronically and understand that my electronic signature \
            can be as binding as a handwritten one. The signing process records my IP address, device and times in an audit trail. \
            I may ask the sender for a paper copy, and I may decline at any time before signing.",
    }
}

/// What the signing code needs to know about an envelope.
#[derive(Clone, Debug)]
pub struct EnvelopeCtx {
    pub id: EnvelopeId,
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub time_zone: String,
    pub name: String,
    pub status: EnvelopeStatus,
    /// Live or test (test envelopes are marked as such everywhere).
    pub mode: Mode,
    pub message: String,
    pub signing_order: SigningOrder,
    pub expires_at: Option<Timestamp>,
    pub redirect_url: Option<String>,
    pub reminder_days: Option<i64>,
    pub sender_name: String,
    pub sender_email: String,
}

impl EnvelopeCtx {
    /// Sent, but its expiry has passed (the sweeper may not have marked it yet).
    pub fn is_past_expiry(&self) -> bool {
        self.status == EnvelopeStatus::Sent && self.expires_at.is_some_and(|e| e <= Timestamp::now())
    }
}

#[derive(sqlx::FromRow)]
struct CtxRow {
    id: String,
    organization_id: String,
    organization_name: String,
    time_zone: String,
    name: String,
    status: String,
    mode: String,
    message: String,
    signing_order: String,
    expires_at: Option<Timestamp>,
    redirect_url: Option<String>,
    reminder_days: Option<i64>,
    sender_name: Option<String>,
    sender_email: Option<String>,
}

/// The envelope as `conn` sees it (a pool connection, or a transaction that changed it).
pub(crate) async fn load_ctx(conn: &mut sqlx::AnyConnection, id: &EnvelopeId) -> AppResult<Option<EnvelopeCtx>> {
    let row: Option<CtxRow> = sqlx::query_as(
        "SELECT e.id, e.organization_id, o.name AS organization_name, o.time_zone, e.name, e.status, e.mode, e.message, \
                e.signing_order, e.expires_at, e.redirect_url, e.reminder_days, u.name AS sender_name, u.email AS sender_email \
         FROM envelopes e JOIN organizations o ON o.id = e.organization_id LEFT JOIN users u ON u.id = e.created_by \
         WHERE e.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(EnvelopeCtx {
        id: EnvelopeId::parse(&r.id)?,
        organization_id: OrganizationId::parse(&r.organization_id)?,
        sender_name: r.sender_name.unwrap_or_else(|| r.organization_name.clone()),
        sender_email: r.sender_email.unwrap_or_default(),
        organization_name: r.organization_name,
        time_zone: r.time_zone,
        name: r.name,
        status: EnvelopeStatus::parse(&r.status).unwrap_or(EnvelopeStatus::Draft),
        mode: Mode::parse(&r.mode).unwrap_or_default(),
        message: r.message,
        signing_order: SigningOrder::parse(&r.signing_order).unwrap_or_default(),
        expires_at: r.expires_at,
        redirect_url: r.redirect_url,
        reminder_days: r.reminder_days,
    }))
}

pub async fn envelope_ctx(db: &Db, id: &EnvelopeId, org: Option<&OrganizationId>) -> AppResult<EnvelopeCtx> {
    let ctx = load_ctx(&mut *db.pool().acquire().await?, id).await?.ok_or_else(|| AppError::not_found("Contract"))?;
    if org.is_some_and(|o| *o != ctx.organization_id) {
        return Err(AppError::not_found("Contract"));
    }
    Ok(ctx)
}

/// The error for acting on an envelope that is no longer open for signing.
pub fn closed_error(status: EnvelopeStatus, past_expiry: bool) -> AppError {
    if past_expiry {
        return AppError::new(ErrorCode::EnvelopeExpired, "This signing request has expired");
    }
    match status {
        EnvelopeStatus::Cancelled => AppError::new(ErrorCode::EnvelopeCancelled, "The sender cancelled this signing request"),
        EnvelopeStatus::Expired => AppError::new(ErrorCode::EnvelopeExpired, "This signing request has expired"),
        EnvelopeStatus::Completed | EnvelopeStatus::Sealing => AppError::new(ErrorCode::EnvelopeCompleted, "Everyone has signed this contract"),
        EnvelopeStatus::Declined => AppError::new(ErrorCode::EnvelopeDeclined, "A signer declined this contract"),
        EnvelopeStatus::Draft => AppError::new(ErrorCode::EnvelopeNotSent, "This contract has not been sent"),
        EnvelopeStatus::Sent => AppError::new(ErrorCode::Conflict, "The contract changed; reload the page"),
    }
}

/// "Today" in an IANA time zone, as YYYY-MM-DD (UTC when the zone is unknown).
pub fn today_in(tz: &str) -> String {
    let now = jiff::Timestamp::now();
    let zoned = jiff::tz::TimeZone::get(tz).map(|z| now.to_zoned(z)).unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC));
    zoned.strftime("%Y-%m-%d").to_string()
}

pub use crate::model::format_date_preview as format_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_field_format() {
        assert_eq!(format_date("2026-11-23", "YYYY-MM-DD"), "2026-11-23");
        assert_eq!(format_date("2026-11-23", "YYYY년 MM월 DD일"), "2026년 11월 23일");
        assert_eq!(format_date("2026-11-23", "MM/DD/YYYY"), "11/23/2026");
        assert_eq!(format_date("2026-11-23", "YYYY. MM. DD."), "2026. 11. 23.");
    }

    #[test]
    fn today_is_a_date_in_the_zone() {
        let t = today_in("Asia/Seoul");
        assert_eq!(t.len(), 10);
        assert_eq!(today_in("Not/AZone").len(), 10);
    }
}
