//! The authenticated caller every use case takes: the tenant comes only from a verified token.

use super::ids::{TenantId, UserId};
use super::values::{DisplayName, Handle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages a tenant: retention, any channel's membership, deleting any message.
    TenantAdmin,
    /// Operates the whole deployment: the debug endpoints. Grants nothing inside tenants.
    SuperAdmin,
    /// Exports any conversation's archive (DMs and private channels included) — only where the
    /// tenant's admins enabled compliance export, and every export is audited. Grants nothing else.
    Compliance,
}

impl Role {
    /// Role names as identity providers carry them (a `roles` claim or Cognito groups).
    pub fn from_claim(name: &str) -> Option<Self> {
        match name {
            "admin" | "tenant-admin" | "tenant_admin" => Some(Role::TenantAdmin),
            "super-admin" | "super_admin" | "superadmin" => Some(Role::SuperAdmin),
            "compliance" => Some(Role::Compliance),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::TenantAdmin => "tenant-admin",
            Role::SuperAdmin => "super-admin",
            Role::Compliance => "compliance",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub user: UserId,
    pub roles: Vec<Role>,
    pub display_name: DisplayName,
    /// The handle the token suggests. It is only a wish: the user's handle is their profile's,
    /// claimed once per tenant by `Chat::ensure_profile` and never changed by a later token.
    pub suggested_handle: Handle,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn is_tenant_admin(&self) -> bool {
        self.has_role(Role::TenantAdmin)
    }
}
