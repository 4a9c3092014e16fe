//! The interface every identity check with a request step runs through, modelled on the
//! request → pending → completed / expired cycle of Barocert's RequestMultiSign and
//! GetMultiSignStatus: a provider starts a request for a recipient (sends a code, or asks a
//! certificate service to push a signing request to the signer's phone), reports where a
//! request stands, and takes the signer's answer when the check has one (a code).
//!
//! Email and SMS codes are the first providers. A certificate provider (Kakao through
//! Barocert, PASS, NICE, a bank certificate) implements the same trait: `request` calls the
//! service and keeps its receipt id as the request's id, `status` asks the service
//! (completed once the signer approved in their app), `answer` refuses (there is nothing to
//! type). The signing flow (`gate`) never changes for a new provider.

use crate::envelope::{Envelope, Recipient};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::infra::crypto::{constant_time_eq, keyed_hash};
use crate::infra::db::{Timestamp, Tx};
use crate::mail::outbox::{self, EmailKind, NewEmail};
use crate::model::AuthMethod;
use crate::state::AppState;
use rand::Rng as _;

/// How long a code (or a provider's request) stays valid.
pub const CODE_TTL: time::Duration = time::Duration::minutes(10);
/// The least time between two codes of one check.
pub const RESEND_GAP: time::Duration = time::Duration::seconds(60);
/// At most this many codes of one check per hour.
pub const CODES_PER_HOUR: i64 = 5;
const CODE_LABEL: &[u8] = b"identity-one-time-code-v1";

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    Pending,
    Completed,
    Expired,
    Failed,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Completed, Self::Expired, Self::Failed].into_iter().find(|r| r.as_str() == s)
    }
}

crate::infra::db::db_enum!(RequestState);

/// A provider's request, with the times Barocert's status reports (requested, expiring,
/// completed).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdentityRequest {
    pub id: String,
    pub method: AuthMethod,
    #[sqlx(rename = "status")]
    pub state: RequestState,
    pub requested_at: Timestamp,
    pub expires_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

impl IdentityRequest {
    /// Its state now (a pending request past its time has expired).
    pub fn state_now(&self) -> RequestState {
        if self.state == RequestState::Pending && self.expires_at <= Timestamp::now() {
            RequestState::Expired
        } else {
            self.state
        }
    }

    /// Seconds left until it expires (Barocert's `expireIn`).
    pub fn expires_in(&self) -> i64 {
        (self.expires_at.datetime() - Timestamp::now().datetime()).whole_seconds().max(0)
    }
}

/// Who a request is for.
pub struct Subject<'a> {
    pub envelope: &'a Envelope,
    pub recipient: &'a Recipient,
    /// E.164, when the recipient has one.
    pub phone: Option<&'a str>,
}

/// A check with a request step.
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync {
    fn method(&self) -> AuthMethod;

    /// Starts a request (in `tx`: what it sends leaves only if the transaction commits).
    async fn request(&self, st: &AppState, tx: &mut Tx, who: &Subject<'_>) -> AppResult<IdentityRequest>;

    /// Where a request stands.
    async fn status(&self, st: &AppState, tx: &mut Tx, request: &IdentityRequest) -> AppResult<RequestState>;

    /// The signer's answer to a pending request: true when right.
    async fn answer(&self, st: &AppState, tx: &mut Tx, request: &IdentityRequest, answer: &str) -> AppResult<bool>;
}

/// The provider of a check with a request step (`None`: the check compares what the signer
/// types with what the sender entered, see `gate`).
pub fn provider(method: AuthMethod) -> Option<&'static dyn IdentityProvider> {
    match method {
        AuthMethod::EmailCode => Some(&CodeProvider(AuthMethod::EmailCode)),
        AuthMethod::SmsCode => Some(&CodeProvider(AuthMethod::SmsCode)),
        AuthMethod::AccessCode | AuthMethod::Knowledge => None,
    }
}

/// A 6-digit one-time code sent by email or SMS; stored as a keyed hash.
struct CodeProvider(AuthMethod);

fn code_hash(st: &AppState, request_id: &str, code: &str) -> String {
    // The request id is part of what is hashed: one code's hash says nothing of another's.
    keyed_hash(&st.settings.secret_key, CODE_LABEL, &format!("{request_id}:{code}"))
}

#[async_trait::async_trait]
impl IdentityProvider for CodeProvider {
    fn method(&self) -> AuthMethod {
        self.0
    }

