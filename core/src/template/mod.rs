//! Templates (issue 16): documents, roles (`근로자`, `회사` — not people) and fields assigned to
//! roles, prepared once in the caller's scope, with fields placed by hand or by the documents'
//! own text tags and anchors (`placing`). An envelope made from one (`instantiate`) copies its
//! documents, fields and options: editing or deleting the template later never reaches
//! envelopes already made. The web app's pages use `web`.

mod instantiate;
mod placing;
mod store;
mod web;

pub use instantiate::{envelope_from, Assignment, FromTemplate, Prefill};
pub use placing::{Anchor, FormImport, Placing, MAX_ANCHORS};
pub use store::{create, delete, get, list, name, update, Filter, Role, Template, TemplateChange};
pub use web::{editor, form_fields_for, from_draft, rename, save_editor, summaries};
