//! `/api/v1/envelopes`: drafts made and changed in one request each, listed with paging,
//! sent (returning every signing link), cancelled, and their sealed results downloaded.

use super::extract::{ApiJson, ApiQuery, Authed, OptionalJson};
use super::schema::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_core::actor::Actor;
use dojang_core::api::listing::{parse_filter, parse_time, Page};
use dojang_core::api::reference::ReferenceChange;
use dojang_core::api::scope;
use dojang_core::audit::{Origin, Wanted};
use dojang_core::envelope::{self as api_env, search, DraftChange, FieldSpec, Overview, RecipientSpec};
use dojang_core::error::{AppError, AppResult, FieldError};
use dojang_core::geometry::FieldRect;
use dojang_core::identity::IdentitySpec;
use dojang_core::ids::{DocumentId, EnvelopeId, RecipientId};
use dojang_core::model::EnvelopeStatus;
use dojang_core::state::AppState;
use serde::Deserialize;
use utoipa::IntoParams;

fn recipients(list: Vec<RecipientIn>) -> Vec<RecipientSpec> {
    list.into_iter()
        .enumerate()
        .map(|(i, r)| RecipientSpec {
            email: r.email,
            name: r.name,
            role: r.role.into(),
            order: r.order.unwrap_or(i as i64 + 1),
            language: r.language,
            identity: IdentitySpec {
                methods: r.auth_method.map(OneOrMany::into_vec).unwrap_or_default(),
                phone: r.phone,
                channel: r.channel,
                access_code: r.access_code,
                birth_date: r.birth_date,
            },
        })
        .collect()
}

/// Fields as the API gives them: each one's document id and rectangle checked (problems named
/// `fields[i]`), then made into a field by `make`.
pub(super) fn checked_fields<F>(
    list: Vec<F>,
    place: impl Fn(&F) -> (&str, f64, f64, f64, f64),
    make: impl Fn(F, DocumentId, FieldRect) -> FieldSpec,
) -> AppResult<Vec<FieldSpec>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, f) in list.into_iter().enumerate() {
        let (document, x, y, width, height) = place(&f);
        match (DocumentId::parse(document), FieldRect::parse(x, y, width, height)) {
            (Ok(document_id), Ok(rect)) => out.push(make(f, document_id, rect)),
            (Err(_), _) => {
                errors.push(FieldError { field: format!("fields[{i}].document"), code: "unknown".into(), message: "Name a document of this envelope".into() })
            }
            (_, Err(_)) => errors.push(FieldError {
                field: format!("fields[{i}]"),
                code: "out_of_page".into(),
                message: "x, y, width and height are fractions of the page and the field must lie inside it".into(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::fields(errors))
    }
}

fn fields(list: Vec<FieldIn>) -> AppResult<Vec<FieldSpec>> {
    checked_fields(
        list,
        |f| (&f.document, f.x, f.y, f.width, f.height),
        |f, document_id, rect| FieldSpec {
            document_id,
            page: f.page,
            rect,
            kind: f.kind,
            recipient: f.recipient,
            required: f.required,
            label: f.label.unwrap_or_default(),
            placeholder: f.placeholder.unwrap_or_default(),
            options: f.options.unwrap_or_default(),
            format: f.format,
            name: f.name,
            prefill: f.value,
            read_only: f.read_only,
            cover: None,
        },
    )
}

pub(super) fn document_ids(list: Vec<String>) -> AppResult<Vec<DocumentId>> {
    let mut errors = Vec::new();
    let ids = list
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            DocumentId::parse(d)
                .map_err(|_| errors.push(FieldError { field: format!("documentIds[{i}]"), code: "unknown".into(), message: "No such document".into() }))
                .ok()
        })
        .collect();
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(AppError::fields(errors))
    }
}

/// The API's view of an envelope.
pub async fn view(st: &AppState, actor: &Actor, id: &EnvelopeId) -> AppResult<EnvelopeOut> {
    Ok(EnvelopeOut::new(&Overview::load(&st.db, actor, id, Wanted::Integrity).await?))
}

/// Create a draft envelope.
#[utoipa::path(post, path = "/envelopes", tag = "envelopes", request_body = CreateEnvelope,
    responses((status = 201, description = "The draft", body = EnvelopeOut)))]
