//! Smart tag rules over GraphQL (TAG-5).

use std::collections::HashMap;

use async_graphql::{
    dataloader::{HashMapCache, Loader},
    Context, InputObject, Json, Object, ID,
};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};

use super::{
    rules::{self, RuleFilter, RuleInput},
    tag_type::TagType,
};
use crate::{
    conditions::{self, graphql::ConditionTreeInput, RawTree},
    corp_tags::graphql::{tag, CorpTag},
    customers::graphql::{kit::employee, objects::GroupTag},
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        loader::{group, id_keys, ids, LoadResult},
        DeletePayload,
    },
    org::{graphql::employee::Employee, permissions as perm},
    tenancy::Scope,
};
use entity::{
    corp_tag, customer, customer_group, group_tag, smart_tag_group_hit, smart_tag_hit, smart_tag_rule, smart_tag_rule_group_tag,
    smart_tag_rule_tag,
};

pub struct SmartTagLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
    /// What time conditions count back from (the app's clock, as the customer list's).
    pub clock: crate::clock::Clock,
}

fn loader<'a>(ctx: &'a Context<'_>) -> &'a async_graphql::dataloader::DataLoader<SmartTagLoader, HashMapCache> {
    ctx.data_unchecked()
}

id_keys!(TagsOfRule, GroupTagsOfRule, MatchesOfRule, TaggedByRule);

impl Loader<TagsOfRule> for SmartTagLoader {
    type Value = Vec<corp_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagsOfRule]) -> LoadResult<TagsOfRule, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let links = scope
            .select::<smart_tag_rule_tag::Entity>()
            .filter(smart_tag_rule_tag::Column::RuleId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut tags = scope
            .select::<corp_tag::Entity>()
            .filter(corp_tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        tags.sort_by_key(|t| (t.group_id, t.id));
        let pairs = tags.iter().flat_map(|t| links.iter().filter(|l| l.tag_id == t.id).map(|l| (TagsOfRule(l.rule_id), t.clone())));
        Ok(group(keys, pairs.collect::<Vec<_>>()))
    }
}

impl Loader<GroupTagsOfRule> for SmartTagLoader {
    type Value = Vec<group_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[GroupTagsOfRule]) -> LoadResult<GroupTagsOfRule, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let links = scope
            .select::<smart_tag_rule_group_tag::Entity>()
            .filter(smart_tag_rule_group_tag::Column::RuleId.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut tags = scope
            .select::<group_tag::Entity>()
            .filter(group_tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        tags.sort_by_key(|t| (t.tag_group_id, t.id));
        let pairs = tags.iter().flat_map(|t| links.iter().filter(|l| l.tag_id == t.id).map(|l| (GroupTagsOfRule(l.rule_id), t.clone())));
        Ok(group(keys, pairs.collect::<Vec<_>>()))
    }
}

