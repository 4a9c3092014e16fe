//! Request extractors that answer in the API's error shape: JSON bodies (malformed JSON,
//! wrong content type, wrong data), query strings, and the authenticated caller.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use dojang_core::api::{AuthKind, Caller};
use dojang_core::error::{AppError, ErrorCode};
use serde::de::DeserializeOwned;

/// A JSON body; every way it can be wrong is a clear 400, 415 or 422.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(AppError::new(ErrorCode::UnsupportedMediaType, "Send JSON with Content-Type: application/json"))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::new(ErrorCode::InvalidJson, format!("The body is not valid JSON: {}", e.body_text()))),
            Err(JsonRejection::JsonDataError(e)) => {
                Err(AppError::new(ErrorCode::ValidationFailed, format!("The JSON does not have the expected shape: {}", e.body_text())))
            }
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::new(ErrorCode::PayloadTooLarge, "The body is too large")),
            Err(e) => Err(AppError::new(ErrorCode::BadRequest, e.body_text())),
        }
    }
}

/// A JSON body that may be absent (no body at all means the defaults).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let empty = req.headers().get(http::header::CONTENT_LENGTH).is_some_and(|v| v == "0")
            || (req.headers().get(http::header::CONTENT_TYPE).is_none()
                && req.headers().get(http::header::TRANSFER_ENCODING).is_none()
                && req.headers().get(http::header::CONTENT_LENGTH).is_none());
        if empty {
            return Ok(Self(T::default()));
        }
        ApiJson::<T>::from_request(req, state).await.map(|ApiJson(v)| Self(v))
    }
}

/// Query parameters; a bad one is a 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| AppError::new(ErrorCode::ValidationFailed, format!("Invalid query: {}", e.body_text())))
    }
}

/// The caller the authentication layer found.
pub struct Authed(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.get::<Caller>().cloned().map(Self).ok_or_else(AppError::unauthenticated)
    }
}

impl Authed {
    /// Refuses client tokens (operations for the integrator itself).
    pub fn integrator(self) -> Result<Caller, AppError> {
        if self.0.is_client() {
            return Err(AppError::new(ErrorCode::Forbidden, "A client token cannot do this; use the API key or an admin token"));
        }
        Ok(self.0)
    }

    /// Only the API key itself (minting admin tokens).
    pub fn key_only(self) -> Result<Caller, AppError> {
        if self.0.kind != AuthKind::ApiKey {
            return Err(AppError::new(ErrorCode::Forbidden, "Use the API key (not a token) to get an admin token"));
        }
        Ok(self.0)
    }
}
