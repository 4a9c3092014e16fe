//! The checks on the signing page. A browser passes a recipient's checks one by one; its
//! progress is a signer session (a cookie per recipient holding a random token, of which the
//! database keeps the hash). Until the session has passed every check, the signing page, its
//! page images and every step (opening, consent, signing, declining) are refused
//! (`VERIFICATION_REQUIRED`): a link alone no longer opens the contract.
//!
//! Wrong answers count for the recipient over all checks and browsers: the fifth locks them
//! out until the sender unlocks them. Each attempt is counted before the answer is compared,
//! so parallel guesses cannot exceed the limit; a right answer gives back only its own
//! attempt. Every failure, lockout, unlock and pass is an audit event; the recipient's first
//! pass is also the `recipient.verified` webhook. The same checks guard a checked recipient's
//! download link once the contract is complete.

use super::phone::Phone;
use super::provider::{self, RequestState, Subject};
use super::{Identity, MAX_FAILURES};
use crate::audit::{AuditKind, Event, Origin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::RecipientId;
use crate::infra::crypto::{constant_time_eq, SigningToken};
use crate::infra::db::{Timestamp, Tx};
use crate::model::{AuthMethod, VerificationGate, VerificationStep};
use crate::signing::link::Signer;
use crate::state::AppState;
use serde_json::json;

/// How long a browser stays verified.
pub const SESSION_TTL: time::Duration = time::Duration::hours(4);

/// The cookies a request carries (name, value).
#[derive(Clone, Debug, Default)]
pub struct Cookies(pub Vec<(String, String)>);

impl Cookies {
    /// From `Cookie` header values.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let mut out = Vec::new();
        for v in headers.get_all(http::header::COOKIE) {
            for pair in v.to_str().unwrap_or_default().split(';') {
                if let Some((n, v)) = pair.trim().split_once('=') {
                    out.push((n.to_owned(), v.to_owned()));
                }
            }
        }
        Self(out)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The cookie holding a browser's session for a recipient. `__Host-`: browsers take it only
/// when Secure, for the whole site and with no Domain, so no sibling subdomain can plant or
/// shadow it.
pub fn cookie_name(recipient: &RecipientId) -> String {
    format!("__Host-dojang_signer_{}", recipient.as_str().replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
}

/// The `Set-Cookie` value for a new session (`SameSite=None; Partitioned` so that it also
/// works in an embedding page's frame).
pub fn set_cookie(recipient: &RecipientId, token: &str) -> String {
    format!("{}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=None; Partitioned", cookie_name(recipient), SESSION_TTL.whole_seconds())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    methods_done: String,
    verified_at: Option<Timestamp>,
}

/// Where a browser stands with a recipient's checks.
pub struct Standing {
    pub identity: Option<Identity>,
    pub required: Vec<AuthMethod>,
    pub done: Vec<AuthMethod>,
    /// The hash of the session token the browser presented, if any.
    presented: Option<String>,
}

impl Standing {
    /// Every check passed (or none asked for).
    pub fn passed(&self) -> bool {
        self.required.iter().all(|m| self.done.contains(m))
    }

    pub fn locked(&self) -> bool {
        self.identity.as_ref().is_some_and(|i| i.locked_at.is_some())
    }

    /// Ok when passed, else `VERIFICATION_REQUIRED` (or `VERIFICATION_LOCKED`).
    pub fn ensure_passed(&self) -> AppResult<()> {
        if self.passed() {
            Ok(())
        } else if self.locked() {
            Err(locked())
        } else {
            Err(AppError::new(ErrorCode::VerificationRequired, "Confirm who you are first"))
        }
    }

    /// What the signing page asks for (none once passed).
    pub async fn gate(&self, st: &AppState, s: &Signer) -> AppResult<Option<VerificationGate>> {
        if self.passed() {
            return Ok(None);
        }
        // Only reads: no write lock taken.
        let mut conn = st.db.pool().acquire().await?;
        let mut steps = Vec::new();
        for m in &self.required {
            let code_sent = match provider::provider(*m) {
                Some(_) => provider::latest(&mut conn, &s.recipient.id, *m).await?.is_some_and(|r| r.state_now() == RequestState::Pending),
                None => false,
            };
            let sent_to = match m {
                AuthMethod::EmailCode => Some(mask_email(&s.recipient.email)),
                // The phone check asks for the number: its last digits are not shown.
                AuthMethod::SmsCode if self.required.contains(&AuthMethod::Knowledge) => None,
                AuthMethod::SmsCode => self.identity.as_ref().and_then(|i| i.phone.as_deref()).map(Phone::masked),
                _ => None,
            };
            steps.push(VerificationStep { method: *m, done: self.done.contains(m), sent_to, code_sent });
        }
        Ok(Some(VerificationGate { steps, locked: self.locked() }))
    }
}

fn locked() -> AppError {
    AppError::new(ErrorCode::VerificationLocked, "Too many wrong answers: ask the sender to let you try again")
}

/// `k***@example.com`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// Where the browser presenting `cookies` stands with the recipient's checks.
pub async fn standing(st: &AppState, s: &Signer, cookies: &Cookies) -> AppResult<Standing> {
    // The recipient row was read with its identity settings: none stored, nothing to check.
    if s.recipient.auth_methods.is_none() {
        return Ok(Standing { identity: None, required: Vec::new(), done: Vec::new(), presented: None });
    }
    let mut conn = st.db.pool().acquire().await?;
    let identity = Identity::load(&mut conn, &s.recipient.id).await?;
    let required = identity.as_ref().map(Identity::checks).transpose()?.unwrap_or_default();
    if required.is_empty() {
        return Ok(Standing { identity, required, done: Vec::new(), presented: None });
    }
    let presented = cookies.get(&cookie_name(&s.recipient.id)).and_then(SigningToken::parse).map(|t| t.hash());
    let session = match &presented {
        Some(hash) => session_in(&mut conn, &s.recipient.id, hash).await?,
        None => None,
    };
    let done = session.as_ref().map(|x| AuthMethod::split(&x.methods_done).unwrap_or_default()).unwrap_or_default();
    Ok(Standing { identity, required, done, presented })
}

/// Asks a check's provider for a new request (a code sent now).
/// The caller decides whether the link may still be used (signing: while the envelope is
/// open; a recipient's download link: once it is complete).
pub async fn request(st: &AppState, s: &Signer, cookies: &Cookies, method: AuthMethod, origin: &Origin) -> AppResult<()> {
    let standing = standing(st, s, cookies).await?;
    let p = open_step(&standing, method)?;
    let p = provider::provider(p).ok_or_else(|| AppError::field("method", "invalid", "This check sends no code"))?;
    let mut tx = st.db.begin().await?;
    // Requests for one recipient take turns (the row is locked until commit), so two at once
    // cannot both pass the pacing; a lockout since the standing was read is seen here.
    lock_unlocked(&mut tx, &s.recipient.id).await?;
    let who = Subject { envelope: &s.envelope, recipient: &s.recipient, phone: standing.identity.as_ref().and_then(|i| i.phone.as_deref()) };
    let req = p.request(st, &mut tx, &who).await?;
    crate::envelope::report(
        &mut tx,
        Event {
            envelope_id: &s.envelope.id,
            kind: AuditKind::IdentityRequested,
            recipient_id: Some(&s.recipient.id),
            user_id: None,
            origin,
            data: json!({ "method": method.as_str(), "request": req.id, "expiresIn": req.expires_in() }),
        },
    )
    .await?;
    tx.commit().await?;
    st.wake_outboxes();
    Ok(())
}

/// Locks the recipient's row for the transaction; `VERIFICATION_LOCKED` when they are locked.
async fn lock_unlocked(tx: &mut Tx, recipient: &RecipientId) -> AppResult<()> {
    let res = sqlx::query("UPDATE recipient_identity SET updated_at = $2 WHERE recipient_id = $1 AND locked_at IS NULL")
        .bind(recipient)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 0 {
        return Err(locked());
    }
    Ok(())
}

/// The session row of the browser's cookie while it lasts (read again inside an answer's
/// transaction once the recipient's row is locked: what a parallel answer recorded is seen).
async fn session_in(conn: &mut sqlx::AnyConnection, recipient: &RecipientId, token_hash: &str) -> AppResult<Option<SessionRow>> {
    Ok(sqlx::query_as("SELECT token_hash, methods_done, verified_at FROM signer_sessions WHERE token_hash = $1 AND recipient_id = $2 AND expires_at > $3")
        .bind(token_hash)
        .bind(recipient)
        .bind(Timestamp::now())
        .fetch_optional(conn)
        .await?)
}

/// Drops the recipient's sessions that have not passed every check (on a lockout, an unlock).
async fn forget_partial_sessions(tx: &mut Tx, recipient: &RecipientId) -> AppResult<()> {
    sqlx::query("DELETE FROM signer_sessions WHERE recipient_id = $1 AND verified_at IS NULL").bind(recipient).execute(&mut **tx).await?;
    Ok(())
}

/// How long a session's previous token is recognised after a step rotated it.
const ROTATION_GRACE: time::Duration = time::Duration::minutes(1);

/// Whether `token_hash` was a session's token until a step rotated it just now.
async fn rotated_just_now(tx: &mut Tx, recipient: &RecipientId, token_hash: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signer_sessions WHERE previous_token_hash = $1 AND recipient_id = $2 AND rotated_at > $3")
        .bind(token_hash)
        .bind(recipient)
        .bind(Timestamp::now().plus(-ROTATION_GRACE))
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

/// A check the browser still has to pass; refuses when locked, passed already, or not asked.
fn open_step(standing: &Standing, method: AuthMethod) -> AppResult<AuthMethod> {
    if standing.locked() {
        return Err(locked());
    }
    if !standing.required.contains(&method) {
        return Err(AppError::field("method", "not_required", "This recipient has no such check"));
    }
    if standing.done.contains(&method) {
        return Err(AppError::field("method", "already_passed", "This check is passed already"));
    }
    Ok(method)
}

/// The signer's answer to one check.
pub struct Answer<'a> {
    pub method: AuthMethod,
    pub code: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub birth_date: Option<&'a str>,
}

/// Takes an answer; when right, returns the browser's session token (new at every step: to
/// be set as its cookie). As `request`, the caller checks that the link may be used.
pub async fn answer(st: &AppState, s: &Signer, cookies: &Cookies, a: &Answer<'_>, origin: &Origin) -> AppResult<String> {
    let standing = standing(st, s, cookies).await?;
    open_step(&standing, a.method)?;
    let identity = standing.identity.as_ref().ok_or_else(|| AppError::internal_msg("checks without settings"))?;
    let mut tx = st.db.begin().await?;
    // A code must be pending before an attempt is spent on it.
    let pending = if a.method.sends_code() {
        match provider::latest(&mut *tx, &s.recipient.id, a.method).await? {
            Some(r) if r.state_now() == RequestState::Pending => Some(r),
            _ => {
                tx.rollback().await?;
                return Err(AppError::new(ErrorCode::VerificationCodeExpired, "This code has expired or was replaced; ask for a new one"));
            }
        }
    } else {
        None
    };
    // The attempt is counted first (atomically, and only below the limit).
    let counted: Option<i64> = sqlx::query_scalar(
        "UPDATE recipient_identity SET failures = failures + 1, updated_at = $3 WHERE recipient_id = $1 AND locked_at IS NULL AND failures < $2 RETURNING failures",
    )
    .bind(&s.recipient.id)
    .bind(MAX_FAILURES)
    .bind(Timestamp::now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(failures) = counted else {
        tx.rollback().await?;
        return Err(locked());
    };
    // Read again under the lock: a parallel right answer may have passed a check meanwhile.
    let session = match &standing.presented {
        Some(hash) => match session_in(&mut tx, &s.recipient.id, hash).await? {
            Some(fresh) => Some(fresh),
            // A parallel answer from this browser rotated the token a moment ago: its reply
            // carries the new one; this one sets nothing (a fresh session would hold less
            // and, set last, would cost the browser what it passed).
            None if rotated_just_now(&mut tx, &s.recipient.id, hash).await? => {
                tx.rollback().await?;
                return Err(AppError::field("method", "already_passed", "This check was just answered in this browser"));
            }
            None => None,
        },
        None => None,
    };
    let done_before = session.as_ref().map(|x| AuthMethod::split(&x.methods_done).unwrap_or_default()).unwrap_or_default();
    if done_before.contains(&a.method) {
        tx.rollback().await?;
        return Err(AppError::field("method", "already_passed", "This check is passed already"));
    }
    let right = match a.method {
        AuthMethod::EmailCode | AuthMethod::SmsCode => {
            let p = provider::provider(a.method).ok_or_else(|| AppError::internal_msg("a code check without its provider"))?;
            match &pending {
                Some(req) => p.answer(st, &mut tx, req, a.code.unwrap_or_default()).await?,
                None => false,
            }
        }
        AuthMethod::AccessCode => {
            let given = super::access_code_hash(&st.settings.secret_key, a.code.unwrap_or_default());
            identity.access_code_hash.as_deref().is_some_and(|h| constant_time_eq(h.as_bytes(), given.as_bytes()))
        }
        AuthMethod::Knowledge => {
            let phone_ok = a.phone.and_then(Phone::parse).zip(identity.phone.as_deref()).is_some_and(|(p, stored)| p.e164() == stored);
            let birth_ok = a
                .birth_date
                .and_then(super::birth_date)
                .map(|d| super::birth_date_hash(&st.settings.secret_key, &d))
                .zip(identity.birth_date_hash.as_deref())
                .is_some_and(|(given, stored)| constant_time_eq(given.as_bytes(), stored.as_bytes()));
            phone_ok && birth_ok
        }
    };
    let event = |kind, data| Event { envelope_id: &s.envelope.id, kind, recipient_id: Some(&s.recipient.id), user_id: None, origin, data };
    if !right {
        let left = MAX_FAILURES - failures;
        crate::envelope::report(&mut tx, event(AuditKind::IdentityFailed, json!({ "method": a.method.as_str(), "attemptsLeft": left }))).await?;
        if left == 0 {
            sqlx::query("UPDATE recipient_identity SET locked_at = $2 WHERE recipient_id = $1")
                .bind(&s.recipient.id)
                .bind(Timestamp::now())
                .execute(&mut *tx)
                .await?;
            // Checks passed part way are lost with the lockout (a browser that passed all
            // keeps its session).
            forget_partial_sessions(&mut tx, &s.recipient.id).await?;
            crate::envelope::report(&mut tx, event(AuditKind::RecipientLocked, json!({ "method": a.method.as_str() }))).await?;
        }
        tx.commit().await?;
        return Err(if left == 0 { locked() } else { AppError::new(ErrorCode::VerificationFailed, format!("That is not right; {left} tries left")) });
    }
    let now = Timestamp::now();
    let mut done = done_before;
    done.push(a.method);
    let passed = standing.required.iter().all(|m| done.contains(m));
    // The count starts over only once every check is passed: a right answer to one check
    // (a fresh code) must not buy more guesses at another (an access code, a birth date).
    // Short of that, a right answer gives back only the attempt it spent (else right
    // answers alone would use up the count without ever locking the recipient).
    sqlx::query(if passed {
        "UPDATE recipient_identity SET failures = 0, updated_at = $2 WHERE recipient_id = $1"
    } else {
        "UPDATE recipient_identity SET failures = failures - 1, updated_at = $2 WHERE recipient_id = $1 AND failures > 0"
    })
    .bind(&s.recipient.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Every passed step gets a new session token (the cookie is set again): a token seen
    // before a step does not carry what the step passed.
    let token = SigningToken::generate();
    match &session {
        Some(session) => {
            sqlx::query(
                "UPDATE signer_sessions SET token_hash = $4, previous_token_hash = $1, rotated_at = $5, methods_done = $2, verified_at = $3 WHERE token_hash = $1",
            )
            .bind(&session.token_hash)
            .bind(AuthMethod::join(&done))
            .bind(if passed { Some(now) } else { session.verified_at })
            .bind(token.hash())
            .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO signer_sessions (token_hash, recipient_id, envelope_id, methods_done, verified_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.hash())
            .bind(&s.recipient.id)
            .bind(&s.envelope.id)
            .bind(AuthMethod::join(&done))
            .bind(passed.then_some(now))
            .bind(now)
            .bind(now.plus(SESSION_TTL))
            .execute(&mut *tx)
            .await?;
        }
    }
    if passed {
        // The first pass is the recipient's verification (API, webhook); a pass in another
        // browser later is recorded as a new session only.
        let first = sqlx::query("UPDATE recipient_identity SET verified_at = $2, verified_methods = $3 WHERE recipient_id = $1 AND verified_at IS NULL")
            .bind(&s.recipient.id)
            .bind(now)
            .bind(AuthMethod::join(&standing.required))
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        let methods: Vec<&str> = standing.required.iter().map(|m| m.as_str()).collect();
        let kind = if first { AuditKind::RecipientVerified } else { AuditKind::IdentityPassed };
        crate::envelope::report(&mut tx, event(kind, json!({ "methods": methods }))).await?;
    }
    tx.commit().await?;
    Ok(token.as_str().to_owned())
}

/// The sender lets a locked-out recipient try again: the count starts over, pending codes
/// lapse, and checks passed part way before the lockout must be passed again.
pub async fn unlock(
    tx: &mut Tx,
    envelope: &crate::envelope::Envelope,
    recipient: &RecipientId,
    user: Option<&crate::ids::UserId>,
    origin: &Origin,
) -> AppResult<bool> {
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE recipient_identity SET failures = 0, locked_at = NULL, updated_at = $3 WHERE recipient_id = $1 AND envelope_id = $2 AND (locked_at IS NOT NULL OR failures >= $4)",
    )
    .bind(recipient)
    .bind(&envelope.id)
    .bind(now)
    .bind(MAX_FAILURES)
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE identity_requests SET status = $2 WHERE recipient_id = $1 AND status = $3")
        .bind(recipient)
        .bind(RequestState::Expired)
        .bind(RequestState::Pending)
        .execute(&mut **tx)
        .await?;
    forget_partial_sessions(tx, recipient).await?;
    crate::envelope::report(
        tx,
        Event { envelope_id: &envelope.id, kind: AuditKind::RecipientUnlocked, recipient_id: Some(recipient), user_id: user, origin, data: json!({}) },
    )
    .await?;
    Ok(true)
}
