//! The Dojang server: settings in, a running HTTP application out. `main` is a thin wrapper
//! so tests can build and run the very same application on port 0.

pub mod cli;
pub mod http;
pub mod startup;
pub mod telemetry;
pub mod workers;

pub use startup::Application;
