//! Dojang's domain. The shared part (ids, validated types, errors, models) compiles for the
//! browser too; everything behind the `server` feature is server-only.

pub mod error;
pub mod geometry;
pub mod ids;
pub mod ink;
pub mod model;
pub mod types;

#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod actor;
#[cfg(feature = "server")]
pub mod address_limits;
#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod blocking;
#[cfg(feature = "server")]
pub mod client_ip;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod documents;
#[cfg(feature = "server")]
pub mod envelope;
#[cfg(feature = "server")]
pub mod fonts;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod pdf;
#[cfg(feature = "server")]
pub mod seal;
#[cfg(feature = "server")]
pub mod session_store;
#[cfg(feature = "server")]
pub mod signing;
#[cfg(feature = "server")]
pub mod state;
#[cfg(feature = "server")]
pub mod storage;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
pub mod web_session;

pub use error::{AppError, AppResult, ErrorCode};
#[cfg(feature = "server")]
pub mod embed;
#[cfg(feature = "server")]
pub mod webhooks;
