//! `/api/v1/templates`: documents, roles and fields prepared once (by hand, by the documents'
//! text tags, or by anchor strings), listed and changed; envelopes made from them.

use super::envelopes::{checked_fields, document_ids, view as envelope_view};
use super::extract::{ApiJson, ApiQuery, Authed};
use super::schema::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dojang_core::api::listing::{parse_filter, parse_time, Page};
use dojang_core::api::reference::ReferenceChange;
use dojang_core::envelope::FieldSpec;
use dojang_core::error::AppResult;
use dojang_core::identity::IdentitySpec;
use dojang_core::ids::TemplateId;
use dojang_core::pdf::tags::{AnchorPlacement, Length};
use dojang_core::state::AppState;
use dojang_core::template::{self, Anchor, Assignment, FormImport, FromTemplate, Placing, Prefill, Role as TemplateRole, TemplateChange};
use serde::Deserialize;
use utoipa::IntoParams;

fn roles(list: Vec<RoleIn>) -> Vec<TemplateRole> {
    list.into_iter().enumerate().map(|(i, r)| TemplateRole { name: r.name, role: r.role.into(), order: r.order.unwrap_or(i as i64 + 1) }).collect()
}

fn fields(list: Vec<TemplateFieldIn>) -> AppResult<Vec<FieldSpec>> {
    checked_fields(
        list,
        |f| (&f.document, f.x, f.y, f.width, f.height),
        |f, document_id, rect| FieldSpec {
            document_id,
            page: f.page,
            rect,
            kind: f.kind,
            recipient: f.role,
            required: f.required,
            label: f.label.unwrap_or_default(),
            placeholder: f.placeholder.unwrap_or_default(),
            options: f.options.unwrap_or_default(),
            format: f.format,
            name: f.name,
            prefill: None,
            read_only: false,
            cover: None,
        },
    )
}

fn length(l: Option<LengthIn>, default: Length) -> Length {
    match l {
        None => default,
        Some(LengthIn::Points(p)) => Length::Points(p),
        Some(LengthIn::Fraction(f)) => Length::Fraction(f),
    }
}

fn placing(text_tags: bool, anchors: Vec<AnchorIn>, form_fields: Option<FormFieldsIn>) -> Placing {
    Placing {
        text_tags,
        form_fields: form_fields.map(|f| FormImport { role: f.role, roles: f.roles }),
        anchors: anchors
            .into_iter()
            .map(|a| Anchor {
                text: a.text,
                role: a.role,
                kind: a.kind,
                placement: AnchorPlacement {
                    x_offset: length(a.x_offset, Length::Points(0.0)),
                    y_offset: length(a.y_offset, Length::Points(0.0)),
                    width: length(a.width, Length::Points(150.0)),
                    height: length(a.height, Length::Points(40.0)),
                },
                required: a.required,
                label: a.label.unwrap_or_default(),
                name: a.name,
                ignore_if_not_present: a.ignore_if_not_present,
            })
            .collect(),
    }
}

async fn view(st: &AppState, auth: &Authed, id: &TemplateId) -> AppResult<TemplateOut> {
    Ok(TemplateOut::new(&template::get(&st.db, &auth.0.actor, id).await?))
}

/// Create a template from library documents, with fields placed by hand, by the documents'
/// text tags (`textTags`), or at anchor strings.
#[utoipa::path(post, path = "/templates", tag = "templates", request_body = CreateTemplate,
    responses((status = 201, description = "The template", body = TemplateOut)))]
pub async fn create(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<CreateTemplate>) -> AppResult<(StatusCode, Json<TemplateOut>)> {
    let change = TemplateChange {
        name: Some(body.name),
        document_ids: Some(document_ids(body.document_ids)?),
        roles: Some(roles(body.roles)),
        fields: Some(fields(body.fields)?),
        placing: placing(body.text_tags, body.anchors, body.form_fields),
        message: body.message,
        signing_order: body.signing_order,
        expires_in: Some(body.expires_in),
        reminder_days: Some(body.reminder_days),
        language: Some(body.language),
        expect_version: None,
    };
    let id = template::create(&st, &auth.0.actor, change).await?;
    Ok((StatusCode::CREATED, Json(view(&st, &auth, &id).await?)))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// Words of the name (case-insensitive, anywhere in it).
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    pub cursor: Option<String>,
}

