//! Segments and crowd packs over GraphQL (OPS-9…11).

use std::collections::HashMap;

use async_graphql::{
    dataloader::{HashMapCache, Loader},
    Context, InputObject, Json, Object, SimpleObject, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect, QueryTrait};

use super::{
    portrait,
    service::{self, PackEdit, PackFilter, PackInput, PackKind},
};
use crate::{
    conditions::graphql::ConditionTreeInput,
    corp_tags::graphql::{tag, CorpTag},
    customers::graphql::{kit::employee, objects::Gender, Customer},
    error::{AppError, AppResult, Msg},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        loader::{id_keys, ids, rows, LoadResult, RowById},
        DeletePayload,
    },
    org::{graphql::employee::Employee, permissions as perm},
    tenancy::Scope,
};
use entity::{corp_tag, crowd_pack, crowd_pack_member, customer, customer_segment};

const DAYS_INVALID: Msg = Msg::new("TREND_DAYS_INVALID", "趋势天数为1-90天", "A trend covers 1 to 90 days");
const DISTRIBUTION_TAGS_INVALID: Msg = Msg::new("DISTRIBUTION_TAGS_INVALID", "请选择1-100个标签", "Choose 1 to 100 tags");
const TREND_TAGS_INVALID: Msg = Msg::new("TREND_TAGS_INVALID", "请选择1-10个标签", "Choose 1 to 10 tags");

pub struct SegmentLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
    /// What live packs' time conditions count back from (the app's clock, as their lists do).
    pub clock: crate::clock::Clock,
}

fn loader<'a>(ctx: &'a Context<'_>) -> &'a async_graphql::dataloader::DataLoader<SegmentLoader, HashMapCache> {
    ctx.data_unchecked()
}

id_keys!(PackSize);

/// The customers the caller may see in each pack: frozen members counted in
/// one grouped statement, every live pack of the page in one more (a sum per pack).
impl Loader<PackSize> for SegmentLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[PackSize]) -> LoadResult<PackSize, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let db = &self.db;
        let packs = scope
            .select::<crowd_pack::Entity>()
            .filter(crowd_pack::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(db)
            .await
            .map_err(AppError::from)?;
        let visible = || {
            scope
                .select_visible::<customer::Entity>()
                .filter(customer::Column::PooledAt.is_null())
                .select_only()
                .column(customer::Column::Id)
                .into_query()
        };
        let mut out: HashMap<PackSize, i64> = keys.iter().map(|k| (*k, 0)).collect();
        let frozen: Vec<i64> = packs.iter().filter(|p| PackKind::parse(&p.kind) == PackKind::Static).map(|p| p.id).collect();
        if !frozen.is_empty() {
            let counts: Vec<(i64, i64)> = scope
                .select::<crowd_pack_member::Entity>()
                .select_only()
                .column(crowd_pack_member::Column::PackId)
                .column_as(crowd_pack_member::Column::Id.count(), "n")
                .filter(crowd_pack_member::Column::PackId.is_in(frozen))
                .filter(crowd_pack_member::Column::CustomerId.in_subquery(visible()))
                .group_by(crowd_pack_member::Column::PackId)
                .into_tuple()
                .all(db)
                .await
                .map_err(AppError::from)?;
            out.extend(counts.into_iter().map(|(p, n)| (PackSize(p), n)));
        }
        let live: Vec<&crowd_pack::Model> = packs.iter().filter(|p| PackKind::parse(&p.kind) == PackKind::Dynamic).collect();
        if !live.is_empty() {
            let now = self.clock.now();
            let trees = service::trees_of(db, scope, &live).await?;
            let conditions = live
                .iter()
                .zip(trees)
                .map(|(p, tree)| (p.id, service::member_condition(scope, db.get_database_backend(), p, tree.as_ref(), now)))
                .collect();
            let base = scope.select_visible::<customer::Entity>().filter(customer::Column::PooledAt.is_null());
            let counts = crate::conditions::sql::count_each(db, base, conditions).await?;
            out.extend(counts.into_iter().map(|(p, n)| (PackSize(p), n)));
        }
        Ok(out)
    }
}

