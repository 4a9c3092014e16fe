//! A template's rows: read in the caller's scope (organization, mode, client), listed, made
//! and changed whole in one transaction, and deleted. Its fields are checked by the same rules
//! as a draft's (`envelope::validate`), with the roles standing in for recipients.

use super::placing::{self, Placing};
use crate::actor::Actor;
use crate::api::listing::{contains_pattern, Conditions, Cursor, Page};
use crate::document::{self, DocumentRow, DOCUMENT_COLUMNS, MAX_DOCUMENTS_PER_ENVELOPE};
use crate::envelope::{parse_name, validate, FieldSpec, MAX_RECIPIENTS};
use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::{FieldRect, PageGeometry};
use crate::ids::{DocumentId, FieldId, RecipientId, TemplateId};
use crate::infra::db::{Db, Timestamp, Tx};
use crate::model::{DocumentInfo, FieldKind, Language, RecipientDraft, RecipientRole, SigningOrder};
use crate::state::AppState;
use std::collections::{HashMap, HashSet};

/// Who signs or views, in the template's terms (`근로자`, `회사`).
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub name: String,
    pub role: RecipientRole,
    /// Signing position from 1 (equal numbers sign in parallel).
    pub order: i64,
}

/// A template as stored. Its fields name their role in `FieldSpec::recipient`.
#[derive(Clone, Debug)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub message: String,
    pub signing_order: SigningOrder,
    pub expires_in: Option<i64>,
    pub reminder_days: Option<i64>,
    pub language: Option<Language>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub documents: Vec<DocumentInfo>,
    pub roles: Vec<Role>,
    pub fields: Vec<FieldSpec>,
}