pub async fn create(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<CreateEnvelope>) -> AppResult<Response> {
    let actor = auth.0.actor;
    let change = DraftChange {
        subject: Some(body.subject),
        document_ids: Some(document_ids(body.document_ids)?),
        recipients: Some(recipients(body.recipients)),
        fields: body.fields.map(fields).transpose()?,
        signing_order: body.signing_order,
        expires_in: Some(body.expires_in),
        redirect_url: Some(body.redirect_url),
        reminder_days: body.reminder_days.map(Some),
        fieldless: body.fieldless,
        message: body.message,
        language: body.language,
        reference: ReferenceChange::parse(body.external_id.map(Some), body.metadata.map(Some))?,
        batch_row: None,
    };
    let id = api_env::create_from(&st.db, &st.settings, &actor, change).await?;
    Ok((StatusCode::CREATED, Json(view(&st, &actor, &id).await?)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `draft`, `sent`, `sealing` (everyone signed, sealed documents not ready yet),
    /// `completed` (sealed documents downloadable), `declined`, `cancelled` or `expired`.
    #[param(value_type = Option<String>, pattern = "^(draft|sent|sealing|completed|declined|cancelled|expired)$")]
    pub status: Option<String>,
    /// Your id of the envelope.
    #[param(max_length = 255)]
    pub external_id: Option<String>,
    /// Envelopes with a recipient of this email.
    #[param(max_length = 320)]
    pub recipient_email: Option<String>,
    /// Words of the subject (case-insensitive, anywhere in it).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Created at or after this RFC 3339 time.
    pub created_after: Option<String>,
    /// Created before this RFC 3339 time.
    pub created_before: Option<String>,
    /// Changed at or after this RFC 3339 time.
    pub updated_after: Option<String>,
    /// Changed before this RFC 3339 time.
    pub updated_before: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// The `next` of the previous page (instead of `offset`).
    pub cursor: Option<String>,
}

/// List envelopes, newest first, by the filters given (all must hold).
#[utoipa::path(get, path = "/envelopes", tag = "envelopes", params(ListParams),
    responses((status = 200, description = "One page of envelopes", body = EnvelopeList)))]
pub async fn list(State(st): State<AppState>, auth: Authed, ApiQuery(q): ApiQuery<ListParams>) -> AppResult<Json<EnvelopeList>> {
    let actor = auth.0.actor;
    let page = Page::parse(q.limit, q.offset, q.cursor.as_deref())?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(EnvelopeStatus::parse(s).ok_or_else(|| AppError::field("status", "invalid", "Unknown status"))?),
    };
    let filter = search::Filter {
        status,
        external_id: parse_filter("externalId", q.external_id, 255)?,
        recipient_email: parse_filter("recipientEmail", q.recipient_email, 320)?,
        subject: parse_filter("q", q.q, 200)?,
        created_after: parse_time("createdAfter", q.created_after.as_deref())?,
        created_before: parse_time("createdBefore", q.created_before.as_deref())?,
        updated_after: parse_time("updatedAfter", q.updated_after.as_deref())?,
        updated_before: parse_time("updatedBefore", q.updated_before.as_deref())?,
    };
    let (ids, next) = search::find(&st.db, &actor, &filter, &page).await?;
    let data = Overview::load_many(&st.db, &actor, &ids, Wanted::Integrity).await?.iter().map(EnvelopeOut::new).collect();
    Ok(Json(EnvelopeList { data, has_more: next.is_some(), next: next.map(|c| c.encode()) }))
}

/// Get an envelope.
#[utoipa::path(get, path = "/envelopes/{id}", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "The envelope", body = EnvelopeOut)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<EnvelopeOut>> {
    let id = EnvelopeId::parse(&id)?;
    Ok(Json(view(&st, &auth.0.actor, &id).await?))
}

/// Change a draft.
#[utoipa::path(patch, path = "/envelopes/{id}", tag = "envelopes", params(("id" = String, Path)), request_body = PatchEnvelope,
    responses((status = 200, description = "The changed draft", body = EnvelopeOut)))]
pub async fn patch(State(st): State<AppState>, auth: Authed, Path(id): Path<String>, ApiJson(body): ApiJson<PatchEnvelope>) -> AppResult<Json<EnvelopeOut>> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    let change = DraftChange {
        subject: body.subject,
        document_ids: body.document_ids.map(document_ids).transpose()?,
        recipients: body.recipients.map(recipients),
        fields: body.fields.map(fields).transpose()?,
        signing_order: body.signing_order,
        expires_in: body.expires_in,
        redirect_url: body.redirect_url,
        reminder_days: body.reminder_days,
        fieldless: body.fieldless,
        message: body.message,
        language: body.language,
        reference: ReferenceChange::parse(body.external_id, body.metadata)?,
        batch_row: None,
    };
    api_env::update(&st.db, &st.settings, &actor, &id, change).await?;
    Ok(Json(view(&st, &actor, &id).await?))
}

