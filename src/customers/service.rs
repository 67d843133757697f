//! The customer list, detail and edits (CUS-2, CUS-3, CUS-4).

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, Select,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::timeline::{self, EventKind, NewEvent};
use crate::{
    conditions::{catalogue, Cond, Join, Node, Op, Operand, RawTree, Subject, Tree},
    custom_fields::{conditions, service as fields, FieldCondition, FieldEntity},
    error::{msg, AppError, AppResult, Msg},
    ports::deletion::DeletionGuard,
    tenancy::Scope,
};
use entity::{customer, customer_follow};

pub const OWNER_NOT_ADDER: Msg = Msg::new("OWNER_NOT_ADDER", "跟进人只能从添加人中选择", "The owner must be one of the customer's adders");
const COMPANY_WECHAT_ONLY: Msg = Msg::new(
    "COMPANY_WECHAT_ONLY",
    "企业微信客户的企业名称来自企业微信，不可编辑",
    "A WeCom customer's company comes from WeCom and cannot be edited",
);
const TOO_LONG: Msg = Msg::new("CONTENT_TOO_LONG", "内容过长", "Too long");
const BIRTHDAY_INVALID: Msg =
    Msg::new("CUSTOMER_BIRTHDAY_INVALID", "生日需在1900年至今天之间", "A birthday must fall between 1900 and today");

/// WeCom's `type`: 1 WeChat user, 2 WeCom user.
pub const KIND_WECHAT: i32 = 1;
pub const KIND_WECOM: i32 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum CustomerOrder {
    /// Add time of the first adder, newest first (the default).
    #[default]
    AddedAtDesc,
    AddedAtAsc,
    /// Last communication, most recent first; never-contacted last.
    LastContactAtDesc,
    LastContactAtAsc,
}

/// Whether the customer still has an adder (SPEC leaves the status values open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[graphql(name = "CustomerStatus")]
pub enum Status {
    /// At least one employee still has the customer as a friend.
    Active,
    /// Every follow relation has ended (the customer is in the recycle bin).
    Lost,
}

/// The list's filter; every condition combines with AND.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CustomerQuery {
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub status: Option<Status>,
    pub kind: Option<i32>,
    pub owner_ids: Vec<i64>,
    pub adder_ids: Vec<i64>,
    pub adder_count_min: Option<i32>,
    pub adder_count_max: Option<i32>,
    pub added_from: Option<DateTime<Utc>>,
    pub added_to: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub tags_any: Vec<i64>,
    pub tags_all: Vec<i64>,
    pub tags_none: Vec<i64>,
    pub conditions: Vec<FieldCondition>,
    /// A tree of the condition engine (`crate::conditions`), AND-ed with the rest.
    pub tree: Option<RawTree>,
    /// What WITHIN_DAYS and NOT_WITHIN_DAYS count back from (the app's clock).
    pub now: DateTime<Utc>,
    pub order: CustomerOrder,
}

fn system_column(name: &str) -> Option<customer::Column> {
    Some(match name {
        "NAME" => customer::Column::Name,
        "MOBILE" => customer::Column::Mobile,
        "CHANNEL" => customer::Column::Channel,
        "POSITION" => customer::Column::Position,
        "CORP_NAME" => customer::Column::CorpName,
        "COMPANY_NAME" => customer::Column::CompanyName,
        "EXTERNAL_USERID" => customer::Column::ExternalUserid,
        _ => return None,
    })
}

