//! Customer segments and crowd packs (OPS-9, OPS-10). A pack's customers are
//! always the caller's visible ones outside the public pool: a STATIC pack's
//! frozen members (the creator's matches when it was made), or a DYNAMIC
//! pack's live matches of its tree.

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use crate::{
    conditions::{self, RawTree, Tree},
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{crowd_pack, crowd_pack_member, customer, customer_segment};

const SEGMENT_NAME_INVALID: Msg = Msg::new("SEGMENT_NAME_INVALID", "分组名称为1-20个字", "Segment names must be 1-20 characters");
const SEGMENT_NAME_TAKEN: Msg = Msg::new("SEGMENT_NAME_TAKEN", "分组名称已存在", "A segment with this name already exists");
const SEGMENT_NOT_EMPTY: Msg =
    Msg::new("SEGMENT_NOT_EMPTY", "该分组下有人群组包，请先删除或移出组包", "The segment holds crowd packs: delete or move them first");
const PACK_NAME_INVALID: Msg = Msg::new("CROWD_PACK_NAME_INVALID", "组包名称为1-30个字", "Crowd pack names must be 1-30 characters");
const PACK_NAME_TAKEN: Msg = Msg::new("CROWD_PACK_NAME_TAKEN", "组包名称已存在", "A crowd pack with this name already exists");
const PACK_CONDITIONS_REQUIRED: Msg = Msg::new("CROWD_PACK_CONDITIONS_REQUIRED", "请设置组包条件", "Set the pack's conditions");
const PACK_FROZEN: Msg = Msg::new(
    "CROWD_PACK_STATIC_FROZEN",
    "静态组包的成员在创建时已固定，不能修改条件",
    "A static pack's members were fixed when it was made: its conditions cannot change",
);

/// How a pack keeps its members.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "CrowdPackKind")]
pub enum PackKind {
    /// Fixed when the pack was made.
    Static,
    /// Its conditions' matches, re-evaluated on every read.
    Dynamic,
}

impl PackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PackKind::Static => "STATIC",
            PackKind::Dynamic => "DYNAMIC",
        }
    }
    pub fn parse(s: &str) -> PackKind {
        if s == "STATIC" {
            PackKind::Static
        } else {
            PackKind::Dynamic
        }
    }
}

fn name(raw: &str, max: usize, field: &str, msg: Msg) -> AppResult<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > max {
        return Err(AppError::bad_input(field, msg));
    }
    Ok(n.to_string())
}