/// List templates, newest first.
#[utoipa::path(get, path = "/templates", tag = "templates", params(TemplateParams),
    responses((status = 200, description = "One page of templates", body = TemplateList)))]
pub async fn list(State(st): State<AppState>, auth: Authed, ApiQuery(q): ApiQuery<TemplateParams>) -> AppResult<Json<TemplateList>> {
    let page = Page::parse(q.limit, q.offset, q.cursor.as_deref())?;
    let filter = template::Filter {
        name: parse_filter("q", q.q, 200)?,
        created_after: parse_time("createdAfter", q.created_after.as_deref())?,
        created_before: parse_time("createdBefore", q.created_before.as_deref())?,
    };
    let (list, next) = template::list(&st.db, &auth.0.actor, &filter, &page).await?;
    Ok(Json(TemplateList { data: list.iter().map(TemplateOut::new).collect(), has_more: next.is_some(), next: next.map(|c| c.encode()) }))
}

/// Get a template.
#[utoipa::path(get, path = "/templates/{id}", tag = "templates", params(("id" = String, Path)),
    responses((status = 200, description = "The template", body = TemplateOut)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<TemplateOut>> {
    Ok(Json(view(&st, &auth, &TemplateId::parse(&id)?).await?))
}

/// Change a template; envelopes already made from it keep what they copied.
#[utoipa::path(patch, path = "/templates/{id}", tag = "templates", params(("id" = String, Path)), request_body = PatchTemplate,
    responses((status = 200, description = "The template", body = TemplateOut)))]
pub async fn patch(State(st): State<AppState>, auth: Authed, Path(id): Path<String>, ApiJson(body): ApiJson<PatchTemplate>) -> AppResult<Json<TemplateOut>> {
    let id = TemplateId::parse(&id)?;
    let change = TemplateChange {
        name: body.name,
        document_ids: body.document_ids.map(document_ids).transpose()?,
        roles: body.roles.map(roles),
        fields: body.fields.map(fields).transpose()?,
        placing: placing(body.text_tags, body.anchors, body.form_fields),
        message: body.message,
        signing_order: body.signing_order,
        expires_in: body.expires_in,
        reminder_days: body.reminder_days,
        language: body.language,
        expect_version: None,
    };
    template::update(&st, &auth.0.actor, &id, change).await?;
    Ok(Json(view(&st, &auth, &id).await?))
}

/// Delete a template; its documents stay in the library and its envelopes as they are.
#[utoipa::path(delete, path = "/templates/{id}", tag = "templates", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<StatusCode> {
    template::delete(&st.db, &auth.0.actor, &TemplateId::parse(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a draft envelope from a template: one recipient per role and values by field name.
/// Send it with `POST /envelopes/{id}/send`.
#[utoipa::path(post, path = "/templates/{id}/envelopes", tag = "templates", params(("id" = String, Path)), request_body = EnvelopeFromTemplate,
    responses((status = 201, description = "The draft", body = EnvelopeOut)))]
pub async fn create_envelope(
    State(st): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EnvelopeFromTemplate>,
) -> AppResult<(StatusCode, Json<EnvelopeOut>)> {
    let id = TemplateId::parse(&id)?;
    let actor = &auth.0.actor;
    let req = FromTemplate {
        subject: body.subject,
        recipients: body
            .recipients
            .into_iter()
            .map(|r| Assignment {
                role: r.role,
                email: r.email,
                name: r.name,
                order: r.order,
                language: r.language,
                identity: IdentitySpec {
                    methods: r.auth_method.map(OneOrMany::into_vec).unwrap_or_default(),
                    phone: r.phone,
                    channel: r.channel,
                    access_code: r.access_code,
                    birth_date: r.birth_date,
                },
            })
            .collect(),
        values: body
            .values
            .into_iter()
            .map(|(name, v)| {
                let (value, read_only) = match v {
                    ValueIn::Plain(value) => (value, false),
                    ValueIn::Detailed { value, read_only } => (value, read_only),
                };
                (name, Prefill { value, read_only })
            })
            .collect(),
        message: body.message,
        expires_in: body.expires_in.map(Some),
        redirect_url: body.redirect_url,
        language: body.language,
        reference: ReferenceChange::parse(body.external_id.map(Some), body.metadata.map(Some))?,
        batch_row: None,
    };
    let envelope = template::envelope_from(&st.db, &st.settings, actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(envelope_view(&st, actor, &envelope).await?)))
}
