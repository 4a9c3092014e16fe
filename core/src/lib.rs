//! Dojang's domain. The shared part (ids, validated types, errors, models, texts) compiles for the
//! browser too; everything behind the `server` feature is server-only: the domain by what it
//! owns (accounts, documents, envelopes, signing, sealing, mail, webhooks, embedding, the
//! API's credentials and scope) on `infra` (database, storage, jobs, settings, secrets),
//! which imports nothing of the domain.

pub mod error;
pub mod geometry;
pub mod i18n;
pub mod ids;
pub mod ink;
pub mod model;
pub mod types;

#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod actor;
#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod bulk;
#[cfg(feature = "server")]
pub mod document;
#[cfg(feature = "server")]
pub mod embed;
#[cfg(feature = "server")]
pub mod envelope;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod infra;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod pdf;
#[cfg(feature = "server")]
pub mod seal;
#[cfg(feature = "server")]
pub mod signing;
#[cfg(feature = "server")]
pub mod sms;
#[cfg(feature = "server")]
pub mod state;
#[cfg(feature = "server")]
pub mod template;

#[cfg(feature = "server")]
pub mod webhooks;

pub use error::{AppError, AppResult, ErrorCode};
