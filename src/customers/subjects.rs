//! Follow-ups, business records and work orders are about a subject: a
//! customer or a customer group, reached only if the caller may see it.

use serde::{Deserialize, Serialize};

use crate::{error::AppResult, tenancy::Scope};

/// What a follow-up, business record or work order is about.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[graphql(name = "SubjectKind")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Subject {
    Customer,
    Group,
    /// Follow-ups only (CRM-5).
    Lead,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Customer => "CUSTOMER",
            Subject::Group => "GROUP",
            Subject::Lead => "LEAD",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Subject::Customer, Subject::Group, Subject::Lead].into_iter().find(|k| k.as_str() == s)
    }
}

/// What the caller needs to know of a visible customer or group.
pub struct SubjectRef {
    pub name: String,
    /// The customer's owner, or the group's owner.
    pub owner_id: Option<i64>,
}

/// [`visible_subject`] for a new record about it: a customer in the public
/// pool takes none (CUSTOMER_IN_POOL).
pub async fn writable_subject(db: &impl sea_orm::ConnectionTrait, scope: &Scope, subject: Subject, id: i64) -> AppResult<SubjectRef> {
    match subject {
        Subject::Customer => super::service::not_pooled(&scope.get_visible::<entity::customer::Entity>(db, id).await?)?,
        // A discarded or converted lead takes no new records (CRM-4).
        Subject::Lead => {
            if scope.get_visible::<entity::lead::Entity>(db, id).await?.status != crate::leads::model::LeadStatus::Active.as_str() {
                return Err(crate::error::AppError::conflict(crate::leads::model::NOT_ACTIVE));
            }
        }
        Subject::Group => {}
    }
    visible_subject(db, scope, subject, id).await
}

/// The customer or group, if the caller may see it (else `NOT_FOUND`).
pub async fn visible_subject(db: &impl sea_orm::ConnectionTrait, scope: &Scope, subject: Subject, id: i64) -> AppResult<SubjectRef> {
    Ok(match subject {
        Subject::Customer => {
            let c = scope.get_visible::<entity::customer::Entity>(db, id).await?;
            SubjectRef { name: c.name, owner_id: c.owner_id }
        }
        Subject::Group => {
            let g = scope.get_visible::<entity::customer_group::Entity>(db, id).await?;
            SubjectRef { name: g.name, owner_id: g.owner_id }
        }
        Subject::Lead => {
            let l = scope.get_visible::<entity::lead::Entity>(db, id).await?;
            SubjectRef { name: l.name, owner_id: l.owner_id }
        }
    })
}