/// What a create or a change sets; `None` keeps a value. `fields` replaces the fields; the
/// ones `placing` finds in the documents are added to them.
#[derive(Clone, Debug, Default)]
pub struct TemplateChange {
    pub name: Option<String>,
    pub document_ids: Option<Vec<DocumentId>>,
    pub roles: Option<Vec<Role>>,
    pub fields: Option<Vec<FieldSpec>>,
    pub placing: Placing,
    pub message: Option<String>,
    pub signing_order: Option<SigningOrder>,
    /// `Some(None)` clears.
    pub expires_in: Option<Option<i64>>,
    pub reminder_days: Option<Option<i64>>,
    pub language: Option<Option<Language>>,
    /// Refused (`VERSION_CONFLICT`) unless the template is still at this version.
    pub expect_version: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: TemplateId,
    name: String,
    message: String,
    signing_order: SigningOrder,
    expires_in_seconds: Option<i64>,
    reminder_days: Option<i64>,
    language: Option<Language>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

const TEMPLATE_COLUMNS: &str =
    "t.id, t.name, t.message, t.signing_order, t.expires_in_seconds, t.reminder_days, t.language, t.version, t.created_at, t.updated_at";

#[derive(sqlx::FromRow)]
struct RoleRow {
    template_id: TemplateId,
    name: String,
    role: RecipientRole,
    signing_order: i64,
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    template_id: TemplateId,
    role: String,
    document_id: DocumentId,
    page_index: i64,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    kind: FieldKind,
    required: i64,
    label: String,
    placeholder: String,
    options: String,
    format: Option<String>,
    name: Option<String>,
    cover_x: Option<f64>,
    cover_y: Option<f64>,
    cover_width: Option<f64>,
    cover_height: Option<f64>,
}

impl FieldRow {
    fn spec(self) -> AppResult<FieldSpec> {
        let options: Vec<String> =
            serde_json::from_str(&self.options).map_err(|e| AppError::internal(anyhow::anyhow!("a template field has unreadable options: {e}")))?;
        Ok(FieldSpec {
            document_id: self.document_id,
            page: u32::try_from(self.page_index).map_err(|_| AppError::internal_msg("a template field on a negative page"))?,
            rect: FieldRect { x: self.x, y: self.y, width: self.width, height: self.height },
            kind: self.kind,
            recipient: self.role,
            required: self.required != 0,
            label: self.label,
            placeholder: self.placeholder,
            options,
            format: self.format,
            name: self.name,
            prefill: None,
            read_only: false,
            cover: FieldRect::from_columns(self.cover_x, self.cover_y, self.cover_width, self.cover_height),
        })
    }
}

/// The templates of `rows` with their documents, roles and fields, in a constant number of
/// queries.
async fn assemble(conn: &mut sqlx::AnyConnection, rows: Vec<TemplateRow>) -> AppResult<Vec<Template>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let marks = crate::infra::db::marks(1, rows.len());
    let bind_all = |sql: &str| -> String { sql.replace("{}", &marks) };
    let docs_sql = bind_all("SELECT template_id, document_id FROM template_documents WHERE template_id IN ({}) ORDER BY template_id, position");
    let mut docs_q = sqlx::query_as::<_, (TemplateId, DocumentId)>(&docs_sql);
    let roles_sql = bind_all("SELECT template_id, name, role, signing_order FROM template_roles WHERE template_id IN ({}) ORDER BY template_id, position");
    let fields_sql = bind_all(
        "SELECT template_id, role, document_id, page_index, x, y, width, height, kind, required, label, placeholder, options, format, name, cover_x, cover_y, cover_width, cover_height \
         FROM template_fields WHERE template_id IN ({}) ORDER BY template_id, position",
    );
    let mut roles_q = sqlx::query_as::<_, RoleRow>(&roles_sql);
    let mut fields_q = sqlx::query_as::<_, FieldRow>(&fields_sql);
    for r in &rows {
        docs_q = docs_q.bind(&r.id);
        roles_q = roles_q.bind(&r.id);
        fields_q = fields_q.bind(&r.id);
    }
    let doc_links = docs_q.fetch_all(&mut *conn).await?;
    let mut roles: HashMap<TemplateId, Vec<Role>> = HashMap::new();
    for r in roles_q.fetch_all(&mut *conn).await? {
        roles.entry(r.template_id).or_default().push(Role { name: r.name, role: r.role, order: r.signing_order });
    }
    let mut fields: HashMap<TemplateId, Vec<FieldSpec>> = HashMap::new();
    for f in fields_q.fetch_all(&mut *conn).await? {
        let id = f.template_id.clone();
        fields.entry(id).or_default().push(f.spec()?);
    }
    let mut doc_ids: Vec<DocumentId> = doc_links.iter().map(|(_, d)| d.clone()).collect();
    doc_ids.sort();
    doc_ids.dedup();
    let infos: HashMap<DocumentId, DocumentInfo> = document_infos(conn, &doc_ids).await?.into_iter().map(|d| (d.id.clone(), d)).collect();
    let mut docs: HashMap<TemplateId, Vec<DocumentInfo>> = HashMap::new();
    for (t, d) in doc_links {
        if let Some(info) = infos.get(&d) {
            docs.entry(t).or_default().push(info.clone());
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Template {
            documents: docs.remove(&r.id).unwrap_or_default(),
            roles: roles.remove(&r.id).unwrap_or_default(),
            fields: fields.remove(&r.id).unwrap_or_default(),
            id: r.id,
            name: r.name,
            message: r.message,
            signing_order: r.signing_order,
            expires_in: r.expires_in_seconds,
            reminder_days: r.reminder_days,
            language: r.language,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

async fn document_rows(conn: &mut sqlx::AnyConnection, ids: &[DocumentId]) -> AppResult<Vec<DocumentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id IN ({})", crate::infra::db::marks(1, ids.len()));
    let rows: Vec<DocumentRow> = ids.iter().fold(sqlx::query_as(&sql), |q, id| q.bind(id)).fetch_all(conn).await?;
    // In the order asked.
    let mut by_id: HashMap<DocumentId, DocumentRow> = rows.into_iter().map(|r| (r.id.clone(), r)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

async fn document_infos(conn: &mut sqlx::AnyConnection, ids: &[DocumentId]) -> AppResult<Vec<DocumentInfo>> {
    let rows = document_rows(conn, ids).await?;
    document::infos(conn, rows).await
}

/// The template if the caller may see it (else 404), on a connection (a transaction too).
async fn find_in(conn: &mut sqlx::AnyConnection, actor: &Actor, id: &TemplateId) -> AppResult<Template> {
    crate::api::scope::template_in(conn, actor, id).await?;
    let row: TemplateRow = sqlx::query_as(&format!("SELECT {TEMPLATE_COLUMNS} FROM templates t WHERE t.id = $1")).bind(id).fetch_one(&mut *conn).await?;
    assemble(conn, vec![row]).await?.pop().ok_or_else(|| AppError::not_found("Template"))
}

/// A template the caller may see (else 404).
pub async fn get(db: &Db, actor: &Actor, id: &TemplateId) -> AppResult<Template> {
    find_in(&mut *db.pool().acquire().await?, actor, id).await
}

/// The name of a template the caller may see (else 404), without its documents and fields.
pub async fn name(db: &Db, actor: &Actor, id: &TemplateId) -> AppResult<String> {
    let mut conn = db.pool().acquire().await?;
    crate::api::scope::template_in(&mut conn, actor, id).await?;
    Ok(sqlx::query_scalar("SELECT name FROM templates WHERE id = $1").bind(id).fetch_one(&mut *conn).await?)
}

/// What to find among templates; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Words of the name (case-insensitive, anywhere).
    pub name: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

/// One page of the caller's templates, newest first, and the next page's cursor.
pub async fn list(db: &Db, actor: &Actor, filter: &Filter, page: &Page) -> AppResult<(Vec<Template>, Option<Cursor>)> {
    let mut c = Conditions::scoped(actor, "t");
    if let Some(words) = filter.name.as_deref().filter(|w| !w.trim().is_empty()) {
        let p = c.param(contains_pattern(words));
        c.push(format!("LOWER(t.name) LIKE {p} ESCAPE '\\'"));
    }
    c.range("t.created_at", filter.created_after, filter.created_before);
    let select = format!("SELECT {TEMPLATE_COLUMNS} FROM templates t");
    let (rows, next) = c.fetch_page::<TemplateRow>(db, &select, page, |r| (r.created_at, r.id.to_string())).await?;
    Ok((assemble(&mut *db.pool().acquire().await?, rows).await?, next))
}

/// Makes a template from `change` (a name and at least one document needed).
pub async fn create(st: &AppState, actor: &Actor, change: TemplateChange) -> AppResult<TemplateId> {
    let name = parse_name(change.name.as_deref().unwrap_or("")).map_err(|e| AppError::field("name", "required", e.message))?;
    if change.document_ids.as_ref().is_none_or(Vec::is_empty) {
        return Err(AppError::field("documentIds", "required", "A template needs at least one document"));
    }
    let id = TemplateId::new();
    let now = Timestamp::now();
    let base = Template {
        id: id.clone(),
        name,
        message: String::new(),
        signing_order: SigningOrder::Parallel,
        expires_in: None,
        reminder_days: None,
        language: None,
        version: 1,
        created_at: now,
        updated_at: now,
        documents: Vec::new(),
        roles: Vec::new(),
        fields: Vec::new(),
    };
    let placed = placed_fields(st, actor, &change).await?;
    let mut tx = st.db.begin().await?;
    sqlx::query(
        "INSERT INTO templates (id, organization_id, created_by, mode, client_id, name, message, signing_order, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, '', $7, 1, $8, $8)",
    )
    .bind(&id)
    .bind(&actor.organization_id)
    .bind(actor.user_id.as_ref())
    .bind(actor.mode)
    .bind(actor.client_id.as_ref())
    .bind(&base.name)
    .bind(SigningOrder::Parallel)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    write(&mut tx, actor, base, change, placed).await?;
    tx.commit().await?;
    tracing::info!(template_id = %id, "template created");
    Ok(id)
}

/// Changes a template; envelopes made from it before keep what they copied.
pub async fn update(st: &AppState, actor: &Actor, id: &TemplateId, change: TemplateChange) -> AppResult<()> {
    // Reads the documents' text (when asked) before the transaction, which then holds the row.
    let current = get(&st.db, actor, id).await?;
    let placed = if change.placing.is_empty() {
        Vec::new()
    } else {
        let docs = change.document_ids.clone().unwrap_or_else(|| current.documents.iter().map(|d| d.id.clone()).collect());
        placed_fields(st, actor, &TemplateChange { document_ids: Some(docs), ..change.clone() }).await?
    };
    let mut tx = st.db.begin().await?;
    let locked = match change.expect_version {
        Some(v) => {
            sqlx::query("UPDATE templates SET version = version + 1, updated_at = $2 WHERE id = $1 AND version = $3").bind(id).bind(Timestamp::now()).bind(v)
        }
        None => sqlx::query("UPDATE templates SET version = version + 1, updated_at = $2 WHERE id = $1").bind(id).bind(Timestamp::now()),
    }
    .execute(&mut *tx)
    .await?;
    if locked.rows_affected() == 0 {
        return Err(match change.expect_version {
            Some(_) => AppError::new(crate::error::ErrorCode::VersionConflict, "The template was changed meanwhile; reload it"),
            None => AppError::not_found("Template"),
        });
    }
    let current = find_in(&mut tx, actor, id).await?;
    if let Some(name) = &change.name {
        let name = parse_name(name).map_err(|e| AppError::field("name", "invalid", e.message))?;
        sqlx::query("UPDATE templates SET name = $2 WHERE id = $1").bind(id).bind(name).execute(&mut *tx).await?;
    }
    if change.document_ids.as_ref().is_some_and(Vec::is_empty) {
        return Err(AppError::field("documentIds", "required", "A template needs at least one document"));
    }
    write(&mut tx, actor, current, change, placed).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a template; its documents stay in the library, envelopes made from it stay as
/// they are.
pub async fn delete(db: &Db, actor: &Actor, id: &TemplateId) -> AppResult<()> {
    let mut tx = db.begin().await?;
    find_in(&mut tx, actor, id).await?;
    sqlx::query("DELETE FROM templates WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(template_id = %id, "template deleted");
    Ok(())
}

/// The fields the documents' tags and anchors place (none when not asked).
async fn placed_fields(st: &AppState, actor: &Actor, change: &TemplateChange) -> AppResult<Vec<FieldSpec>> {
    if change.placing.is_empty() {
        return Ok(Vec::new());
    }
    let ids = change.document_ids.clone().unwrap_or_default();
    let mut conn = st.db.pool().acquire().await?;
    check_documents(&mut conn, actor, &ids).await?;
    let rows = document_rows(&mut conn, &ids).await?;
    let infos = document::infos(&mut conn, rows.clone()).await?;
    drop(conn);
    let docs: Vec<(DocumentRow, Vec<PageGeometry>)> = rows.into_iter().zip(infos).map(|(r, i)| (r, i.pages.iter().map(|p| p.geometry).collect())).collect();
    placing::place(st, &docs, &change.placing).await
}

/// Each document one the caller may see, each once, at most 20.
async fn check_documents(conn: &mut sqlx::AnyConnection, actor: &Actor, ids: &[DocumentId]) -> AppResult<()> {
    let mut errors = Vec::new();
    if ids.len() > MAX_DOCUMENTS_PER_ENVELOPE as usize {
        errors.push(FieldError { field: "documentIds".into(), code: "too_many".into(), message: "A template holds at most 20 documents".into() });
    }
    let mut seen = HashSet::new();
    for (i, d) in ids.iter().enumerate() {
        if !crate::api::scope::document_visible(conn, actor, d).await? {
            errors.push(FieldError { field: format!("documentIds[{i}]"), code: "unknown".into(), message: "No such document".into() });
        } else if !seen.insert(d) {
            errors.push(FieldError { field: format!("documentIds[{i}]"), code: "duplicate".into(), message: "A document appears twice".into() });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::fields(errors))
    }
}

/// Roles trimmed and checked: 1–100 characters, distinct (case does not matter), order 1–50.
fn check_roles(roles: &[Role]) -> AppResult<Vec<Role>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    if roles.len() > MAX_RECIPIENTS {
        errors.push(FieldError { field: "roles".into(), code: "too_many".into(), message: "At most 50 roles".into() });
    }
    let out = roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = r.name.trim().to_owned();
            let n = name.chars().count();
            if n == 0 || n > 100 || name.chars().any(char::is_control) {
                errors.push(FieldError { field: format!("roles[{i}].name"), code: "invalid".into(), message: "Name the role in 1 to 100 characters".into() });
            } else if !seen.insert(name.to_lowercase()) {
                errors.push(FieldError { field: format!("roles[{i}].name"), code: "duplicate".into(), message: "Each role needs its own name".into() });
            }
            if !(1..=MAX_RECIPIENTS as i64).contains(&r.order) {
                errors.push(FieldError { field: format!("roles[{i}].order"), code: "invalid".into(), message: "Order must be between 1 and 50".into() });
            }
            Role { name, ..r.clone() }
        })
        .collect();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::fields(errors))
    }
}

/// `current` with `change` applied, checked, and written whole (documents, roles, fields,
/// options) in the transaction.
async fn write(tx: &mut Tx, actor: &Actor, current: Template, change: TemplateChange, placed: Vec<FieldSpec>) -> AppResult<()> {
    let id = current.id.clone();
    let doc_ids: Vec<DocumentId> = match &change.document_ids {
        Some(ids) => {
            check_documents(tx, actor, ids).await?;
            ids.clone()
        }
        None => current.documents.iter().map(|d| d.id.clone()).collect(),
    };
    let mut roles = match &change.roles {
        Some(r) => check_roles(r)?,
        None => current.roles.clone(),
    };
    // Kept fields whose role and document stay (given fields replace them all).
    let mut fields = change.fields.clone().unwrap_or_else(|| {
        current
            .fields
            .iter()
            .filter(|f| doc_ids.contains(&f.document_id) && roles.iter().any(|r| r.name.to_lowercase() == f.recipient.to_lowercase()))
            .cloned()
            .collect()
    });
    // Roles the documents' tags name join the roles as signers, in the order first found.
    for f in &placed {
        if f.cover.is_some() && !roles.iter().any(|r| r.name.to_lowercase() == f.recipient.trim().to_lowercase()) {
            let order = roles.iter().map(|r| r.order).max().unwrap_or(0) + 1;
            roles.push(Role { name: f.recipient.trim().to_owned(), role: RecipientRole::Signer, order: order.min(MAX_RECIPIENTS as i64) });
        }
    }
    let roles = check_roles(&roles)?;
    let explicit = fields.len();
    fields.extend(placed);
    let fields = check_fields(tx, &doc_ids, &roles, fields, explicit).await?;
    // Options, checked as a draft's are.
    crate::envelope::check_options(&crate::envelope::DraftChange {
        expires_in: change.expires_in,
        reminder_days: change.reminder_days,
        message: change.message.clone(),
        ..Default::default()
    })?;
    let o = |new: Option<Option<i64>>, old: Option<i64>| new.unwrap_or(old);
    sqlx::query("UPDATE templates SET message = $2, signing_order = $3, expires_in_seconds = $4, reminder_days = $5, language = $6 WHERE id = $1")
        .bind(&id)
        .bind(change.message.as_deref().map(str::trim).unwrap_or(&current.message))
        .bind(change.signing_order.unwrap_or(current.signing_order))
        .bind(o(change.expires_in, current.expires_in))
        .bind(o(change.reminder_days, current.reminder_days))
        .bind(change.language.unwrap_or(current.language))
        .execute(&mut **tx)
        .await?;
    for table in ["template_fields", "template_roles", "template_documents"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE template_id = $1")).bind(&id).execute(&mut **tx).await?;
    }
    for (pos, d) in doc_ids.iter().enumerate() {
        sqlx::query("INSERT INTO template_documents (template_id, document_id, position) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(d)
            .bind(pos as i64)
            .execute(&mut **tx)
            .await?;
    }
    for (pos, r) in roles.iter().enumerate() {
        sqlx::query("INSERT INTO template_roles (template_id, name, role, signing_order, position) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(&r.name)
            .bind(r.role)
            .bind(r.order)
            .bind(pos as i64)
            .execute(&mut **tx)
            .await?;
    }
    for (pos, f) in fields.iter().enumerate() {
        sqlx::query(
            "INSERT INTO template_fields (id, template_id, role, document_id, page_index, x, y, width, height, kind, required, label, placeholder, \
             options, format, name, cover_x, cover_y, cover_width, cover_height, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(FieldId::new())
        .bind(&id)
        .bind(&f.recipient)
        .bind(&f.document_id)
        .bind(i64::from(f.page))
        .bind(f.rect.x)
        .bind(f.rect.y)
        .bind(f.rect.width)
        .bind(f.rect.height)
        .bind(f.kind)
        .bind(i64::from(f.required))
        .bind(&f.label)
        .bind(&f.placeholder)
        .bind(serde_json::to_string(&f.options).unwrap_or_else(|_| "[]".into()))
        .bind(f.format.as_deref())
        .bind(f.name.as_deref())
        .bind(f.cover.map(|r| r.x))
        .bind(f.cover.map(|r| r.y))
        .bind(f.cover.map(|r| r.width))
        .bind(f.cover.map(|r| r.height))
        .bind(pos as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The fields checked by a draft's rules, each role standing in for a recipient; each field
/// names its role by the role's stored spelling. `explicit` fields came in the request (their
/// problems are named `fields[i]`), the rest from the documents.
async fn check_fields(tx: &mut Tx, docs: &[DocumentId], roles: &[Role], fields: Vec<FieldSpec>, explicit: usize) -> AppResult<Vec<FieldSpec>> {
    let stand_ins: Vec<RecipientDraft> =
        roles.iter().map(|r| RecipientDraft { id: RecipientId::new(), name: r.name.clone(), email: String::new(), role: r.role, order: r.order }).collect();
    let by_role: HashMap<String, (&RecipientDraft, &Role)> = stand_ins.iter().zip(roles).map(|(s, r)| (r.name.to_lowercase(), (s, r))).collect();
    let mut errors = Vec::new();
    let mut drafts = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        match by_role.get(&f.recipient.trim().to_lowercase()) {
            Some((s, _)) => drafts.push(f.draft(s.id.clone())),
            None => errors.push(FieldError {
                field: if i < explicit { format!("fields[{i}].role") } else { "textTags".into() },
                code: "unknown".into(),
                message: format!("“{}” is not a role of this template", f.recipient.trim()),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let pages: HashMap<DocumentId, u32> = document_rows(tx, docs).await?.into_iter().map(|d| (d.id, d.page_count.max(0) as u32)).collect();
    let (_, checked) = validate(&stand_ins, &drafts, &pages).map_err(|e| e.rename_fields("recipients", "roles"))?;
    let names: HashMap<&RecipientId, &str> = stand_ins.iter().map(|s| (&s.id, s.name.as_str())).collect();
    Ok(checked
        .into_iter()
        .map(|d| {
            let role = names.get(&d.recipient_id).copied().unwrap_or_default().to_owned();
            FieldSpec::from_draft(&d, role)
        })
        .collect())
}
