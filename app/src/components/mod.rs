//! Reusable pieces of the UI.

pub mod form;
pub mod header;
