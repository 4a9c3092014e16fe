//! A signing link: its token resolves to a recipient and their envelope, and where they stand
//! (their turn, not yet, signed, the envelope ended…).

use crate::envelope::contents::{recipient_object, WithValues};
use crate::envelope::transition::closed_error;
use crate::envelope::{Contents, Envelope, Recipient};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::FieldId;
use crate::infra::crypto::SigningToken;
use crate::infra::db::{json, Backend, Timestamp};
use crate::model::{EnvelopeStatus, RecipientRole, SignerState, SigningOrder};
use crate::state::AppState;
use std::collections::HashMap;

/// A recipient reached through their signing link, with their envelope.
#[derive(Clone, Debug)]
pub struct Signer {
    pub recipient: Recipient,
    pub envelope: Envelope,
}

fn invalid() -> AppError {
    AppError::new(ErrorCode::SigningLinkInvalid, "This signing link is not valid")
}

/// The joins from an envelope to the recipient whose link's hash is `$1` while it is live at `$2`.
const BY_LINK: &str = "JOIN recipients r ON r.envelope_id = e.id JOIN signing_links l ON l.recipient_id = r.id \
     LEFT JOIN recipient_identity i ON i.recipient_id = r.id \
     WHERE l.token_hash = $1 AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $2)";

/// A link's envelope with its recipient (as JSON) in one row.
#[derive(sqlx::FromRow)]
struct LinkRow {
    #[sqlx(flatten)]
    envelope: Envelope,
    recipient_json: String,
}

impl LinkRow {
    fn signer(self) -> AppResult<Signer> {
        Ok(Signer { recipient: json::one(&self.recipient_json, "a link's recipient")?, envelope: self.envelope })
    }
}

/// As `LinkRow`, with what the envelope holds and the values filled in so far.
#[derive(sqlx::FromRow)]
struct LinkRowWithContents {
    #[sqlx(flatten)]
    link: LinkRow,
    #[sqlx(flatten)]
    contents: WithValues,
}

fn link_sql(backend: Backend, more: &str) -> String {
    Envelope::select(&format!(", {} AS recipient_json{more}", recipient_object(backend)), BY_LINK)
}

impl Signer {
    /// Who a link belongs to, in one query. Unknown or malformed links are `SIGNING_LINK_INVALID`.
    pub async fn resolve(st: &AppState, token: &str) -> AppResult<Self> {
        static SQL: json::Sql = json::Sql::new(|b| link_sql(b, ""));
        let row: LinkRow = Self::find(st, token, &SQL).await?;
        row.signer()
    }

    /// As `resolve`, with what the envelope holds and the values filled in so far, in the same
    /// query (the signing page; read even when the page shows none of it — ended, or checks
    /// still to pass — since it costs the same statement).
    pub async fn resolve_with_contents(st: &AppState, token: &str) -> AppResult<(Self, Contents, HashMap<FieldId, String>)> {
        static SQL: json::Sql = json::Sql::new(|b| link_sql(b, &format!(", {}", WithValues::columns(b))));
        let row: LinkRowWithContents = Self::find(st, token, &SQL).await?;
        let (contents, values) = row.contents.decode()?;
        Ok((row.link.signer()?, contents, values))
    }

    async fn find<T>(st: &AppState, token: &str, sql: &json::Sql) -> AppResult<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let token = SigningToken::parse(token).ok_or_else(invalid)?;
        let row = sqlx::query_as(sql.get(st.db.backend())).bind(token.hash()).bind(Timestamp::now().to_db()).fetch_optional(st.db.pool()).await?;
        row.ok_or_else(invalid)
    }

    /// Whether a signer with a smaller order number has not signed yet (sequential order).
    async fn waiting_for_others(&self, st: &AppState) -> AppResult<bool> {
        if self.envelope.signing_order == SigningOrder::Parallel {
            return Ok(false);
        }
        let before: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM recipients WHERE envelope_id = $1 AND role = $2 AND signed_at IS NULL AND signing_order < $3")
                .bind(&self.envelope.id)
                .bind(RecipientRole::Signer)
                .bind(self.recipient.signing_order)
                .fetch_one(st.db.pool())
                .await?;
        Ok(before > 0)
    }

    /// Where the recipient stands.
    pub async fn state(&self, st: &AppState) -> AppResult<SignerState> {
        let (e, r) = (&self.envelope, &self.recipient);
        if e.is_past_expiry() {
            return Ok(SignerState::Expired);
        }
        Ok(match e.status {
            EnvelopeStatus::Cancelled => SignerState::Cancelled,
            EnvelopeStatus::Expired => SignerState::Expired,
            EnvelopeStatus::Completed | EnvelopeStatus::Sealing => SignerState::Completed,
            EnvelopeStatus::Declined => SignerState::Declined,
            EnvelopeStatus::Draft => return Err(invalid()),
            EnvelopeStatus::Sent if r.declined_at.is_some() => SignerState::Declined,
            EnvelopeStatus::Sent if r.signed_at.is_some() => SignerState::Signed,
            EnvelopeStatus::Sent if r.role == RecipientRole::Viewer => SignerState::ViewOnly,
            EnvelopeStatus::Sent if self.waiting_for_others(st).await? => SignerState::NotYourTurn,
            EnvelopeStatus::Sent => SignerState::Ready,
        })
    }

    /// Ok when it is this recipient's turn to act, else the error that says why not.
    pub async fn ensure_ready(&self, st: &AppState) -> AppResult<()> {
        refusal(self.state(st).await?, self.recipient.declined_at.is_some())
    }

    /// The envelope is open (sent, not past its expiry), else why not.
    pub fn ensure_open(&self) -> AppResult<()> {
        let e = &self.envelope;
        if e.status != EnvelopeStatus::Sent || e.is_past_expiry() {
            return Err(closed_error(e.status, e.is_past_expiry()));
        }
        Ok(())
    }
}

/// The error for a state in which the recipient cannot act (none when they can).
pub fn refusal(state: SignerState, declined_self: bool) -> AppResult<()> {
    match state {
        SignerState::Ready => Ok(()),
        SignerState::NotYourTurn => Err(AppError::new(ErrorCode::RecipientOutOfTurn, "It is not your turn yet: an earlier signer has not signed")),
        SignerState::Signed => Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract")),
        SignerState::ViewOnly => Err(AppError::new(ErrorCode::Forbidden, "You receive this contract to view it; there is nothing to sign")),
        SignerState::Declined if declined_self => Err(AppError::new(ErrorCode::AlreadyDeclined, "You declined this contract")),
        SignerState::Cancelled => Err(closed_error(EnvelopeStatus::Cancelled, false)),
        SignerState::Expired => Err(closed_error(EnvelopeStatus::Expired, false)),
        SignerState::Completed => Err(closed_error(EnvelopeStatus::Completed, false)),
        SignerState::Declined => Err(closed_error(EnvelopeStatus::Declined, false)),
    }
}
