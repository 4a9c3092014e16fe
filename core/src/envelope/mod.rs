//! The envelope aggregate (a "contract" in the UI): its row and what it holds, the loaders
//! every caller uses, the editing of drafts, and — in `transition` — every change of its
//! state. The web app's functions, the REST API and the workers call these; nothing else
//! writes an envelope's state.

mod change;
pub(crate) mod contents;
mod draft;
mod fieldless;
mod invite;
mod notify;
mod row;
pub mod search;
mod sender;
mod sweep;
pub mod transition;
mod validate;
mod view;

pub use change::{check_options, create as create_from, update, DraftChange, FieldSpec, RecipientSpec};
pub use contents::{fields, page_counts, recipients, Contents, Recipient};
pub use draft::{add_document, create, delete, remove_document, rename, reorder_documents, save_editor};
pub(crate) use invite::invite_due;
pub use invite::{Invited, OverCap};
pub use row::Envelope;
pub use sender::{cancel, mint_link, remind, send_envelope, send_stored, unlock, MAX_LINK_SECONDS};
pub use sweep::{sweep, sweeper};
pub use validate::{parse_name, validate, MAX_FIELDS, MAX_NAME_CHARS, MAX_RECIPIENTS};
pub use view::{detail, editor, list, Overview};

use crate::audit::{self, Event};
use crate::error::AppResult;
use crate::infra::db::Tx;

/// Records an event of the envelope in its audit log and reports it to the organization's
/// webhooks, both in the caller's transaction (so a change and its report commit together).
pub(crate) async fn report(tx: &mut Tx, e: Event<'_>) -> AppResult<()> {
    let at = audit::record(tx, &e).await?;
    crate::webhooks::emit(tx, e.envelope_id, e.kind, e.recipient_id, &e.data, at).await
}
