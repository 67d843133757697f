//! Batch loaders for customer relations: each relation field of a page costs
//! one statement (custom fields two) whatever the page size. Created per
//! request, bound to the caller's scope.

use std::collections::{BTreeSet, HashMap};

use async_graphql::dataloader::Loader;
use sea_orm::{
    sea_query::{Expr, Func, Query},
    ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect,
};

use crate::customers::subjects::Subject;
use crate::{
    custom_fields::{service as fields, FieldEntity},
    error::AppError,
    graphql::loader::{group, id_keys, ids, LoadResult},
    tenancy::Scope,
};
use entity::{
    corp_tag, custom_field, customer, customer_follow, customer_group, customer_group_tag, follow_tag, follow_up, follow_up_type,
    group_member, group_tag, record_template, record_template_field, record_template_scope,
};

pub struct CrmLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
}

id_keys!(
    AddersOf,
    TagsOfCustomer,
    CustomerFieldValues,
    GroupFieldValues,
    LastFollowUpOf,
    FollowUpTypeById,
    CustomerById,
    MemberCountOf,
    FieldsOfTemplate,
    ScopesOfTemplate,
    RecordTemplateById,
    FieldById,
    GroupById,
    TagsOfGroup,
    FileById
);

impl Loader<AddersOf> for CrmLoader {
    type Value = Vec<customer_follow::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[AddersOf]) -> LoadResult<AddersOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<customer_follow::Entity>()
            .filter(customer_follow::Column::CustomerId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(customer_follow::Column::AddedAt)
            .order_by_asc(customer_follow::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|f| (AddersOf(f.customer_id), f))))
    }
}

impl Loader<TagsOfCustomer> for CrmLoader {
    type Value = Vec<corp_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagsOfCustomer]) -> LoadResult<TagsOfCustomer, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let pairs: Vec<(i64, i64)> = scope
            .select::<follow_tag::Entity>()
            .select_only()
            .column(follow_tag::Column::CustomerId)
            .column(follow_tag::Column::TagId)
            // No DISTINCT: with it SQLite scans the (corp, tag) index instead
            // of seeking the (corp, customer) one; duplicates go below.
            .filter(follow_tag::Column::CustomerId.is_in(ids(keys, |k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let pairs: BTreeSet<(i64, i64)> = pairs.into_iter().collect();
        let tag_ids: BTreeSet<i64> = pairs.iter().map(|(_, t)| *t).collect();
        let tags: HashMap<i64, corp_tag::Model> = if tag_ids.is_empty() {
            HashMap::new()
        } else {
            scope
                .select::<corp_tag::Entity>()
                .filter(corp_tag::Column::Id.is_in(tag_ids))
                .all(&self.db)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|t| (t.id, t))
                .collect()
        };
        let mut out = group(keys, pairs.into_iter().filter_map(|(c, t)| tags.get(&t).map(|t| (TagsOfCustomer(c), t.clone()))));
        for list in out.values_mut() {
            list.sort_by_key(|t| (t.group_id, -t.wecom_order, t.id));
        }
        Ok(out)
    }
}

async fn field_values(
    db: &DatabaseConnection,
    scope: &Scope,
    kind: FieldEntity,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<(custom_field::Model, serde_json::Value)>>, AppError> {
    fields::values_for(db, scope, kind, ids).await
}

impl Loader<CustomerFieldValues> for CrmLoader {
    type Value = Vec<(custom_field::Model, serde_json::Value)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[CustomerFieldValues]) -> LoadResult<CustomerFieldValues, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let mut values = field_values(&self.db, scope, FieldEntity::Customer, &ids(keys, |k| k.0)).await?;
        Ok(keys.iter().map(|k| (*k, values.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<GroupFieldValues> for CrmLoader {
    type Value = Vec<(custom_field::Model, serde_json::Value)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[GroupFieldValues]) -> LoadResult<GroupFieldValues, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let mut values = field_values(&self.db, scope, FieldEntity::Group, &ids(keys, |k| k.0)).await?;
        Ok(keys.iter().map(|k| (*k, values.remove(&k.0).unwrap_or_default())).collect())
    }
}

/// The newest follow-up record of each customer: one statement.
impl Loader<LastFollowUpOf> for CrmLoader {
    type Value = follow_up::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[LastFollowUpOf]) -> LoadResult<LastFollowUpOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let newest = Query::select()
            .expr(Func::max(Expr::col(follow_up::Column::Id)))
            .from(follow_up::Entity)
            .cond_where(scope.tenant_condition::<follow_up::Entity>())
            .and_where(follow_up::Column::SubjectKind.eq(Subject::Customer.as_str()))
            .and_where(follow_up::Column::SubjectId.is_in(ids(keys, |k| k.0)))
            .group_by_col(follow_up::Column::SubjectId)
            .to_owned();
        // The subject filter again outside, so the planner seeks the subject
        // index rather than scanning the corp's follow-ups for the ids.
        let rows = scope
            .select::<follow_up::Entity>()
            .filter(follow_up::Column::SubjectKind.eq(Subject::Customer.as_str()))
            .filter(follow_up::Column::SubjectId.is_in(ids(keys, |k| k.0)))
            .filter(follow_up::Column::Id.in_subquery(newest))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|f| (LastFollowUpOf(f.subject_id), f)).collect())
    }
}