#[derive(SimpleObject)]
pub struct CustomerSegment {
    pub id: ID,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

fn segment(s: customer_segment::Model) -> CustomerSegment {
    CustomerSegment { id: id(s.id), name: s.name, created_at: s.created_at }
}

pub struct CrowdPack(pub crowd_pack::Model);

#[Object]
impl CrowdPack {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> PackKind {
        PackKind::parse(&self.0.kind)
    }
    async fn segment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CustomerSegment>> {
        Ok(rows(ctx).load_one(RowById::<customer_segment::Entity>::new(self.0.segment_id)).await?.map(segment))
    }
    /// The tree as written (`conditionCatalogue(subject: CUSTOMER)`).
    async fn conditions(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.conditions).unwrap_or_default())
    }
    /// Its customers the caller may see, outside the public pool: a STATIC
    /// pack's members, a DYNAMIC pack's matches right now.
    async fn customer_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(PackSize(self.0.id)).await?.unwrap_or(0))
    }
    /// Those customers, newest add first (with the customer list's permission).
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn customers(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<Customer>> {
        let page = Page::new(first, after)?;
        let select = service::members(ctx.db(), ctx.scope()?, &self.0, ctx.state().clock.now()).await?;
        let (found, total) = fetch_page(ctx.db(), select, page).await?;
        Ok(connection(page, total, found.into_iter().map(Customer).collect()))
    }
    /// Its portrait (OPS-11).
    async fn portrait(&self) -> CrowdPackPortrait {
        CrowdPackPortrait(self.0.clone())
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

#[derive(SimpleObject)]
pub struct GenderShare {
    pub gender: Gender,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct TagShare {
    pub tag: CorpTag,
    /// The pack's customers carrying it.
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct TrendPoint {
    /// A China day.
    pub date: NaiveDate,
    /// The pack's customers carrying the tag at its end.
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct TagTrend {
    pub tag: CorpTag,
    pub points: Vec<TrendPoint>,
}

/// What a pack's customers (those the caller may see) look like.
pub struct CrowdPackPortrait(crowd_pack::Model);

impl CrowdPackPortrait {
    async fn members(&self, ctx: &Context<'_>) -> AppResult<sea_orm::sea_query::SelectStatement> {
        service::member_ids(ctx.db(), ctx.scope()?, &self.0, ctx.state().clock.now()).await
    }
}

/// The corp's tags among `ids`, by id.
async fn tags_by_id(ctx: &Context<'_>, ids: impl IntoIterator<Item = i64>) -> AppResult<HashMap<i64, corp_tag::Model>> {
    let found = ctx.scope()?.select::<corp_tag::Entity>().filter(corp_tag::Column::Id.is_in(ids)).all(ctx.db()).await?;
    Ok(found.into_iter().map(|t| (t.id, t)).collect())
}

async fn with_tags(ctx: &Context<'_>, counts: Vec<(i64, i64)>) -> async_graphql::Result<Vec<TagShare>> {
    let tags = tags_by_id(ctx, counts.iter().map(|(t, _)| *t)).await?;
    Ok(counts.into_iter().filter_map(|(t, n)| Some(TagShare { tag: tag(tags.get(&t)?.clone()), count: n })).collect())
}

#[Object]
impl CrowdPackPortrait {
    /// Customers by gender (genders with none left out).
    async fn genders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GenderShare>> {
        let found = portrait::genders(ctx.db(), ctx.scope()?, self.members(ctx).await?).await?;
        let gender = |g: i32| match g {
            1 => Gender::Male,
            2 => Gender::Female,
            _ => Gender::Unknown,
        };
        Ok(found.into_iter().map(|(g, n)| GenderShare { gender: gender(g), count: n }).collect())
    }
    /// Customers carrying each of these tags (tag distribution), most first.
    async fn tag_distribution(&self, ctx: &Context<'_>, tag_ids: Vec<ID>) -> async_graphql::Result<Vec<TagShare>> {
        let wanted = parse_ids(&tag_ids, "tagIds")?;
        if wanted.is_empty() || wanted.len() > 100 {
            return Err(AppError::bad_input("tagIds", DISTRIBUTION_TAGS_INVALID).into());
        }
        let counts = portrait::tag_counts(ctx.db(), ctx.scope()?, self.members(ctx).await?, &wanted, 100).await?;
        with_tags(ctx, counts).await
    }
    /// The tags most carried (tag cloud), most first.
    async fn tag_cloud(&self, ctx: &Context<'_>, #[graphql(default = 30)] limit: u32) -> async_graphql::Result<Vec<TagShare>> {
        let counts = portrait::tag_counts(ctx.db(), ctx.scope()?, self.members(ctx).await?, &[], u64::from(limit.clamp(1, 100))).await?;
        with_tags(ctx, counts).await
    }
    /// For 1–10 tags, customers carrying each at the end of each of the last
    /// `days` China days (default 30, at most 90), oldest first.
    async fn tag_trend(
        &self,
        ctx: &Context<'_>,
        tag_ids: Vec<ID>,
        #[graphql(default = 30)] days: u32,
    ) -> async_graphql::Result<Vec<TagTrend>> {
        let wanted = parse_ids(&tag_ids, "tagIds")?;
        if wanted.is_empty() || wanted.len() > 10 {
            return Err(AppError::bad_input("tagIds", TREND_TAGS_INVALID).into());
        }
        if !(1..=90).contains(&days) {
            return Err(AppError::bad_input("days", DAYS_INVALID).into());
        }
        let scope = ctx.scope()?;
        let tags = tags_by_id(ctx, wanted.iter().copied()).await?;
        if tags.len() != wanted.iter().collect::<std::collections::BTreeSet<_>>().len() {
            return Err(AppError::not_found().with_field("tagIds").into());
        }
        let series = portrait::tag_trend(ctx.db(), scope, self.members(ctx).await?, &wanted, days, ctx.state().clock.now()).await?;
        Ok(series
            .into_iter()
            .filter_map(|(t, points)| {
                Some(TagTrend {
                    tag: tag(tags.get(&t)?.clone()),
                    points: points.into_iter().map(|(date, count)| TrendPoint { date, count }).collect(),
                })
            })
            .collect())
    }
}

#[derive(InputObject)]
pub struct CrowdPackInput {
    pub segment_id: ID,
    /// 1–30 characters, unique in the corp.
    pub name: String,
    pub kind: PackKind,
    /// Required: at least one condition.
    pub conditions: ConditionTreeInput,
}

#[derive(InputObject)]
pub struct CrowdPackEditInput {
    pub segment_id: ID,
    pub name: String,
    /// DYNAMIC packs only; absent keeps the conditions.
    pub conditions: Option<ConditionTreeInput>,
}

#[derive(InputObject, Default)]
pub struct CrowdPackFilter {
    pub segment_id: Option<ID>,
    /// Substring of the name.
    pub name: Option<String>,
    pub kind: Option<PackKind>,
}

#[derive(Default)]
pub struct SegmentQuery;

#[Object]
impl SegmentQuery {
    /// Customer segments (客户分组), oldest first.
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_VIEW)")]
    async fn customer_segments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomerSegment>> {
        Ok(service::segments(ctx.db(), ctx.scope()?).await?.into_iter().map(segment).collect())
    }

    /// Crowd packs, newest first.
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn crowd_packs(
        &self,
        ctx: &Context<'_>,
        filter: Option<CrowdPackFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<CrowdPack>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let parsed = PackFilter {
            segment_id: f.segment_id.as_ref().map(|s| parse_id(s, "filter.segmentId")).transpose()?,
            name: f.name,
            kind: f.kind,
        };
        let (found, total) = fetch_page(ctx.db(), service::packs(ctx.scope()?, &parsed), page).await?;
        Ok(connection(page, total, found.into_iter().map(CrowdPack).collect()))
    }

    #[graphql(guard = "Perm(perm::OPS_SEGMENT_VIEW)")]
    async fn crowd_pack(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CrowdPack> {
        Ok(CrowdPack(ctx.scope()?.get::<crowd_pack::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct SegmentMutation;

#[Object]
impl SegmentMutation {
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn create_customer_segment(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<CustomerSegment> {
        Ok(segment(service::create_segment(ctx.db(), ctx.scope()?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn rename_customer_segment(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<CustomerSegment> {
        Ok(segment(service::rename_segment(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name).await?))
    }

    /// Deletes an empty segment (one holding packs: CONFLICT `SEGMENT_NOT_EMPTY`).
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn delete_customer_segment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete_segment(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Makes a pack: a STATIC one is filled at once with the customers the
    /// caller sees that match now; a DYNAMIC one matches on every read.
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn create_crowd_pack(&self, ctx: &Context<'_>, input: CrowdPackInput) -> async_graphql::Result<CrowdPack> {
        let parsed = PackInput {
            segment_id: parse_id(&input.segment_id, "input.segmentId")?,
            name: input.name,
            kind: input.kind,
            conditions: input.conditions.into_raw(),
        };
        Ok(CrowdPack(service::create_pack(ctx.db(), ctx.scope()?, &parsed, ctx.state().clock.now()).await?))
    }

    /// Renames or moves a pack; a DYNAMIC pack's conditions may change too.
    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn update_crowd_pack(&self, ctx: &Context<'_>, id: ID, input: CrowdPackEditInput) -> async_graphql::Result<CrowdPack> {
        let edit = PackEdit {
            segment_id: parse_id(&input.segment_id, "input.segmentId")?,
            name: input.name,
            conditions: input.conditions.map(ConditionTreeInput::into_raw),
        };
        Ok(CrowdPack(service::update_pack(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &edit).await?))
    }

    #[graphql(guard = "Perm(perm::OPS_SEGMENT_MANAGE)")]
    async fn delete_crowd_pack(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete_pack(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