/// What each rule matches now among what the caller may see: customers of
/// the customer list, or live groups of the group list; a statement per
/// kind for the page (a sum per rule).
impl Loader<MatchesOfRule> for SmartTagLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[MatchesOfRule]) -> LoadResult<MatchesOfRule, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let db = &self.db;
        let backend = db.get_database_backend();
        let rules = scope
            .select::<smart_tag_rule::Entity>()
            .filter(smart_tag_rule::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(db)
            .await
            .map_err(AppError::from)?;
        let raws: Vec<(i64, TagType, RawTree)> =
            rules.iter().filter_map(|r| Some((r.id, TagType::of(r), serde_json::from_str(&r.conditions).ok()?))).collect();
        let trees_of = |ty: TagType| raws.iter().filter(move |(_, t, _)| *t == ty).map(|(_, _, raw)| raw).collect::<Vec<&RawTree>>();
        let custom = conditions::sql::custom_fields_for(db, scope, conditions::Subject::Customer, &trees_of(TagType::Customer)).await?;
        let group_custom = conditions::sql::custom_fields_for(db, scope, conditions::Subject::Group, &trees_of(TagType::Group)).await?;
        let now = self.clock.now();
        let (mut of_customers, mut of_groups) = (Vec::new(), Vec::new());
        for (id, ty, raw) in &raws {
            match ty {
                TagType::Customer => {
                    if let Ok(tree) = conditions::check(conditions::Subject::Customer, raw, "conditions", &custom) {
                        of_customers.push((*id, conditions::sql::condition(scope, backend, &tree, now)));
                    }
                }
                TagType::Group => {
                    if let Ok(tree) = conditions::check(conditions::Subject::Group, raw, "conditions", &group_custom) {
                        of_groups.push((*id, conditions::group_sql::condition(scope, backend, &tree, now)));
                    }
                }
            }
        }
        let customers = scope.select_visible::<customer::Entity>().filter(customer::Column::PooledAt.is_null());
        let mut counts = conditions::sql::count_each(db, customers, of_customers).await?;
        let groups = scope.select_visible::<customer_group::Entity>().filter(customer_group::Column::DismissedAt.is_null());
        counts.extend(conditions::sql::count_each(db, groups, of_groups).await?);
        Ok(keys.iter().map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0))).collect())
    }
}

/// Customers or groups each rule has tagged (all of the corp's: a rule's own record).
impl Loader<TaggedByRule> for SmartTagLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TaggedByRule]) -> LoadResult<TaggedByRule, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let mut counts: Vec<(i64, i64)> = scope
            .select::<smart_tag_hit::Entity>()
            .select_only()
            .column(smart_tag_hit::Column::RuleId)
            .column_as(smart_tag_hit::Column::Id.count(), "n")
            .filter(smart_tag_hit::Column::RuleId.is_in(ids(keys, |k| k.0)))
            .group_by(smart_tag_hit::Column::RuleId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        counts.extend(
            scope
                .select::<smart_tag_group_hit::Entity>()
                .select_only()
                .column(smart_tag_group_hit::Column::RuleId)
                .column_as(smart_tag_group_hit::Column::Id.count(), "n")
                .filter(smart_tag_group_hit::Column::RuleId.is_in(ids(keys, |k| k.0)))
                .group_by(smart_tag_group_hit::Column::RuleId)
                .into_tuple::<(i64, i64)>()
                .all(&self.db)
                .await
                .map_err(AppError::from)?,
        );
        let found: HashMap<i64, i64> = counts.into_iter().collect();
        Ok(keys.iter().map(|k| (*k, found.get(&k.0).copied().unwrap_or(0))).collect())
    }
}

pub struct SmartTagRule(pub smart_tag_rule::Model);

#[Object]
impl SmartTagRule {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// CUSTOMER (corp tags on customers) or GROUP (group tags on customer groups).
    async fn tag_type(&self) -> TagType {
        TagType::of(&self.0)
    }
    /// A CUSTOMER rule's corp tags, by tag group (none for a GROUP rule).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CorpTag>> {
        Ok(loader(ctx).load_one(TagsOfRule(self.0.id)).await?.unwrap_or_default().into_iter().map(tag).collect())
    }
    /// A GROUP rule's group tags, by tag group (none for a CUSTOMER rule).
    async fn group_tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GroupTag>> {
        Ok(loader(ctx).load_one(GroupTagsOfRule(self.0.id)).await?.unwrap_or_default().into_iter().map(GroupTag).collect())
    }
    /// The tree as written (`conditionCatalogue(subject: CUSTOMER or GROUP)`
    /// lists the fields); a CUSTOMER rule's tree passed to
    /// `customers(filter: {tree})` lists the customers it matches now.
    async fn conditions(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.conditions).unwrap_or_default())
    }
    /// What it covers now (TAG-5's live count): customers of the caller's
    /// customer list that match its conditions (what `customers(filter:
    /// {tree: conditions})` lists), or for a GROUP rule the live groups of
    /// the caller's group list that match.
    async fn covered_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(MatchesOfRule(self.0.id)).await?.unwrap_or(0))
    }
    /// Customers (or groups) it has tagged so far, in the whole corp (whatever they carry since).
    async fn tagged_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(TaggedByRule(self.0.id)).await?.unwrap_or(0))
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct SmartTagRuleInput {
    /// 1–30 characters, unique in the corp.
    pub name: String,
    /// What the rule tags: CUSTOMER when a new rule leaves it out; fixed
    /// once created (an edit may leave it out).
    pub tag_type: Option<TagType>,
    /// 1–20 tags (corp tags, or group tags for a GROUP rule); at most one
    /// per mutually exclusive tag group.
    pub tag_ids: Vec<ID>,
    /// Required: at least one condition (`conditionCatalogue(subject:
    /// CUSTOMER)`, or `GROUP` for a GROUP rule).
    pub conditions: ConditionTreeInput,
}

