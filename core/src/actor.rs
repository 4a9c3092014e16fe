//! Who is acting: an organization, and the user inside it when there is one (API keys act
//! for the organization alone). Every query about tenant data filters by the organization.

use crate::ids::{OrganizationId, UserId};
use crate::model::CurrentUser;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub organization_id: OrganizationId,
    pub user_id: Option<UserId>,
}

impl From<&CurrentUser> for Actor {
    fn from(u: &CurrentUser) -> Self {
        Self { organization_id: u.organization_id.clone(), user_id: Some(u.id.clone()) }
    }
}
