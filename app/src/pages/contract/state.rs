//! The contract editor's state in the browser: documents, recipients and fields as signals,
//! the selection, undo/redo history, the clipboard, and autosave.
//!
//! Every change goes through `commit` (one undo step) or, during a drag, `live` (a preview
//! of one field's new place that is committed once when the pointer is released).

use crate::functions::contracts::save_draft;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::geometry::FieldRect;
use dojang_core::ids::{DocumentId, FieldId, RecipientId};
use dojang_core::model::{DocumentInfo, EnvelopeDraft, FieldDraft, FieldKind, RecipientDraft, RecipientRole};
use leptos::prelude::*;
use std::time::Duration;

/// What the autosave indicator shows.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    Saved,
    Pending,
    Saving,
    Failed(AppError),
}

#[derive(Clone, Default)]
struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
}

#[derive(Clone, PartialEq)]
struct Snapshot {
    recipients: Vec<RecipientDraft>,
    fields: Vec<FieldDraft>,
}

/// A field being dragged or resized: where it would be if released now.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveField {
    pub id: FieldId,
    pub rect: FieldRect,
}

const HISTORY_LIMIT: usize = 200;
/// Distinct colours for recipients, in order.
pub const COLORS: [&str; 8] = ["#d9480f", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c2255c", "#5f3dc4"];

#[derive(Clone, Copy)]
pub struct Editor {
    pub contract_id: StoredValue<String>,
    pub name: RwSignal<String>,
    pub version: RwSignal<i64>,
    pub documents: RwSignal<Vec<DocumentInfo>>,
    pub recipients: RwSignal<Vec<RecipientDraft>>,
    pub fields: RwSignal<Vec<FieldDraft>>,
    pub selected: RwSignal<Option<FieldId>>,
    pub active_recipient: RwSignal<Option<RecipientId>>,
    pub live: RwSignal<Option<LiveField>>,
    pub zoom: RwSignal<f64>,
    pub save_state: RwSignal<SaveState>,
    pub csrf: RwSignal<String>,
    /// Editing a template: the recipients are its roles (no email) and saves go to it.
    pub template: StoredValue<bool>,
    /// Preparing a new template: a contract draft that becomes a template when saved.
    pub new_template: StoredValue<bool>,
    history: StoredValue<History>,
    clipboard: StoredValue<Option<FieldDraft>>,
    /// Bumped by each change; autosave watches it.
    changes: RwSignal<u64>,
    saving: StoredValue<bool>,
}

impl Editor {
    pub fn new(draft: EnvelopeDraft, csrf: String) -> Self {
        let active = draft.recipients.first().map(|r| r.id.clone());
        let ed = Self {
            contract_id: StoredValue::new(draft.id.to_string()),
            name: RwSignal::new(draft.name),
            version: RwSignal::new(draft.version),
            documents: RwSignal::new(draft.documents),
            recipients: RwSignal::new(draft.recipients),
            fields: RwSignal::new(draft.fields),
            selected: RwSignal::new(None),
            active_recipient: RwSignal::new(active),
            live: RwSignal::new(None),
            zoom: RwSignal::new(1.0),
            save_state: RwSignal::new(SaveState::Saved),
            csrf: RwSignal::new(csrf),
            template: StoredValue::new(false),
            new_template: StoredValue::new(false),
            history: StoredValue::new(History::default()),
            clipboard: StoredValue::new(None),
            changes: RwSignal::new(0),
            saving: StoredValue::new(false),
        };
        ed.autosave();
        ed
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot { recipients: self.recipients.get_untracked(), fields: self.fields.get_untracked() }
    }

    fn restore(&self, s: Snapshot) {
        self.recipients.set(s.recipients);
        self.fields.set(s.fields);
        let sel = self.selected.get_untracked();
        if sel.is_some_and(|id| !self.fields.with_untracked(|fs| fs.iter().any(|f| f.id == id))) {
            self.selected.set(None);
        }
        self.changed();
    }

    fn changed(&self) {
        self.save_state.set(SaveState::Pending);
        self.changes.update(|c| *c += 1);
    }

    /// One undoable change to recipients and/or fields.
    pub fn commit(&self, f: impl FnOnce(&mut Vec<RecipientDraft>, &mut Vec<FieldDraft>)) {
        let before = self.snapshot();
        let mut recipients = before.recipients.clone();
        let mut fields = before.fields.clone();
        f(&mut recipients, &mut fields);
        if recipients == before.recipients && fields == before.fields {
            return;
        }
        self.history.update_value(|h| {
            h.undo.push(before);
            if h.undo.len() > HISTORY_LIMIT {
                h.undo.remove(0);
            }
            h.redo.clear();
        });
        self.recipients.set(recipients);
        self.fields.set(fields);
        self.changed();
    }

    pub fn undo(&self) {
        if let Some(prev) = self.history.try_update_value(|h| h.undo.pop()).flatten() {
            let now = self.snapshot();
            self.history.update_value(|h| h.redo.push(now));
            self.restore(prev);
        }
    }

    pub fn redo(&self) {
        if let Some(next) = self.history.try_update_value(|h| h.redo.pop()).flatten() {
            let now = self.snapshot();
            self.history.update_value(|h| h.undo.push(now));
            self.restore(next);
        }
    }

    pub fn can_undo(&self) -> bool {
        self.changes.track();
        self.history.with_value(|h| !h.undo.is_empty())
    }

    pub fn can_redo(&self) -> bool {
        self.changes.track();
        self.history.with_value(|h| !h.redo.is_empty())
    }

    pub fn field(&self, id: &FieldId) -> Option<FieldDraft> {
        self.fields.with(|fs| fs.iter().find(|f| f.id == *id).cloned())
    }

    /// Adds a field of `kind` centred at (cx, cy) on a page, for the active recipient.
    pub fn add_field(&self, kind: FieldKind, document_id: DocumentId, page: u32, cx: f64, cy: f64, aspect: f64) {
        let recipient = self.ensure_recipient();
        let (w, mut h) = kind.default_size();
        // Sizes are tuned for portrait A4; keep the field's shape on other pages.
        h = (h * 1.414 / aspect.max(0.1)).clamp(FieldRect::MIN_SIDE, 0.5);
        let rect = clamp_rect(FieldRect { x: cx - w / 2.0, y: cy - h / 2.0, width: w, height: h });
        let options = if kind.has_options() { vec!["1".into(), "2".into()] } else { Vec::new() };
        let field = FieldDraft {
            id: FieldId::parse(&random_id()).expect("32 hex digits"),
            recipient_id: recipient,
            document_id,
            page,
            rect,
            kind,
            required: !matches!(kind, FieldKind::Checkbox),
            label: String::new(),
            placeholder: String::new(),
            options,
            format: (kind == FieldKind::Date).then(|| dojang_core::model::DATE_FORMATS[0].to_owned()),
            name: None,
            prefill: None,
            read_only: false,
            cover: None,
        };
        let id = field.id.clone();
        self.commit(|_, fields| fields.push(field));
        self.selected.set(Some(id));
    }

    /// The recipient new fields go to; creates a first signer when there is none yet.
    fn ensure_recipient(&self) -> RecipientId {
        if let Some(id) = self.active_recipient.get_untracked() {
            if self.recipients.with_untracked(|rs| rs.iter().any(|r| r.id == id)) {
                return id;
            }
        }
        if let Some(first) = self.recipients.with_untracked(|rs| rs.first().map(|r| r.id.clone())) {
            self.active_recipient.set(Some(first.clone()));
            return first;
        }
        let id = RecipientId::parse(&random_id()).expect("32 hex digits");
        let r = RecipientDraft { id: id.clone(), name: String::new(), email: String::new(), role: RecipientRole::Signer, order: 1 };
        self.commit(|rs, _| rs.push(r));
        self.active_recipient.set(Some(id.clone()));
        id
    }

    pub fn update_field(&self, id: &FieldId, f: impl FnOnce(&mut FieldDraft)) {
        self.commit(|_, fields| {
            if let Some(field) = fields.iter_mut().find(|x| x.id == *id) {
                f(field);
            }
        });
    }

    pub fn delete_field(&self, id: &FieldId) {
        self.commit(|_, fields| fields.retain(|f| f.id != *id));
        if self.selected.get_untracked().as_ref() == Some(id) {
            self.selected.set(None);
        }
    }

    /// A copy of `id` slightly offset, selected.
    pub fn duplicate(&self, id: &FieldId) {
        if let Some(f) = self.field(id) {
            self.paste_field(f);
        }
    }

    pub fn copy_selected(&self) {
        if let Some(id) = self.selected.get_untracked() {
            let f = self.field(&id);
            self.clipboard.set_value(f);
        }
    }

    pub fn paste(&self) {
        if let Some(f) = self.clipboard.get_value() {
            self.paste_field(f.clone());
            // Pasting again offsets again.
            let mut next = f;
            next.rect = offset(next.rect);
            self.clipboard.set_value(Some(next));
        }
    }

    fn paste_field(&self, mut f: FieldDraft) {
        f.id = FieldId::parse(&random_id()).expect("32 hex digits");
        f.rect = offset(f.rect);
        let id = f.id.clone();
        self.commit(|_, fields| fields.push(f));
        self.selected.set(Some(id));
    }

    /// Moves the selected field by (dx, dy) fractions of its page.
    pub fn nudge(&self, dx: f64, dy: f64) {
        if let Some(id) = self.selected.get_untracked() {
            self.update_field(&id, |f| {
                f.rect = clamp_rect(FieldRect { x: f.rect.x + dx, y: f.rect.y + dy, ..f.rect });
            });
        }
    }

    pub fn recipient_color(&self, id: &RecipientId) -> &'static str {
        let i = self.recipients.with(|rs| rs.iter().position(|r| r.id == *id)).unwrap_or(0);
        COLORS[i % COLORS.len()]
    }

    pub fn add_recipient(&self, name: String, email: String, role: RecipientRole) {
        let id = RecipientId::parse(&random_id()).expect("32 hex digits");
        let order = self.recipients.with_untracked(|rs| rs.iter().map(|r| r.order).max().unwrap_or(0) + 1);
        let r = RecipientDraft { id: id.clone(), name, email, role, order };
        self.commit(|rs, _| rs.push(r));
        self.active_recipient.set(Some(id));
    }

    pub fn remove_recipient(&self, id: &RecipientId) {
        self.commit(|rs, fields| {
            rs.retain(|r| r.id != *id);
            fields.retain(|f| f.recipient_id != *id);
        });
        if self.active_recipient.get_untracked().as_ref() == Some(id) {
            self.active_recipient.set(self.recipients.with_untracked(|rs| rs.first().map(|r| r.id.clone())));
        }
    }

    /// Saves a while after the last change; one save at a time, the latest state wins.
    fn autosave(&self) {
        let ed = *self;
        Effect::new(move |first: Option<()>| {
            let tick = ed.changes.get();
            if first.is_none() || tick == 0 {
                return;
            }
            set_timeout(
                move || {
                    if ed.changes.get_untracked() == tick {
                        ed.save_now();
                    }
                },
                Duration::from_millis(500),
            );
        });
    }

    /// Saves now (unless a save is already running; it saves again when it ends).
    pub fn save_now(&self) {
        if self.saving.get_value() {
            return;
        }
        let ed = *self;
        let tick = ed.changes.get_untracked();
        self.saving.set_value(true);
        self.save_state.set(SaveState::Saving);
        leptos::task::spawn_local(async move {
            let (csrf, id, version, recipients, fields) =
                (ed.csrf.get_untracked(), ed.contract_id.get_value(), ed.version.get_untracked(), ed.recipients.get_untracked(), ed.fields.get_untracked());
            let res = if ed.template.get_value() {
                crate::functions::templates::save_template_editor(csrf, id, version, recipients, fields).await
            } else {
                save_draft(csrf, id, version, recipients, fields).await
            };
            ed.saving.set_value(false);
            match res {
                Ok(v) => {
                    ed.version.set(v);
                    if ed.changes.get_untracked() == tick {
                        ed.save_state.set(SaveState::Saved);
                    } else {
                        ed.save_now();
                    }
                }
                // Incomplete recipients (no email yet) are normal while typing: keep the
                // change pending, show why, and save again after the next edit.
                Err(e) => ed.save_state.set(SaveState::Failed(e)),
            }
        });
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self.save_state.get(), SaveState::Failed(ref e) if e.code == ErrorCode::VersionConflict)
    }
}

