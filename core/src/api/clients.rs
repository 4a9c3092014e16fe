//! Client users: the people of an integrator's own system (the Comake flow). The integrator
//! registers each one with its own external id; a client token then acts as that user and
//! sees only the documents and contracts that user made.

use crate::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::ClientId;
use crate::infra::db::{Db, Timestamp};
use crate::types::{DisplayName, EmailAddress};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub created_at: String,
}

/// The input of a registration, checked field by field.
pub struct NewClient {
    pub external_id: String,
    pub name: DisplayName,
    pub email: EmailAddress,
}

impl NewClient {
    pub fn parse(external_id: &str, name: &str, email: &str) -> AppResult<Self> {
        let mut errors = Vec::new();
        let ext = external_id.trim();
        if ext.is_empty() || ext.chars().count() > 200 || ext.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "externalId".into(),
                code: "invalid".into(),
                message: "Give your system's id for this user (1–200 characters)".into(),
            });
        }
        let name = DisplayName::parse_field(name, "name").map_err(|e| errors.extend(e.fields)).ok();
        let email = EmailAddress::parse(email).map_err(|e| errors.extend(e.fields)).ok();
        match (name, email) {
            (Some(name), Some(email)) if errors.is_empty() => Ok(Self { external_id: ext.to_owned(), name, email }),
            _ => Err(AppError::fields(errors)),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: ClientId,
    external_id: String,
    name: String,
    email: String,
    created_at: Timestamp,
}

fn from_row(r: Row) -> AppResult<Client> {
    Ok(Client { id: r.id, external_id: r.external_id, name: r.name, email: r.email, created_at: r.created_at.to_db() })
}

/// Registers a client user, or updates the name and email of the one with this external id.
/// Returns the client and whether it is new.
pub async fn register(db: &Db, actor: &Actor, input: &NewClient) -> AppResult<(Client, bool)> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    // Registrations of one organization take turns: two at once make one client, not two.
    crate::infra::db::lock(&mut tx, "organizations", actor.organization_id.as_str()).await?;
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM api_clients WHERE organization_id = $1 AND mode = $2 AND external_id = $3")
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .bind(&input.external_id)
        .fetch_optional(&mut *tx)
        .await?;
    let created = existing.is_none();
    let id = match existing {
        Some(id) => {
            sqlx::query("UPDATE api_clients SET name = $2, email = $3, updated_at = $4 WHERE id = $1")
                .bind(&id)
                .bind(input.name.as_str())
                .bind(input.email.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            ClientId::parse(&id)?
        }
        None => {
            let id = ClientId::new();
            sqlx::query(
                "INSERT INTO api_clients (id, organization_id, mode, external_id, name, email, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&id)
            .bind(&actor.organization_id)
            .bind(actor.mode.as_str())
            .bind(&input.external_id)
            .bind(input.name.as_str())
            .bind(input.email.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    tx.commit().await?;
    Ok((find(db, actor, &id).await?, created))
}

/// A client of the caller's organization and mode; 404 for anyone else's.
pub async fn find(db: &Db, actor: &Actor, id: &ClientId) -> AppResult<Client> {
    let row: Option<Row> =
        sqlx::query_as("SELECT id, external_id, name, email, created_at FROM api_clients WHERE id = $1 AND organization_id = $2 AND mode = $3")
            .bind(id)
            .bind(&actor.organization_id)
            .bind(actor.mode.as_str())
            .fetch_optional(db.pool())
            .await?;
    from_row(row.ok_or_else(|| AppError::not_found("Client"))?)
}

/// The caller's clients, newest first.
pub async fn list(db: &Db, actor: &Actor) -> AppResult<Vec<Client>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, external_id, name, email, created_at FROM api_clients WHERE organization_id = $1 AND mode = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1000",
    )
    .bind(&actor.organization_id)
    .bind(actor.mode.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(from_row).collect()
}
