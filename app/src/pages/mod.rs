//! One module per route.

pub mod api_keys;
pub mod bulk;
pub mod contract;
pub mod contract_list;
pub mod dashboard;
pub mod download;
pub mod envelope;
pub mod home;
pub mod login;
pub mod not_found;
mod send_recipients;
pub mod sign;
pub mod signup;
pub mod templates;
pub mod verify;
pub mod webhooks;
