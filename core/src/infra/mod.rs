//! What the domain stands on and never reaches back into: the database and its types,
//! object storage, the persisted job queue, the SMTP transport, settings, secrets and tokens, blocking work off
//! the runtime, client addresses, and rate limiting.

pub mod address_limits;
pub mod blocking;
pub mod claim;
pub mod client_ip;
pub mod config;
pub mod crypto;
pub mod db;
pub mod jobs;
pub mod mailer;
pub mod ratelimit;
pub mod sms;
pub mod storage;
