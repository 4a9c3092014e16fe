//! The one error type of Dojang: a stable machine code, a message for people and optional
//! field errors. REST handlers, server functions and pages all speak it.
//!
//! Policy: a code says *what* went wrong in terms the client can act on; the cause of an
//! internal failure is logged inside the request span and never sent to the client.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Stable machine codes. Never rename one: clients match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    // 400
    BadRequest,
    InvalidJson,
    ValidationFailed,
    // 401 / 403
    Unauthenticated,
    InvalidCredentials,
    TokenExpired,
    Forbidden,
    CsrfFailed,
    // 404 / 405 / 409 / 413 / 415
    NotFound,
    MethodNotAllowed,
    EmailTaken,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    // Documents
    FileTooLarge,
    NotAPdf,
    PdfEmpty,
    PdfEncrypted,
    PdfDamaged,
    PdfTooManyPages,
    /// Certified with DocMDP P=1: no change is allowed, so it can be neither filled nor sealed.
    PdfCertifiedNoChanges,
    TooManyDocuments,
    // Envelopes
    EnvelopeNotDraft,
    VersionConflict,
    EnvelopeNotSent,
    EnvelopeCancelled,
    EnvelopeExpired,
    EnvelopeCompleted,
    EnvelopeDeclined,
    // Signing
    SigningLinkInvalid,
    RecipientOutOfTurn,
    AlreadySigned,
    AlreadyDeclined,
    ConsentRequired,
    SignatureEmpty,
    SignatureInvalid,
    /// The recipient must pass their identity checks before this (the signing page asks).
    VerificationRequired,
    /// A wrong code or answer (the response says how many tries are left).
    VerificationFailed,
    /// The code was sent more than 10 minutes ago, or a newer one replaced it: ask for a new one.
    VerificationCodeExpired,
    /// Too many wrong answers: the sender must unlock the recipient.
    VerificationLocked,
    /// A new code was asked for too soon (`retryAfter` says when).
    VerificationResendLimited,
    /// A page preview could not be made now: its renderer crashed or took too long (it is
    /// replaced; the next request tries again).
    RenderFailed,
    // Sealing
    TimestampFailed,
    /// What a seal would write does not match what was recorded (the audit log, a value, a
    /// signature's place, a stored file): nothing is sealed until it does.
    EvidenceMismatch,
    // API
    IdempotencyKeyReused,
    IdempotencyInProgress,
    QuotaExceeded,
    /// Test mode's daily cap of invitation emails is reached.
    TestEmailLimit,
    DocumentInUse,
    /// Another envelope (or document) of the organization and mode has this `externalId`.
    ExternalIdTaken,
    // Embedding
    /// A client token was opened in a browser signed in to Dojang (the embed session would
    /// take over the user's own session).
    EmbedSignedIn,
    // 429
    LoginThrottled,
    RateLimited,
    // 5xx
    Internal,
    ServiceUnavailable,
    NotImplemented,
}

impl ErrorCode {
    /// The HTTP status every response carrying this code gets.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest | InvalidJson => 400,
            ValidationFailed => 422,
            Unauthenticated | InvalidCredentials | TokenExpired => 401,
            Forbidden | CsrfFailed => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            EmailTaken | Conflict => 409,
            PayloadTooLarge | FileTooLarge => 413,
            UnsupportedMediaType | NotAPdf => 415,
            PdfEmpty | PdfEncrypted | PdfDamaged | PdfTooManyPages | PdfCertifiedNoChanges | TooManyDocuments => 422,
            EnvelopeNotDraft | VersionConflict | EnvelopeNotSent | EnvelopeCompleted | EnvelopeDeclined => 409,
            RecipientOutOfTurn | AlreadySigned | AlreadyDeclined | ConsentRequired => 409,
            EnvelopeCancelled | EnvelopeExpired => 410,
            SigningLinkInvalid => 404,
            SignatureEmpty | SignatureInvalid => 422,
            VerificationRequired | VerificationLocked => 403,
            VerificationFailed | VerificationCodeExpired => 422,
            VerificationResendLimited => 429,
            IdempotencyKeyReused => 422,
            IdempotencyInProgress => 409,
            QuotaExceeded => 403,
            DocumentInUse | ExternalIdTaken => 409,
            EmbedSignedIn => 409,
            LoginThrottled | RateLimited | TestEmailLimit => 429,
            Internal | EvidenceMismatch => 500,
            TimestampFailed => 502,
            NotImplemented => 501,
            ServiceUnavailable | RenderFailed => 503,
        }
    }

    /// The code as it appears on the wire, e.g. `"EMAIL_TAKEN"`.
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// One invalid input field: which field, a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// The error every Dojang operation returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Seconds to wait before retrying (throttling and rate limits); also sent as `Retry-After`.
    #[serde(default, rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), fields: Vec::new(), retry_after: None }
    }

    /// One invalid field.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::fields(vec![FieldError { field: field.to_owned(), code: code.to_owned(), message: message.into() }])
    }

    /// Several invalid fields at once, so a form can show them all.
    pub fn fields(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => one.message.clone(),
            _ => "Some fields are invalid".to_owned(),
        };
        Self { code: ErrorCode::ValidationFailed, message, fields, retry_after: None }
    }

    /// The same error with field paths under `from` named under `to` (`recipients[0].name`
    /// → `roles[0].name`), for checks shared by two shapes of request.
    pub fn rename_fields(mut self, from: &str, to: &str) -> Self {
        for f in &mut self.fields {
            if let Some(rest) = f.field.strip_prefix(from) {
                f.field = format!("{to}{rest}");
            }
        }
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Sign in to continue")
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The first message for `field`, if that field was rejected.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.field == field).map(|f| f.message.as_str())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => Self::new(ErrorCode::BadRequest, format!("Invalid request: {m}")),
            ServerFnErrorErr::Request(m) => Self::new(ErrorCode::ServiceUnavailable, format!("Could not reach the server: {m}")),
            // On the server, a body that does not decode is the caller's mistake.
            #[cfg(feature = "server")]
            ServerFnErrorErr::Deserialization(m) => Self::new(ErrorCode::BadRequest, format!("Invalid request body: {m}")),
            other => Self::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

