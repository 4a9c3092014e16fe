//! Server functions: the UI's calls into the server. Each body checks its input, runs the
//! operation from `dojang_core` and maps the error to its status.

pub mod api_keys;
pub mod auth;
pub mod contracts;
pub mod download;
pub mod signing;
pub mod templates;
pub mod webhooks;
