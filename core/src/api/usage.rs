//! Usage and quotas: signature requests (envelopes sent in live mode) per calendar month in
//! UTC, against the organization's monthly quota set by the instance operator (none by
//! default). Test envelopes never count.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::OrganizationId;
use crate::infra::db::{Db, Timestamp, Tx};
use serde::Serialize;
use time::{Date, OffsetDateTime, Time};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub period_start: String,
    pub period_end: String,
    pub sent: i64,
    /// `None`: unlimited.
    pub quota: Option<i64>,
    pub remaining: Option<i64>,
}

/// The calendar month (UTC) around `now`: [start, end).
pub fn month_of(now: OffsetDateTime) -> (Timestamp, Timestamp) {
    let start = Date::from_calendar_date(now.year(), now.month(), 1).unwrap_or(now.date());
    let (y, m) = if now.month() == time::Month::December { (now.year() + 1, time::Month::January) } else { (now.year(), now.month().next()) };
    let end = Date::from_calendar_date(y, m, 1).unwrap_or(now.date());
    (Timestamp::from_datetime(start.with_time(Time::MIDNIGHT).assume_utc()), Timestamp::from_datetime(end.with_time(Time::MIDNIGHT).assume_utc()))
}

async fn sent_in(conn: &mut sqlx::AnyConnection, org: &OrganizationId, start: Timestamp, end: Timestamp) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM envelopes WHERE organization_id = $1 AND mode = 'live' AND sent_at >= $2 AND sent_at < $3")
        .bind(org)
        .bind(start)
        .bind(end)
        .fetch_one(conn)
        .await?)
}

async fn quota_of(conn: &mut sqlx::AnyConnection, org: &OrganizationId) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT monthly_quota FROM organizations WHERE id = $1").bind(org).fetch_optional(conn).await?.flatten())
}

pub async fn usage(db: &Db, org: &OrganizationId) -> AppResult<Usage> {
    let (start, end) = month_of(OffsetDateTime::now_utc());
    let mut conn = db.pool().acquire().await?;
    let sent = sent_in(&mut conn, org, start, end).await?;
    let quota = quota_of(&mut conn, org).await?;
    Ok(Usage { period_start: start.to_db(), period_end: end.to_db(), sent, quota, remaining: quota.map(|q| (q - sent).max(0)) })
}

/// Inside the sending transaction (before the envelope is marked sent): refuses when the
/// month's quota is used up.
pub async fn check_quota(tx: &mut Tx, org: &OrganizationId) -> AppResult<()> {
    let Some(quota) = quota_of(tx, org).await? else { return Ok(()) };
    crate::infra::db::lock(tx, "organizations", org.as_str()).await?;
    let (start, end) = month_of(OffsetDateTime::now_utc());
    if sent_in(tx, org, start, end).await? >= quota {
        return Err(AppError::new(ErrorCode::QuotaExceeded, format!("This organization has used its {quota} signature requests for this month")));
    }
    Ok(())
}

/// Sets (or clears, with `None`) an organization's monthly quota.
pub async fn set_quota(db: &Db, org: &OrganizationId, quota: Option<i64>) -> AppResult<()> {
    if quota.is_some_and(|q| q < 0) {
        return Err(AppError::field("quota", "invalid", "A quota cannot be negative"));
    }
    sqlx::query("UPDATE organizations SET monthly_quota = $2, updated_at = $3 WHERE id = $1")
        .bind(org)
        .bind(quota)
        .bind(Timestamp::now())
        .execute(db.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_the_first_to_the_first() {
        let (s, e) = month_of(time::macros::datetime!(2026-12-15 10:00 UTC));
        assert_eq!(s.to_db(), "2026-12-01T00:00:00.000Z");
        assert_eq!(e.to_db(), "2027-01-01T00:00:00.000Z");
    }
}
