//! Email: messages are written to the outbox (the `emails` table) inside the transaction that
//! causes them, and a worker delivers them over SMTP with retries and backoff. Without an SMTP
//! server configured, messages are captured: kept in the outbox and shown on the development
//! mailbox page.

pub mod outbox;
pub mod templates;

pub use crate::infra::mailer::Mailer;