/// Delete a draft (its documents stay in the library), or void a sent envelope: it is
/// cancelled, its links stop working and the recipients already invited are told.
#[utoipa::path(delete, path = "/envelopes/{id}", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 204, description = "The draft is deleted"), (status = 200, description = "The sent envelope is voided", body = EnvelopeOut)))]
pub async fn delete(State(st): State<AppState>, origin: Origin, auth: Authed, Path(id): Path<String>) -> AppResult<Response> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    let status = api_env::Envelope::find_for(&mut *st.db.pool().acquire().await?, &actor, &id).await?.status;
    if status == EnvelopeStatus::Draft {
        api_env::delete(&st.db, &actor, &id).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    api_env::cancel(&st, &actor, &id, VOIDED, &origin).await?;
    Ok(Json(view(&st, &actor, &id).await?).into_response())
}

/// The reason a voided envelope's recipients are given.
const VOIDED: &str = "Voided by the sender";

/// Remind now, with a fresh link, every signer whose turn it is and who has not signed
/// (those reminded in the last hour are left out).
#[utoipa::path(post, path = "/envelopes/{id}/remind", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "Who was reminded", body = RemindOut)))]
pub async fn remind(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<RemindOut>> {
    let id = EnvelopeId::parse(&id)?;
    let reminded = api_env::remind(&st, &auth.0.actor, &id).await?;
    Ok(Json(RemindOut { reminded: reminded.iter().map(|r| r.to_string()).collect() }))
}

/// A fresh signing link for a recipient who has not finished (for an embedding host that
/// opens signing later). Earlier links keep working unless `revokeOthers` is set.
#[utoipa::path(post, path = "/envelopes/{id}/recipients/{recipientId}/signing-link", tag = "envelopes",
    params(("id" = String, Path), ("recipientId" = String, Path)), request_body(content = Option<SigningLinkIn>),
    responses((status = 200, description = "The link", body = SigningLinkOut)))]
pub async fn signing_link(
    State(st): State<AppState>,
    auth: Authed,
    Path((id, recipient)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<SigningLinkIn>,
) -> AppResult<Json<SigningLinkOut>> {
    let id = EnvelopeId::parse(&id)?;
    let recipient = RecipientId::parse(&recipient).map_err(|_| AppError::not_found("Recipient"))?;
    let (sign_url, until) = api_env::mint_link(&st, &auth.0.actor, &id, &recipient, body.expires_in, body.revoke_others).await?;
    Ok(Json(SigningLinkOut { sign_url, expires_at: until.map(|t| t.to_db()) }))
}

/// Lets a recipient locked out of their identity checks (5 wrong answers) try again; their
/// pending codes lapse. `unlocked` is false when they were not locked.
#[utoipa::path(post, path = "/envelopes/{id}/recipients/{recipientId}/unlock", tag = "envelopes",
    params(("id" = String, Path), ("recipientId" = String, Path)),
    responses((status = 200, description = "Whether the recipient was locked", body = UnlockOut)))]
pub async fn unlock(State(st): State<AppState>, auth: Authed, origin: Origin, Path((id, recipient)): Path<(String, String)>) -> AppResult<Json<UnlockOut>> {
    let id = EnvelopeId::parse(&id)?;
    let recipient = RecipientId::parse(&recipient).map_err(|_| AppError::not_found("Recipient"))?;
    Ok(Json(UnlockOut { unlocked: api_env::unlock(&st, &auth.0.actor, &id, &recipient, &origin).await? }))
}

/// The envelope's audit log as events, oldest first, and whether the log is whole.
#[utoipa::path(get, path = "/envelopes/{id}/events", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "The events", body = EventList)))]
pub async fn events(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<EventList>> {
    let id = EnvelopeId::parse(&id)?;
    let o = Overview::load(&st.db, &auth.0.actor, &id, Wanted::Events).await?;
    Ok(Json(EventList::new(&o)))
}

/// Set the recipients of a draft (fields of recipients who stay are kept).
#[utoipa::path(put, path = "/envelopes/{id}/recipients", tag = "envelopes", params(("id" = String, Path)), request_body = PutRecipients,
    responses((status = 200, description = "The changed draft", body = EnvelopeOut)))]