pub async fn segments(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<customer_segment::Model>> {
    Ok(scope.select::<customer_segment::Entity>().order_by_asc(customer_segment::Column::Id).all(db).await?)
}

pub async fn create_segment(db: &impl ConnectionTrait, scope: &Scope, raw: &str) -> AppResult<customer_segment::Model> {
    let now = Utc::now();
    let mut am = customer_segment::ActiveModel {
        name: Set(name(raw, 20, "name", SEGMENT_NAME_INVALID)?),
        created_by: Set(scope.employee_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    sea_orm::ActiveModelTrait::insert(am, db).await.map_err(|e| AppError::on_unique(e, SEGMENT_NAME_TAKEN, "name"))
}

pub async fn rename_segment(db: &impl ConnectionTrait, scope: &Scope, id: i64, raw: &str) -> AppResult<customer_segment::Model> {
    let n = name(raw, 20, "name", SEGMENT_NAME_INVALID)?;
    scope.get::<customer_segment::Entity>(db, id).await?;
    sea_orm::EntityTrait::update(customer_segment::ActiveModel {
        id: Set(id),
        name: Set(n),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .validate()?
    .filter(customer_segment::Column::CorpId.eq(scope.corp_id()))
    .exec(db)
    .await
    .map_err(|e| AppError::on_unique(e, SEGMENT_NAME_TAKEN, "name"))
}

/// Deletes an empty segment (the database refuses one that holds packs).
pub async fn delete_segment(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<customer_segment::Entity>(db, id).await?;
    scope.delete_by_id::<customer_segment::Entity>(db, id, SEGMENT_NOT_EMPTY).await
}

pub struct PackInput {
    pub segment_id: i64,
    pub name: String,
    pub kind: PackKind,
    pub conditions: RawTree,
}

async fn checked_tree(db: &impl ConnectionTrait, scope: &Scope, raw: &RawTree) -> AppResult<Tree> {
    if raw.items.is_empty() {
        return Err(AppError::bad_input("input.conditions.items", PACK_CONDITIONS_REQUIRED));
    }
    conditions::sql::checked_customer_tree(db, scope, raw, "input.conditions").await
}

/// The customers a caller may count in packs: visible, outside the pool.
fn visible(scope: &Scope) -> Select<customer::Entity> {
    scope.select_visible::<customer::Entity>().filter(customer::Column::PooledAt.is_null())
}

/// Makes a pack; a STATIC one takes the caller's current matches as its
/// members in the same statement that reads them.
pub async fn create_pack(
    db: &DatabaseConnection,
    scope: &Scope,
    input: &PackInput,
    now: chrono::DateTime<Utc>,
) -> AppResult<crowd_pack::Model> {
    let n = name(&input.name, 30, "input.name", PACK_NAME_INVALID)?;
    scope.get::<customer_segment::Entity>(db, input.segment_id).await.map_err(|e| e.with_field("input.segmentId"))?;
    let tree = checked_tree(db, scope, &input.conditions).await?;
    let txn = crate::db::write_txn(db).await?;
    let mut am = crowd_pack::ActiveModel {
        segment_id: Set(input.segment_id),
        name: Set(n),
        kind: Set(input.kind.as_str().into()),
        conditions: Set(serde_json::to_string(&input.conditions).map_err(AppError::internal)?),
        created_by: Set(scope.employee_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    let pack = sea_orm::ActiveModelTrait::insert(am, &txn).await.map_err(|e| AppError::on_unique(e, PACK_NAME_TAKEN, "input.name"))?;
    if input.kind == PackKind::Static {
        let matches = visible(scope)
            .select_only()
            .expr(Expr::val(scope.corp_id()))
            .expr(Expr::val(pack.id))
            .column(customer::Column::Id)
            .filter(conditions::sql::condition(scope, txn.get_database_backend(), &tree, now))
            .into_query();
        let insert = Query::insert()
            .into_table(crowd_pack_member::Entity)
            .columns([crowd_pack_member::Column::CorpId, crowd_pack_member::Column::PackId, crowd_pack_member::Column::CustomerId])
            .select_from(matches)
            .map_err(AppError::internal)?
            .to_owned();
        txn.execute(&insert).await?;
    }
    txn.commit().await?;
    Ok(pack)
}

pub struct PackEdit {
    pub name: String,
    pub segment_id: i64,
    /// DYNAMIC packs only.
    pub conditions: Option<RawTree>,
}

pub async fn update_pack(db: &impl ConnectionTrait, scope: &Scope, id: i64, edit: &PackEdit) -> AppResult<crowd_pack::Model> {
    let pack = scope.get::<crowd_pack::Entity>(db, id).await?;
    let n = name(&edit.name, 30, "input.name", PACK_NAME_INVALID)?;
    scope.get::<customer_segment::Entity>(db, edit.segment_id).await.map_err(|e| e.with_field("input.segmentId"))?;
    let mut am = crowd_pack::ActiveModel {
        id: Set(id),
        name: Set(n),
        segment_id: Set(edit.segment_id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(raw) = &edit.conditions {
        if PackKind::parse(&pack.kind) == PackKind::Static {
            return Err(AppError::bad_input("input.conditions", PACK_FROZEN));
        }
        checked_tree(db, scope, raw).await?;
        am.conditions = Set(serde_json::to_string(raw).map_err(AppError::internal)?);
    }
    sea_orm::EntityTrait::update(am)
        .validate()?
        .filter(crowd_pack::Column::CorpId.eq(scope.corp_id()))
        .exec(db)
        .await
        .map_err(|e| AppError::on_unique(e, PACK_NAME_TAKEN, "input.name"))
}

pub async fn delete_pack(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<crowd_pack::Entity>(db, id).await?;
    scope.delete_many::<crowd_pack::Entity>().filter(crowd_pack::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The list's filter.
#[derive(Clone, Debug, Default)]
pub struct PackFilter {
    pub segment_id: Option<i64>,
    pub name: Option<String>,
    pub kind: Option<PackKind>,
}

pub fn packs(scope: &Scope, f: &PackFilter) -> Select<crowd_pack::Entity> {
    let mut q = scope.select::<crowd_pack::Entity>();
    if let Some(s) = f.segment_id {
        q = q.filter(crowd_pack::Column::SegmentId.eq(s));
    }
    if let Some(n) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        q = q.filter(crowd_pack::Column::Name.contains(n));
    }
    if let Some(k) = f.kind {
        q = q.filter(crowd_pack::Column::Kind.eq(k.as_str()));
    }
    q.order_by_desc(crowd_pack::Column::CreatedAt).order_by_desc(crowd_pack::Column::Id)
}

/// What selects a pack's customers among the visible ones outside the pool;
/// `tree` is a DYNAMIC pack's checked tree, `None` when it no longer checks
/// (a custom field since disabled): then the pack selects nobody.
pub fn member_condition(
    scope: &Scope,
    backend: DbBackend,
    pack: &crowd_pack::Model,
    tree: Option<&Tree>,
    now: chrono::DateTime<Utc>,
) -> Condition {
    match (PackKind::parse(&pack.kind), tree) {
        (PackKind::Static, _) => {
            let members = scope
                .subquery::<crowd_pack_member::Entity>(crowd_pack_member::Column::CustomerId)
                .and_where(crowd_pack_member::Column::PackId.eq(pack.id))
                .to_owned();
            Condition::all().add(customer::Column::Id.in_subquery(members))
        }
        (PackKind::Dynamic, Some(tree)) => conditions::sql::condition(scope, backend, tree, now),
        // Nothing rather than everyone.
        (PackKind::Dynamic, None) => Condition::all().add(Expr::val(1).eq(0)),
    }
}

/// A pack's stored tree, checked against the corp's custom fields now.
pub async fn tree_of(db: &impl ConnectionTrait, scope: &Scope, pack: &crowd_pack::Model) -> AppResult<Option<Tree>> {
    if PackKind::parse(&pack.kind) == PackKind::Static {
        return Ok(None);
    }
    let raw: RawTree = serde_json::from_str(&pack.conditions).map_err(AppError::internal)?;
    Ok(conditions::sql::checked_customer_tree(db, scope, &raw, "conditions").await.ok())
}

/// [`tree_of`] for many packs, against custom fields read once.
pub async fn trees_of(db: &impl ConnectionTrait, scope: &Scope, packs: &[&crowd_pack::Model]) -> AppResult<Vec<Option<Tree>>> {
    let raws: Vec<RawTree> =
        packs.iter().map(|p| serde_json::from_str(&p.conditions).map_err(AppError::internal)).collect::<AppResult<_>>()?;
    let custom = conditions::sql::custom_fields_for(db, scope, conditions::Subject::Customer, &raws.iter().collect::<Vec<_>>()).await?;
    Ok(raws.iter().map(|raw| conditions::check(conditions::Subject::Customer, raw, "conditions", &custom).ok()).collect())
}

/// The pack's customers the caller may see, newest add first.
pub async fn members(
    db: &impl ConnectionTrait,
    scope: &Scope,
    pack: &crowd_pack::Model,
    now: chrono::DateTime<Utc>,
) -> AppResult<Select<customer::Entity>> {
    let tree = tree_of(db, scope, pack).await?;
    Ok(visible(scope)
        .filter(member_condition(scope, db.get_database_backend(), pack, tree.as_ref(), now))
        .order_by_desc(customer::Column::FirstAddedAt)
        .order_by_desc(customer::Column::Id))
}

/// The ids of the pack's customers the caller may see, as a subquery.
pub async fn member_ids(
    db: &impl ConnectionTrait,
    scope: &Scope,
    pack: &crowd_pack::Model,
    now: chrono::DateTime<Utc>,
) -> AppResult<SelectStatement> {
    let tree = tree_of(db, scope, pack).await?;
    Ok(visible(scope)
        .select_only()
        .column(customer::Column::Id)
        .filter(member_condition(scope, db.get_database_backend(), pack, tree.as_ref(), now))
        .into_query())
}
