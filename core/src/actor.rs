//! Who is acting: an organization, and the user inside it when there is one (API keys act
//! for the organization alone). Every query about tenant data filters by the organization;
//! API callers are further held to one mode (live or test) and, with a client token, to the
//! contracts of that one client user.

use crate::ids::{ClientId, OrganizationId, UserId};
use crate::model::{CurrentUser, Mode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub organization_id: OrganizationId,
    pub user_id: Option<UserId>,
    pub mode: Mode,
    pub client_id: Option<ClientId>,
}

impl From<&CurrentUser> for Actor {
    fn from(u: &CurrentUser) -> Self {
        Self { organization_id: u.organization_id.clone(), user_id: Some(u.id.clone()), mode: Mode::Live, client_id: None }
    }
}