impl Loader<FollowUpTypeById> for CrmLoader {
    type Value = follow_up_type::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FollowUpTypeById]) -> LoadResult<FollowUpTypeById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<follow_up_type::Entity>()
            .filter(follow_up_type::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|t| (FollowUpTypeById(t.id), t)).collect())
    }
}

/// Customers the caller may see (a link from another list to a hidden customer resolves to null).
impl Loader<CustomerById> for CrmLoader {
    type Value = customer::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[CustomerById]) -> LoadResult<CustomerById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select_visible::<customer::Entity>()
            .filter(customer::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|c| (CustomerById(c.id), c)).collect())
    }
}

/// Current members (employees and customers) of each group.
impl Loader<MemberCountOf> for CrmLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[MemberCountOf]) -> LoadResult<MemberCountOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows: Vec<(i64, i64)> = scope
            .select::<group_member::Entity>()
            .select_only()
            .column(group_member::Column::GroupId)
            .column_as(group_member::Column::Id.count(), "n")
            .filter(group_member::Column::GroupId.is_in(ids(keys, |k| k.0)))
            .filter(group_member::Column::LeftAt.is_null())
            .group_by(group_member::Column::GroupId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut out: HashMap<MemberCountOf, i64> = keys.iter().map(|k| (*k, 0)).collect();
        out.extend(rows.into_iter().map(|(g, n)| (MemberCountOf(g), n)));
        Ok(out)
    }
}

/// Visible customers by WeCom's external userid (group members name customers so).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CustomerByExternalId(pub String);

impl Loader<CustomerByExternalId> for CrmLoader {
    type Value = customer::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[CustomerByExternalId]) -> LoadResult<CustomerByExternalId, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select_visible::<customer::Entity>()
            .filter(customer::Column::ExternalUserid.is_in(keys.iter().map(|k| k.0.clone())))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|c| (CustomerByExternalId(c.external_userid.clone()), c)).collect())
    }
}

impl Loader<FieldsOfTemplate> for CrmLoader {
    type Value = Vec<(record_template_field::Model, custom_field::Model)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FieldsOfTemplate]) -> LoadResult<FieldsOfTemplate, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let mut rows = crate::customers::records::fields_of(&self.db, scope, &ids(keys, |k| k.0)).await?;
        Ok(keys.iter().map(|k| (*k, rows.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<ScopesOfTemplate> for CrmLoader {
    type Value = Vec<record_template_scope::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[ScopesOfTemplate]) -> LoadResult<ScopesOfTemplate, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<record_template_scope::Entity>()
            .filter(record_template_scope::Column::TemplateId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|r| (ScopesOfTemplate(r.template_id), r))))
    }
}

impl Loader<RecordTemplateById> for CrmLoader {
    type Value = record_template::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[RecordTemplateById]) -> LoadResult<RecordTemplateById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<record_template::Entity>()
            .filter(record_template::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|t| (RecordTemplateById(t.id), t)).collect())
    }
}

impl Loader<FieldById> for CrmLoader {
    type Value = custom_field::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FieldById]) -> LoadResult<FieldById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<custom_field::Entity>()
            .filter(custom_field::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|f| (FieldById(f.id), f)).collect())
    }
}

/// Groups the caller may see.
impl Loader<GroupById> for CrmLoader {
    type Value = customer_group::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[GroupById]) -> LoadResult<GroupById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select_visible::<customer_group::Entity>()
            .filter(customer_group::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|g| (GroupById(g.id), g)).collect())
    }
}

/// Group tags on each customer group.
impl Loader<TagsOfGroup> for CrmLoader {
    type Value = Vec<group_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagsOfGroup]) -> LoadResult<TagsOfGroup, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let links = scope
            .select::<customer_group_tag::Entity>()
            .filter(customer_group_tag::Column::GroupId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let tags: HashMap<i64, group_tag::Model> = scope
            .select::<group_tag::Entity>()
            .filter(group_tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut out = group(keys, links.into_iter().filter_map(|l| tags.get(&l.tag_id).map(|t| (TagsOfGroup(l.group_id), t.clone()))));
        for list in out.values_mut() {
            list.sort_by_key(|t| (t.tag_group_id, t.sort, t.id));
        }
        Ok(out)
    }
}

impl Loader<FileById> for CrmLoader {
    type Value = entity::stored_file::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FileById]) -> LoadResult<FileById, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<entity::stored_file::Entity>()
            .filter(entity::stored_file::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|f| (FileById(f.id), f)).collect())
    }
}