impl CustomerQuery {
    /// The flat arguments as a tree of the condition engine, so the list
    /// selects exactly as rules and packs do. Its values come typed from the
    /// API, so it is built checked (a long tag list is no tree's limit here).
    pub fn flat_tree(&self) -> Tree {
        let mut items = Vec::new();
        let mut add = |name: &str, op: Op, operand: Operand| {
            if let Some(field) = catalogue::find(Subject::Customer, name) {
                items.push(Node::Cond(Cond { field, op, operand }));
            }
        };
        let text = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        // Substrings are literal and case-sensitive, on both databases.
        if let Some(n) = text(&self.name) {
            add("name", Op::Contains, Operand::Text(n));
        }
        if let Some(m) = text(&self.mobile) {
            add("mobile", Op::Contains, Operand::Text(m));
        }
        match self.status {
            Some(Status::Active) => add("adderCount", Op::Gt, Operand::Int(0)),
            Some(Status::Lost) => add("adderCount", Op::Eq, Operand::Int(0)),
            None => {}
        }
        if let Some(k) = self.kind {
            // The stored number itself (WeCom's 1 or 2), as the choice compiles.
            add("kind", Op::In, Operand::Ints(vec![k.into()]));
        }
        if !self.owner_ids.is_empty() {
            add("owner", Op::In, Operand::Ints(self.owner_ids.clone()));
        }
        if !self.adder_ids.is_empty() {
            add("adders", Op::HasAny, Operand::Ints(self.adder_ids.clone()));
        }
        if let Some(n) = self.adder_count_min {
            add("adderCount", Op::Gte, Operand::Int(n.into()));
        }
        if let Some(n) = self.adder_count_max {
            add("adderCount", Op::Lte, Operand::Int(n.into()));
        }
        if let Some(t) = self.added_from {
            add("addedAt", Op::Gte, Operand::Time(t));
        }
        if let Some(t) = self.added_to {
            add("addedAt", Op::Lte, Operand::Time(t));
        }
        if let Some(c) = self.channel.as_deref().filter(|c| !c.is_empty()) {
            add("channel", Op::Eq, Operand::Text(c.to_string()));
        }
        for (tags, op) in [(&self.tags_any, Op::HasAny), (&self.tags_all, Op::HasAll), (&self.tags_none, Op::HasNone)] {
            if !tags.is_empty() {
                add("tags", op, Operand::Ints(tags.clone()));
            }
        }
        Tree { join: Join::All, items }
    }

    pub async fn condition(&self, db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Condition> {
        let mut cond = crate::conditions::sql::condition(scope, db.get_database_backend(), &self.flat_tree(), self.now);
        cond =
            cond.add(conditions::compile(db, scope, FieldEntity::Customer, customer::Column::Id, &self.conditions, system_column).await?);
        if let Some(raw) = &self.tree {
            cond = cond.add(crate::conditions::sql::customer_condition(db, scope, raw, "filter.tree", self.now).await?);
        }
        Ok(cond)
    }
}

const IN_POOL: Msg = Msg::new("CUSTOMER_IN_POOL", "公海客户仅支持查看，请先领取", "The customer is in the public pool: claim it first");

/// Refuses changes to a customer sitting in the public pool (CRM-6: read-only there).
pub fn not_pooled(c: &customer::Model) -> AppResult<()> {
    match c.pooled_at {
        Some(_) => Err(AppError::conflict(IN_POOL)),
        None => Ok(()),
    }
}

/// Visible customers matching the filter, in no order; those sitting in
/// the public pool are listed there instead.
pub async fn matching(db: &impl ConnectionTrait, scope: &Scope, q: &CustomerQuery) -> AppResult<Select<customer::Entity>> {
    Ok(scope.select_visible::<customer::Entity>().filter(customer::Column::PooledAt.is_null()).filter(q.condition(db, scope).await?))
}

/// [`matching`] in the requested order (id breaks ties).
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, q: &CustomerQuery) -> AppResult<Select<customer::Entity>> {
    let select = matching(db, scope, q).await?;
    let nulls_last = |col: customer::Column| Expr::col((customer::Entity, col)).is_null();
    Ok(match q.order {
        // The add time is set whenever follow relations are written, so the
        // default order reads straight off (corp_id, first_added_at, id).
        CustomerOrder::AddedAtDesc => select.order_by_desc(customer::Column::FirstAddedAt).order_by_desc(customer::Column::Id),
        CustomerOrder::AddedAtAsc => select.order_by_asc(customer::Column::FirstAddedAt).order_by_asc(customer::Column::Id),
        CustomerOrder::LastContactAtDesc => select
            .order_by_asc(nulls_last(customer::Column::LastContactAt))
            .order_by_desc(customer::Column::LastContactAt)
            .order_by_desc(customer::Column::Id),
        CustomerOrder::LastContactAtAsc => select
            .order_by_asc(nulls_last(customer::Column::LastContactAt))
            .order_by_asc(customer::Column::LastContactAt)
            .order_by_asc(customer::Column::Id),
    })
}