fn offset(r: FieldRect) -> FieldRect {
    let mut n = FieldRect { x: r.x + 0.02, y: r.y + 0.02, ..r };
    if n.x + n.width > 1.0 || n.y + n.height > 1.0 {
        n = FieldRect { x: (r.x - 0.02).max(0.0), y: (r.y - 0.02).max(0.0), ..r };
    }
    clamp_rect(n)
}

/// Keeps a rectangle inside its page (0–1) and at least the minimum size.
pub fn clamp_rect(r: FieldRect) -> FieldRect {
    let width = r.width.clamp(FieldRect::MIN_SIDE, 1.0);
    let height = r.height.clamp(FieldRect::MIN_SIDE, 1.0);
    FieldRect { x: r.x.clamp(0.0, 1.0 - width), y: r.y.clamp(0.0, 1.0 - height), width, height }
}

/// A new 128-bit id as 32 hex digits (the browser's CSPRNG; a counter-free fallback on the
/// server, where ids are never minted by this code).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    {
        if let Some(c) = window().crypto().ok() {
            let _ = c.get_random_values_with_u8_array(&mut bytes);
        }
    }
    if bytes == [0u8; 16] {
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_keeps_fields_inside_the_page() {
        let r = clamp_rect(FieldRect { x: 0.95, y: -0.2, width: 0.2, height: 0.1 });
        assert!((r.x - 0.8).abs() < 1e-12 && r.y == 0.0);
        let r = clamp_rect(FieldRect { x: 0.5, y: 0.5, width: 0.0, height: 2.0 });
        assert_eq!(r.width, FieldRect::MIN_SIDE);
        assert_eq!((r.y, r.height), (0.0, 1.0));
    }

    #[test]
    fn pasted_fields_are_offset_but_stay_on_the_page() {
        let r = offset(FieldRect { x: 0.1, y: 0.1, width: 0.2, height: 0.1 });
        assert!((r.x - 0.12).abs() < 1e-12 && (r.y - 0.12).abs() < 1e-12);
        let r = offset(FieldRect { x: 0.8, y: 0.9, width: 0.2, height: 0.1 });
        assert!(r.x + r.width <= 1.0 && r.y + r.height <= 1.0);
    }
}