    async fn request(&self, st: &AppState, tx: &mut Tx, who: &Subject<'_>) -> AppResult<IdentityRequest> {
        let (r, e) = (who.recipient, who.envelope);
        let now = Timestamp::now();
        pace(tx, r, self.0, now).await?;
        // A new code replaces the ones before it.
        sqlx::query("UPDATE identity_requests SET status = $3 WHERE recipient_id = $1 AND method = $2 AND status = $4")
            .bind(&r.id)
            .bind(self.0)
            .bind(RequestState::Expired)
            .bind(RequestState::Pending)
            .execute(&mut **tx)
            .await?;
        let id = format!("idr_{}", uuid::Uuid::now_v7().simple());
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
        let expires_at = now.plus(CODE_TTL);
        sqlx::query(
            "INSERT INTO identity_requests (id, recipient_id, envelope_id, method, code_hash, status, attempts, requested_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
        )
        .bind(&id)
        .bind(&r.id)
        .bind(&e.id)
        .bind(self.0)
        .bind(code_hash(st, &id, &code))
        .bind(RequestState::Pending)
        .bind(now)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
        match self.0 {
            AuthMethod::SmsCode => {
                let text = crate::sms::code(r.language, &e.name, &code);
                let to = who.phone.ok_or_else(|| AppError::new(ErrorCode::VerificationRequired, "This recipient has no phone number"))?;
                crate::sms::outbox::enqueue(
                    st,
                    tx,
                    crate::sms::outbox::NewText { kind: crate::sms::TextKind::Code, to, text: &text, envelope: e, recipient_id: Some(&r.id) },
                )
                .await?;
            }
            _ => {
                let mail = crate::mail::templates::code(r.language, &r.name, &e.name, &code);
                outbox::enqueue(
                    &st.settings,
                    tx,
                    NewEmail {
                        kind: EmailKind::VerificationCode,
                        to_email: &r.email,
                        to_name: &r.name,
                        subject: mail.subject,
                        html: mail.html,
                        text: mail.text,
                        organization_id: Some(&e.organization_id),
                        envelope_id: Some(&e.id),
                        recipient_id: Some(&r.id),
                        attachments: Vec::new(),
                    },
                )
                .await?;
            }
        }
        Ok(IdentityRequest { id, method: self.0, state: RequestState::Pending, requested_at: now, expires_at, completed_at: None })
    }

    async fn status(&self, _st: &AppState, _tx: &mut Tx, request: &IdentityRequest) -> AppResult<RequestState> {
        Ok(request.state_now())
    }

    async fn answer(&self, st: &AppState, tx: &mut Tx, request: &IdentityRequest, answer: &str) -> AppResult<bool> {
        let digits: String = answer.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let right = digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) && {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT code_hash FROM identity_requests WHERE id = $1").bind(&request.id).fetch_optional(&mut **tx).await?.flatten();
            stored.is_some_and(|s| constant_time_eq(s.as_bytes(), code_hash(st, &request.id, &digits).as_bytes()))
        };
        let now = Timestamp::now();
        if right {
            // Only a request still pending completes (a parallel answer with the same code, or
            // a new code sent meanwhile, leaves nothing to complete): a code works once.
            let done = sqlx::query(
                "UPDATE identity_requests SET status = $2, completed_at = $3, attempts = attempts + 1 WHERE id = $1 AND status = $4 AND expires_at > $3",
            )
            .bind(&request.id)
            .bind(RequestState::Completed)
            .bind(now)
            .bind(RequestState::Pending)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(AppError::new(ErrorCode::VerificationCodeExpired, "This code has expired or was replaced; ask for a new one"));
            }
        } else {
            sqlx::query("UPDATE identity_requests SET attempts = attempts + 1 WHERE id = $1").bind(&request.id).execute(&mut **tx).await?;
        }
        Ok(right)
    }
}

/// Refuses a new code sooner than `RESEND_GAP` after the last, or past `CODES_PER_HOUR`.
async fn pace(tx: &mut Tx, r: &Recipient, method: AuthMethod, now: Timestamp) -> AppResult<()> {
    let hour_ago = now.plus(time::Duration::hours(-1));
    let recent: Vec<Timestamp> = sqlx::query_scalar(
        "SELECT requested_at FROM identity_requests WHERE recipient_id = $1 AND method = $2 AND requested_at > $3 ORDER BY requested_at DESC",
    )
    .bind(&r.id)
    .bind(method)
    .bind(hour_ago)
    .fetch_all(&mut **tx)
    .await?;
    let wait_until = match (recent.first(), recent.last()) {
        (Some(last), _) if last.plus(RESEND_GAP) > now => Some(last.plus(RESEND_GAP)),
        (_, Some(oldest)) if recent.len() as i64 >= CODES_PER_HOUR => Some(oldest.plus(time::Duration::hours(1))),
        _ => None,
    };
    match wait_until {
        Some(t) => {
            let secs = (t.datetime() - now.datetime()).whole_seconds().max(1) as u64;
            Err(AppError::new(ErrorCode::VerificationResendLimited, format!("A code was sent recently; ask again in {secs} s")).with_retry_after(secs))
        }
        None => Ok(()),
    }
}

/// The newest request of a check for a recipient.
pub async fn latest(conn: &mut sqlx::AnyConnection, recipient: &crate::ids::RecipientId, method: AuthMethod) -> AppResult<Option<IdentityRequest>> {
    Ok(sqlx::query_as(
        "SELECT id, method, status, requested_at, expires_at, completed_at FROM identity_requests \
         WHERE recipient_id = $1 AND method = $2 ORDER BY requested_at DESC, id DESC LIMIT 1",
    )
    .bind(recipient)
    .bind(method)
    .fetch_optional(conn)
    .await?)
}