/// The customer by WeCom's external userid, if visible (the sidebar's entry point).
pub async fn by_external_userid(db: &impl ConnectionTrait, scope: &Scope, external_userid: &str) -> AppResult<customer::Model> {
    scope
        .select_visible::<customer::Entity>()
        .filter(customer::Column::ExternalUserid.eq(external_userid))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Editable fields (CUS-3): `None` leaves a field, `Some(None)` clears it.
pub struct CustomerEdit {
    pub mobile: Option<Option<String>>,
    pub channel: Option<Option<String>>,
    /// WeChat customers only; a WeCom customer's company comes from WeCom.
    pub company_name: Option<Option<String>>,
    /// One of the current adders.
    pub owner_id: Option<i64>,
    pub birthday: Option<Option<chrono::NaiveDate>>,
    /// Today's China date by the app's clock: no birthday may come after it.
    pub today: chrono::NaiveDate,
    pub custom_fields: Vec<(i64, Option<Value>)>,
}

fn short(field: &str, v: Option<String>, max: usize) -> AppResult<Option<String>> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::bad_input(field, TOO_LONG));
    }
    Ok(v)
}

/// Applies an edit in one transaction; an owner change also lands on the timeline.
pub async fn update(db: &DatabaseConnection, scope: &Scope, id: i64, edit: CustomerEdit) -> AppResult<customer::Model> {
    let txn = crate::db::write_txn(db).await?;
    let c = scope.get_visible::<customer::Entity>(&txn, id).await?;
    not_pooled(&c)?;
    let mut am: customer::ActiveModel = c.clone().into();
    if let Some(m) = edit.mobile {
        am.mobile = Set(short("mobile", m, 32)?);
    }
    if let Some(ch) = edit.channel {
        am.channel = Set(short("channel", ch, 64)?);
    }
    if let Some(name) = edit.company_name {
        if c.contact_type == KIND_WECOM {
            return Err(AppError::bad_input("companyName", COMPANY_WECHAT_ONLY));
        }
        am.company_name = Set(short("companyName", name, 64)?);
    }
    if let Some(birthday) = edit.birthday {
        if birthday.is_some_and(|b| chrono::Datelike::year(&b) < 1900 || b > edit.today) {
            return Err(AppError::bad_input("birthday", BIRTHDAY_INVALID));
        }
        am.birthday = Set(birthday);
    }
    if let Some(owner) = edit.owner_id.filter(|o| Some(*o) != c.owner_id) {
        let is_adder = scope
            .select::<customer_follow::Entity>()
            .filter(customer_follow::Column::CustomerId.eq(id))
            .filter(customer_follow::Column::EmployeeId.eq(owner))
            .one(&txn)
            .await?
            .is_some();
        if !is_adder {
            return Err(AppError::bad_input("ownerId", OWNER_NOT_ADDER));
        }
        am.owner_id = Set(Some(owner));
        timeline::append(
            &txn,
            scope,
            vec![NewEvent::new(id, EventKind::OwnerChanged, Utc::now())
                .by(scope.employee_id())
                .with(json!({"from": c.owner_id, "to": owner}))],
        )
        .await?;
    }
    am.updated_at = Set(Utc::now());
    let saved = scope.update(&txn, am).await?;
    fields::write_values(&txn, scope, FieldEntity::Customer, id, &edit.custom_fields, false).await?;
    crate::smart_tags::pending::mark_changed(&txn, scope, &[id]).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Refuses to delete an employee who still owns customers (ORG: "该员工下有跟进的客户…").
pub struct OwnedCustomersGuard;

#[async_trait::async_trait]
impl DeletionGuard for OwnedCustomersGuard {
    async fn check(&self, db: &DatabaseConnection, scope: &Scope, employee_id: i64) -> AppResult<()> {
        let owned = scope.select::<entity::customer::Entity>().filter(entity::customer::Column::OwnerId.eq(employee_id)).count(db).await?;
        if owned > 0 {
            return Err(AppError::conflict(msg::EMPLOYEE_HAS_CUSTOMERS));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flat argument becomes a condition: a catalogue name gone
    /// missing would drop its filter silently, and lists would widen.
    #[test]
    fn every_flat_argument_becomes_a_condition() {
        let q = CustomerQuery {
            name: Some("张".into()),
            mobile: Some("138".into()),
            status: Some(Status::Active),
            kind: Some(KIND_WECOM),
            owner_ids: vec![1],
            adder_ids: vec![2],
            adder_count_min: Some(1),
            adder_count_max: Some(3),
            added_from: Some(Utc::now()),
            added_to: Some(Utc::now()),
            channel: Some("展会".into()),
            tags_any: vec![4],
            tags_all: vec![5],
            tags_none: vec![6],
            ..Default::default()
        };
        assert_eq!(q.flat_tree().items.len(), 14);
        assert!(CustomerQuery::default().flat_tree().items.is_empty());
    }
}