impl SmartTagRuleInput {
    fn parsed(self) -> async_graphql::Result<RuleInput> {
        Ok(RuleInput {
            name: self.name,
            tag_type: self.tag_type,
            tag_ids: parse_ids(&self.tag_ids, "input.tagIds")?,
            conditions: self.conditions.into_raw(),
        })
    }
}

#[derive(InputObject, Default)]
pub struct SmartTagRuleFilter {
    /// Substring of the name.
    pub name: Option<String>,
    pub tag_type: Option<TagType>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct SmartTagQuery;

#[Object]
impl SmartTagQuery {
    /// Smart tag rules, newest first.
    #[graphql(guard = "Perm(perm::TAG_SMART_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn smart_tag_rules(
        &self,
        ctx: &Context<'_>,
        filter: Option<SmartTagRuleFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<SmartTagRule>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let parsed = RuleFilter { name: f.name, tag_type: f.tag_type, created_from: f.created_from, created_to: f.created_to };
        let (rows, total) = fetch_page(ctx.db(), rules::list(ctx.scope()?, &parsed), page).await?;
        Ok(connection(page, total, rows.into_iter().map(SmartTagRule).collect()))
    }

    #[graphql(guard = "Perm(perm::TAG_SMART_VIEW)")]
    async fn smart_tag_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SmartTagRule> {
        Ok(SmartTagRule(ctx.scope()?.get::<smart_tag_rule::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct SmartTagMutation;

#[Object]
impl SmartTagMutation {
    /// Creates a rule; a background job then tags what it matches: customers
    /// through WeCom, on every adder (changed customers are checked within
    /// about a minute, time-based conditions hourly), or customer groups
    /// (every GROUP rule runs again each minute).
    #[graphql(guard = "Perm(perm::TAG_SMART_MANAGE)")]
    async fn create_smart_tag_rule(&self, ctx: &Context<'_>, input: SmartTagRuleInput) -> async_graphql::Result<SmartTagRule> {
        let state = ctx.state();
        Ok(SmartTagRule(rules::create(&state.db, &state.jobs, ctx.scope()?, &input.parsed()?).await?))
    }

    /// Edits a rule. New tags go on every customer it matches now; edited
    /// conditions tag their new matches; nothing already tagged is untagged.
    #[graphql(guard = "Perm(perm::TAG_SMART_MANAGE)")]
    async fn update_smart_tag_rule(&self, ctx: &Context<'_>, id: ID, input: SmartTagRuleInput) -> async_graphql::Result<SmartTagRule> {
        let state = ctx.state();
        Ok(SmartTagRule(rules::update(&state.db, &state.jobs, ctx.scope()?, parse_id(&id, "id")?, &input.parsed()?).await?))
    }

    /// Deletes a rule; the tags it put on stay.
    #[graphql(guard = "Perm(perm::TAG_SMART_MANAGE)")]
    async fn delete_smart_tag_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        rules::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
