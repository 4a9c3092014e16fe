//! Organizations and their users: sign-up (an organization and its owner), login, lookup;
//! with passwords, the login throttle and the browser sessions.

pub mod password;
pub mod session_store;
pub mod throttle;
pub mod web_session;

use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::ids::{OrganizationId, UserId};
use crate::infra::db::{unique_violation, Db, Timestamp};
use crate::model::{CurrentUser, Language, UserRole};
use crate::types::{DisplayName, EmailAddress, NewPassword};
use password::{hash_password, verify_password};
use throttle::LoginKeys;

/// A validated sign-up: every field checked, all problems reported at once.
#[derive(Debug)]
pub struct SignUp {
    pub org_name: DisplayName,
    pub name: DisplayName,
    pub email: EmailAddress,
    pub password: NewPassword,
    /// The language the owner signed up in: the mail Dojang sends them is written in it.
    pub language: Language,
}

impl SignUp {
    pub fn parse(org_name: &str, name: &str, email: &str, password: &str, language: Language) -> AppResult<Self> {
        let mut fields: Vec<FieldError> = Vec::new();
        let mut take = |r: AppResult<()>| {
            if let Err(e) = r {
                fields.extend(e.fields);
            }
        };
        let org = DisplayName::parse_field(org_name, "orgName");
        let person = DisplayName::parse_field(name, "name");
        let mail = EmailAddress::parse(email);
        let pass = NewPassword::parse(password);
        take(org.as_ref().map(|_| ()).map_err(Clone::clone));
        take(person.as_ref().map(|_| ()).map_err(Clone::clone));
        take(mail.as_ref().map(|_| ()).map_err(Clone::clone));
        take(pass.as_ref().map(|_| ()).map_err(Clone::clone));
        match (org, person, mail, pass) {
            (Ok(org_name), Ok(name), Ok(email), Ok(password)) => Ok(Self { org_name, name, email, password, language }),
            _ => Err(AppError::fields(fields)),
        }
    }
}

/// Creates an organization and its owner in one transaction.
pub async fn sign_up(db: &Db, input: SignUp) -> AppResult<CurrentUser> {
    let password_hash = hash_password(&input.password).await?;
    let now = Timestamp::now();
    let org_id = OrganizationId::new();
    let user_id = UserId::new();
    let mut tx = db.begin().await?;
    let inserted = async {
        sqlx::query("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)")
            .bind(&org_id)
            .bind(input.org_name.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, name, password_hash, role, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'owner', $6, $7, $7)",
        )
        .bind(&user_id)
        .bind(&org_id)
        .bind(input.email.as_str())
        .bind(input.name.as_str())
        .bind(&password_hash)
        .bind(input.language)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if let Err(e) = inserted {
        return Err(match unique_violation(&e).as_deref() {
            Some("users_email_key") => {
                let mut err = AppError::field("email", "taken", "An account with this email already exists");
                err.code = ErrorCode::EmailTaken;
                err
            }
            Some("organizations_name_key") => {
                let mut err = AppError::field("orgName", "taken", "An organization with this name already exists");
                err.code = ErrorCode::Conflict;
                err
            }
            _ => AppError::from(e),
        });
    }
    tx.commit().await?;
    tracing::info!(organization_id = %org_id, user_id = %user_id, "organization created");
    Ok(CurrentUser {
        id: user_id,
        name: input.name.to_string(),
        email: input.email.to_string(),
        role: UserRole::Owner,
        organization_id: org_id,
        organization_name: input.org_name.to_string(),
    })
}

/// Checks an email and password. Unknown email and wrong password give the same error after
/// the same work; repeated attempts are throttled (counted before the password is checked).
pub async fn log_in(db: &Db, email: &str, password: &str, client_ip: &str) -> AppResult<CurrentUser> {
    let email = email.trim().to_lowercase();
    let keys = LoginKeys::new(&email, client_ip);
    throttle::attempt(db, &keys).await?;
    let row: Option<(String, String)> = sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1").bind(&email).fetch_optional(db.pool()).await?;
    let (id, hash) = match row {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let ok = verify_password(hash, password.to_owned()).await?;
    let user = match (ok, id) {
        (true, Some(id)) => find_user(db, &UserId::parse(&id)?).await?,
        _ => None,
    };
    match user {
        Some(user) => {
            throttle::succeeded(db, &keys).await?;
            Ok(user)
        }
        None => Err(AppError::new(ErrorCode::InvalidCredentials, "Email or password is incorrect")),
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    name: String,
    email: String,
    role: UserRole,
    organization_id: OrganizationId,
    organization_name: String,
}

pub async fn find_user(db: &Db, id: &UserId) -> AppResult<Option<CurrentUser>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.role, o.id AS organization_id, o.name AS organization_name \
         FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| CurrentUser {
        id: r.id,
        name: r.name,
        email: r.email,
        role: r.role,
        organization_id: r.organization_id,
        organization_name: r.organization_name,
    }))
}

/// An organization by its exact name (used by the admin CLI).
pub async fn find_organization_by_name(db: &Db, name: &str) -> AppResult<Option<OrganizationId>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE name = $1").bind(name).fetch_optional(db.pool()).await?;
    id.map(|s| OrganizationId::parse(&s)).transpose()
}
