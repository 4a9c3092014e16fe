//! Reusable pieces of the UI.

pub mod confirm;
pub mod form;
pub mod header;