#[cfg(feature = "server")]
mod server {
    use super::*;
    use axum::response::{IntoResponse, Response};

    impl AppError {
        /// An unexpected failure: logged here, inside the current span, with its whole cause
        /// chain and where it was raised (for a `?`, the line of the `?`: `From` impls track
        /// their caller); the client gets only the code.
        #[track_caller]
        pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
            let cause = cause.into();
            let at = std::panic::Location::caller();
            tracing::error!(error = ?cause, at = %at, "internal error");
            Self::new(ErrorCode::Internal, "Something went wrong on our side. Please try again.")
        }

        /// An unexpected failure described by a message (logged, not sent).
        #[track_caller]
        pub fn internal_msg(message: impl std::fmt::Display) -> Self {
            Self::internal(anyhow::anyhow!("{message}"))
        }
    }

    impl From<anyhow::Error> for AppError {
        #[track_caller]
        fn from(e: anyhow::Error) -> Self {
            Self::internal(e)
        }
    }

    impl From<sqlx::Error> for AppError {
        /// A database failure. Running out of connections is the service being busy (503, try
        /// again shortly), not a fault; anything else is internal.
        #[track_caller]
        fn from(e: sqlx::Error) -> Self {
            match e {
                sqlx::Error::PoolTimedOut => {
                    tracing::warn!(at = %std::panic::Location::caller(), "no database connection free in time");
                    Self::new(ErrorCode::ServiceUnavailable, "The service is busy; please try again").with_retry_after(1)
                }
                e => Self::internal(e),
            }
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut res = (status, axum::Json(&self)).into_response();
            if let Ok(v) = http::HeaderValue::from_str(&self.code.as_str()) {
                res.headers_mut().insert("x-dojang-error", v);
            }
            if let Some(secs) = self.retry_after {
                res.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            res
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "server")]
    #[test]
    fn a_busy_database_pool_is_a_503_to_retry_and_other_database_errors_are_internal() {
        let busy = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!((busy.code, busy.status(), busy.retry_after), (ErrorCode::ServiceUnavailable, 503, Some(1)));
        let other = AppError::from(sqlx::Error::RowNotFound);
        assert_eq!((other.code, other.status()), (ErrorCode::Internal, 500));
        assert!(!other.message.contains("RowNotFound"), "the cause is logged, not sent");
    }

    #[test]
    fn codes_serialise_as_screaming_snake_case() {
        assert_eq!(ErrorCode::EmailTaken.as_str(), "EMAIL_TAKEN");
        let json = serde_json::to_value(AppError::new(ErrorCode::NotFound, "x")).unwrap();
        assert_eq!(json["code"], "NOT_FOUND");
        assert!(json.get("fields").is_none(), "empty field list is omitted");
    }

    #[test]
    fn every_code_maps_to_a_client_or_server_status() {
        for code in [ErrorCode::ValidationFailed, ErrorCode::LoginThrottled, ErrorCode::CsrfFailed] {
            assert!((400..500).contains(&code.status()), "{code:?}");
        }
        assert_eq!(ErrorCode::Internal.status(), 500);
    }

    #[test]
    fn field_errors_carry_their_message() {
        let e = AppError::field("email", "invalid", "Enter a valid email");
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.field_message("email"), Some("Enter a valid email"));
        assert_eq!(e.message, "Enter a valid email");
    }
}