pub async fn put_recipients(
    State(st): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PutRecipients>,
) -> AppResult<Json<EnvelopeOut>> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    let change = DraftChange { recipients: Some(recipients(body.recipients)), ..Default::default() };
    api_env::update(&st.db, &st.settings, &actor, &id, change).await?;
    Ok(Json(view(&st, &actor, &id).await?))
}

/// Send a draft: invitations go out and every recipient's signing link is returned.
#[utoipa::path(post, path = "/envelopes/{id}/send", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "Sent", body = SendOut)))]
pub async fn send(State(st): State<AppState>, origin: Origin, auth: Authed, Path(id): Path<String>) -> AppResult<Json<SendOut>> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    let invited = api_env::send_stored(&st, &actor, &id, &origin).await?;
    let envelope = view(&st, &actor, &id).await?;
    let recipients = invited
        .into_iter()
        .map(|i| SignLink {
            email: envelope.recipients.iter().find(|r| r.id == i.recipient_id.as_str()).map(|r| r.email.clone()).unwrap_or_default(),
            recipient_id: i.recipient_id.to_string(),
            sign_url: i.sign_url,
            emailed: i.emailed,
        })
        .collect();
    Ok(Json(SendOut { envelope, recipients }))
}

/// Cancel a sent envelope; its links stop working.
#[utoipa::path(post, path = "/envelopes/{id}/cancel", tag = "envelopes", params(("id" = String, Path)), request_body(content = Option<CancelIn>),
    responses((status = 200, description = "Cancelled", body = EnvelopeOut)))]
pub async fn cancel(
    State(st): State<AppState>,
    origin: Origin,
    auth: Authed,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<CancelIn>,
) -> AppResult<Json<EnvelopeOut>> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    scope::envelope(&st.db, &actor, &id).await?;
    let reason = body.reason.unwrap_or_default();
    api_env::cancel(&st, &actor, &id, &reason, &origin).await?;
    Ok(Json(view(&st, &actor, &id).await?))
}

/// The sealed PDF (of the first document, or of `document`), once the envelope is completed.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignedParams {
    /// Which document of the envelope (default: the first).
    pub document: Option<String>,
}

#[utoipa::path(get, path = "/envelopes/{id}/signed-document", tag = "envelopes", params(("id" = String, Path), SignedParams),
    responses((status = 200, description = "The sealed PDF", content_type = "application/pdf", body = Vec<u8>)))]
pub async fn signed_document(State(st): State<AppState>, auth: Authed, Path(id): Path<String>, ApiQuery(q): ApiQuery<SignedParams>) -> AppResult<Response> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    scope::envelope(&st.db, &actor, &id).await?;
    let doc = match q.document {
        Some(d) => DocumentId::parse(&d)?,
        None => {
            let draft = api_env::editor(&st.db, &actor, &id).await?;
            draft.documents.first().map(|d| d.id.clone()).ok_or_else(|| AppError::not_found("Sealed document"))?
        }
    };
    Ok(crate::http::sealed::pdf(dojang_core::seal::files::sealed_document(&st, &id, &doc).await?))
}

/// The audit trail as its own PDF at any state: the sealed one once completed, before that an
/// interim record made now (marked on the page, not signed; header `Dojang-Audit-Trail: interim`).
#[utoipa::path(get, path = "/envelopes/{id}/audit-trail", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "The audit trail PDF (`Dojang-Audit-Trail`: `sealed` or `interim`)", content_type = "application/pdf", body = Vec<u8>)))]
pub async fn audit_trail(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Response> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    scope::envelope(&st.db, &actor, &id).await?;
    let (file, interim) = dojang_core::seal::files::audit_trail_now(&st, &id).await?;
    let mut res = crate::http::sealed::pdf(file);
    res.headers_mut().insert("dojang-audit-trail", axum::http::HeaderValue::from_static(if interim { "interim" } else { "sealed" }));
    Ok(res)
}

/// Every sealed document and the audit trail in one ZIP, once the envelope is completed.
#[utoipa::path(get, path = "/envelopes/{id}/signed-documents", tag = "envelopes", params(("id" = String, Path)),
    responses((status = 200, description = "A ZIP of the sealed PDFs and the audit trail", content_type = "application/zip", body = Vec<u8>)))]
pub async fn signed_documents(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Response> {
    let actor = auth.0.actor;
    let id = EnvelopeId::parse(&id)?;
    scope::envelope(&st.db, &actor, &id).await?;
    let mut res = crate::http::sealed::pdf(dojang_core::seal::files::sealed_zip(&st, &id).await?);
    res.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/zip"));
    Ok(res)
}
