//! Lists of the API: a page is `limit` rows after `offset` rows or after a cursor (newest
//! first by creation, ties by id). A cursor names the last row of the page before it, so
//! rows created meanwhile neither repeat nor go missing; it is opaque to the caller and
//! only ever narrows the caller's own scope, so a forged one reveals nothing.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::infra::db::{Db, Timestamp};
use base64::Engine as _;

/// Where a page starts: after the row created at `created_at` with id `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Timestamp,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{}", self.created_at.to_db(), self.id))
    }

    pub fn decode(s: &str) -> AppResult<Self> {
        let bad = || AppError::field("cursor", "invalid", "Use the `next` value of the previous page");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (at, id) = text.split_once('|').ok_or_else(bad)?;
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(bad());
        }
        Ok(Self { created_at: Timestamp::parse(at).map_err(|_| bad())?, id: id.to_owned() })
    }
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
    pub after: Option<Cursor>,
}

impl Page {
    /// `limit` 1–100 (default 20), `offset` from 0, or a cursor (not both).
    pub fn parse(limit: Option<i64>, offset: Option<i64>, cursor: Option<&str>) -> AppResult<Self> {
        let limit = limit.unwrap_or(20);
        let offset = offset.unwrap_or(0);
        if !(1..=100).contains(&limit) {
            return Err(AppError::field("limit", "invalid", "limit is 1–100"));
        }
        if !(0..=1_000_000).contains(&offset) {
            return Err(AppError::field("offset", "invalid", "offset is 0 or more"));
        }
        let after = cursor.map(Cursor::decode).transpose()?;
        if after.is_some() && offset > 0 {
            return Err(AppError::field("cursor", "invalid", "Use either a cursor or an offset"));
        }
        Ok(Self { limit, offset, after })
    }
}

/// A time bound of a list filter: RFC 3339 with any offset.
pub fn parse_time(field: &str, value: Option<&str>) -> AppResult<Option<Timestamp>> {
    value
        .map(|v| {
            time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339)
                .map(Timestamp::from_datetime)
                .map_err(|_| AppError::field(field, "invalid", "Use an RFC 3339 time, e.g. 2026-12-01T09:00:00+09:00"))
        })
        .transpose()
}

/// A list's conditions on a table aliased `alias`, with numbered text parameters built in
/// order — the caller's scope first (`scope::list_condition`), then the filters.
pub struct Conditions {
    alias: &'static str,
    sql: Vec<String>,
    params: Vec<String>,
}

impl Conditions {
    /// Rows in `actor`'s scope (organization, mode, and client when there is one).
    pub fn scoped(actor: &Actor, alias: &'static str) -> Self {
        let mut params = vec![actor.organization_id.to_string(), actor.mode.as_str().to_owned()];
        if let Some(c) = &actor.client_id {
            params.push(c.to_string());
        }
        Self { alias, sql: vec![crate::api::scope::list_condition(actor, alias)], params }
    }

    /// The next parameter's placeholder for `value`.
    pub fn param(&mut self, value: impl Into<String>) -> String {
        self.params.push(value.into());
        format!("${}", self.params.len())
    }

    pub fn push(&mut self, condition: String) {
        self.sql.push(condition);
    }

    /// One page of `select` (its columns and `FROM table alias`) under these conditions,
    /// newest first, and the cursor of the next page when more follow (from each row's
    /// creation time and id, as `key` gives them).
    pub async fn fetch_page<R>(mut self, db: &Db, select: &str, page: &Page, key: impl Fn(&R) -> (Timestamp, String)) -> AppResult<(Vec<R>, Option<Cursor>)>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        self.cursor(&page.after);
        let a = self.alias;
        let sql =
            format!("{select} WHERE {} ORDER BY {a}.created_at DESC, {a}.id DESC LIMIT {} OFFSET {}", self.sql.join(" AND "), page.limit + 1, page.offset);
        let q = self.params.iter().fold(sqlx::query_as::<_, R>(&sql), |q, p| q.bind(p.as_str()));
        let mut rows = q.fetch_all(db.pool()).await?;
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next = if more { rows.last().map(|r| key(r)).map(|(created_at, id)| Cursor { created_at, id }) } else { None };
        Ok((rows, next))
    }

    /// The time bounds on `column`.
    pub fn range(&mut self, column: &str, after: Option<Timestamp>, before: Option<Timestamp>) {
        if let Some(a) = after {
            let p = self.param(a.to_db());
            self.push(format!("{column} >= {p}"));
        }
        if let Some(b) = before {
            let p = self.param(b.to_db());
            self.push(format!("{column} < {p}"));
        }
    }

    /// Rows after the cursor, newest first.
    fn cursor(&mut self, after: &Option<Cursor>) {
        if let Some(c) = after {
            let a = self.alias;
            let at = self.param(c.created_at.to_db());
            let id = self.param(c.id.clone());
            self.push(format!("({a}.created_at < {at} OR ({a}.created_at = {at} AND {a}.id < {id}))"));
        }
    }
}

/// A text filter of a list, at most `max` characters (longer is a 422 naming `field`).
pub fn parse_filter(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    match value {
        Some(v) if v.chars().count() > max => Err(AppError::field(field, "too_long", format!("Use at most {max} characters"))),
        v => Ok(v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())),
    }
}

/// A `LIKE` pattern matching `text` anywhere, its wildcards taken literally (`ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let c = Cursor { created_at: Timestamp::parse("2026-12-01T09:00:00.123Z").unwrap(), id: "env_abc123".into() };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!!", "bm90aGluZw", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("2026-12-01T09:00:00.123Z|x' OR 1=1")] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
        assert!(Page::parse(Some(10), Some(5), Some(&c.encode())).is_err());
        assert!(Page::parse(Some(0), None, None).is_err());
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern(" 100%_계약 "), "%100\\%\\_계약%");
    }
}
