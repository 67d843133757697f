//! `Scope` and the tenant-table traits it works over.

use sea_orm::{
    sea_query::IntoCondition, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, DeleteMany, EntityTrait, IntoActiveModel,
    PrimaryKeyTrait, QueryFilter, Select, UpdateMany,
};

use super::visibility::Visibility;
use crate::error::{AppError, AppResult};

/// A tenant table: its rows belong to exactly one corp.
pub trait TenantEntity: EntityTrait {
    fn corp_column() -> Self::Column;
}

/// Insert-side half of [`TenantEntity`]: lets the scope stamp the corp.
pub trait TenantActiveModel: ActiveModelTrait {
    fn stamp_corp(&mut self, corp_id: i64);
}

/// Rows the caller's data scope filters. Most are attributed to one employee
/// (owner, creator, the employee itself); customers are visible through any
/// of their adders or their owner.
pub trait EmployeeScoped: TenantEntity {
    /// The data-scope condition for this table.
    fn visible(scope: &Scope) -> Condition;
}

macro_rules! tenant_entity {
    ($($m:ident),* $(,)?) => {$(
        impl TenantEntity for entity::$m::Entity {
            fn corp_column() -> Self::Column { entity::$m::Column::CorpId }
        }
        impl TenantActiveModel for entity::$m::ActiveModel {
            fn stamp_corp(&mut self, corp_id: i64) { self.corp_id = sea_orm::ActiveValue::Set(corp_id); }
        }
    )*};
}

tenant_entity!(
    department,
    employee,
    employee_department,
    employee_role,
    role,
    role_department,
    employee_tag,
    employee_tag_member,
    custom_field,
    custom_field_value,
    session,
    wecom_binding,
    wecom_inbox,
    customer,
    customer_follow,
    corp_tag_group,
    corp_tag,
    customer_group,
    group_member,
    internal_group,
    follow_tag,
    customer_event,
    follow_up_type,
    follow_up,
    customer_loss,
    record_template,
    record_template_field,
    record_template_scope,
    business_record,
    work_order,
    unassigned_customer,
    inheritance,
    allocation_rule,
    group_tag_group,
    group_tag,
    customer_group_tag,
    employee_preference,
    stored_file,
    group_activity_rule,
    corp_setting,
    alert,
    alert_recipient,
    chat_message,
    chat_thread,
    chat_conversation,
    reply_timeout,
    work_calendar,
    sensitive_rule,
    sensitive_hit,
    sensitive_behavior,
    material_category,
    knowledge_item,
    knowledge_attachment,
    folder_item,
    marketing_material,
    marketing_audience,
    marketing_tag_rule,
    radar_visitor,
    radar_share,
    radar_viewer,
    radar_visit,
    form_submission,
    data_transfer,
    lead,
    lead_tag,
    lead_event,
    lead_rule,
    pool_group,
    pool_reason,
    opportunity_stage,
    lose_reason,
    opportunity,
    opportunity_event,
    industry,
    company,
    smart_tag_rule,
    smart_tag_rule_tag,
    smart_tag_hit,
    smart_tag_pending,
    smart_tag_rule_group_tag,
    smart_tag_group_hit,
    customer_segment,
    crowd_pack,
    crowd_pack_member,
    oa_account,
    oa_account_department,
    oa_follower,
    oa_event,
);

// Jobs are a platform table whose tenant column is nullable: tenant reads
// still filter on it, and tenant inserts stamp it.
impl TenantEntity for entity::job::Entity {
    fn corp_column() -> Self::Column {
        entity::job::Column::CorpId
    }
}

impl EmployeeScoped for entity::employee::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::employee::Column::Id)
    }
}

/// A customer is visible when its owner or any adder is in the caller's scope (CUS-2).
impl EmployeeScoped for entity::customer::Entity {
    fn visible(scope: &Scope) -> Condition {
        use entity::{customer, customer_follow};
        if matches!(scope.visibility, Visibility::All) {
            return Condition::all();
        }
        let adders = scope
            .subquery::<customer_follow::Entity>(customer_follow::Column::CustomerId)
            .cond_where(scope.visible_employees(customer_follow::Column::EmployeeId))
            .to_owned();
        Condition::any().add(scope.visible_employees(customer::Column::OwnerId)).add(customer::Column::Id.in_subquery(adders))
    }
}

/// A lead is visible through the employee it is assigned to, or, while it
/// is unassigned, through the employee who created it (CRM-1).
impl EmployeeScoped for entity::lead::Entity {
    fn visible(scope: &Scope) -> Condition {
        use entity::lead;
        if matches!(scope.visibility, Visibility::All) {
            return Condition::all();
        }
        Condition::any()
            .add(scope.visible_employees(lead::Column::OwnerId))
            .add(Condition::all().add(lead::Column::OwnerId.is_null()).add(scope.visible_employees(lead::Column::CreatedBy)))
    }
}

/// An opportunity is visible through its owner or its customer.
impl EmployeeScoped for entity::opportunity::Entity {
    fn visible(scope: &Scope) -> Condition {
        use entity::{customer, opportunity};
        if matches!(scope.visibility, Visibility::All) {
            return Condition::all();
        }
        let customers = scope.subquery::<customer::Entity>(customer::Column::Id).cond_where(customer::Entity::visible(scope)).to_owned();
        Condition::any()
            .add(scope.visible_employees(opportunity::Column::OwnerId))
            .add(opportunity::Column::CustomerId.in_subquery(customers))
    }
}

/// A customer group is visible when its owner is in the caller's scope.
impl EmployeeScoped for entity::customer_group::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::customer_group::Column::OwnerId)
    }
}

/// Archived messages belong to their employee side (a group chat's owner).
impl EmployeeScoped for entity::chat_message::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::chat_message::Column::EmployeeId)
    }
}

impl EmployeeScoped for entity::chat_thread::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::chat_thread::Column::EmployeeId)
    }
}

impl EmployeeScoped for entity::chat_conversation::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::chat_conversation::Column::EmployeeId)
    }
}

impl EmployeeScoped for entity::reply_timeout::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::reply_timeout::Column::EmployeeId)
    }
}

/// A sensitive behaviour is visible through the employee who did it.
impl EmployeeScoped for entity::sensitive_behavior::Entity {
    fn visible(scope: &Scope) -> Condition {
        scope.visible_employees(entity::sensitive_behavior::Column::EmployeeId)
    }
}

/// Who is asking, inside which corp, and which rows they may see.
#[derive(Clone, Debug)]
pub struct Scope {
    // Private: a scope is made only by the constructors below, so no code can
    // widen its own tenant or visibility.
    corp_id: i64,
    /// The calling employee; `None` for platform and system work (jobs, sync).
    employee_id: Option<i64>,
    visibility: Visibility,
}

type PkOf<E> = <<E as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType;

impl Scope {
    /// System work on behalf of a corp: all rows of that corp, nothing else.
    pub fn system(corp_id: i64) -> Self {
        Scope { corp_id, employee_id: None, visibility: Visibility::All }
    }

    /// An employee's scope with the visibility their roles give.
    pub fn of_employee(corp_id: i64, employee_id: i64, visibility: Visibility) -> Self {
        Scope { corp_id, employee_id: Some(employee_id), visibility }
    }

    /// An employee who sees the whole corp (a super admin, or set-up work done
    /// in a named employee's name).
    pub fn whole_corp_as(corp_id: i64, employee_id: i64) -> Self {
        Scope { corp_id, employee_id: Some(employee_id), visibility: Visibility::All }
    }

    pub fn corp_id(&self) -> i64 {
        self.corp_id
    }

    /// The calling employee; `None` for system work.
    pub fn employee_id(&self) -> Option<i64> {
        self.employee_id
    }

    pub fn visibility(&self) -> &Visibility {
        &self.visibility
    }

    /// `SELECT column FROM E WHERE corp_id = ?`: the start of every subquery
    /// on a tenant table, so none forgets the tenant filter.
    pub fn subquery<E: TenantEntity>(&self, column: impl sea_orm::sea_query::IntoColumnRef) -> sea_orm::sea_query::SelectStatement {
        sea_orm::sea_query::Query::select().column(column).from(E::default()).and_where(E::corp_column().eq(self.corp_id)).to_owned()
    }

    pub fn tenant_condition<E: TenantEntity>(&self) -> Condition {
        E::corp_column().eq(self.corp_id).into_condition()
    }

    /// Rows of this corp.
    pub fn select<E: TenantEntity>(&self) -> Select<E> {
        E::find().filter(self.tenant_condition::<E>())
    }

    /// Rows of this corp that the caller's data scope lets them see.
    pub fn select_visible<E: EmployeeScoped>(&self) -> Select<E> {
        self.select::<E>().filter(E::visible(self))
    }

    /// Data-scope condition for any column holding an employee id.
    pub fn visible_employees(&self, column: impl ColumnTrait) -> Condition {
        self.visibility.condition(self.corp_id, column)
    }

    pub fn update_many<E: TenantEntity>(&self) -> UpdateMany<E> {
        E::update_many().filter(self.tenant_condition::<E>())
    }

    pub fn delete_many<E: TenantEntity>(&self) -> DeleteMany<E> {
        E::delete_many().filter(self.tenant_condition::<E>())
    }

    /// One row of this corp by id, or `NOT_FOUND` (the same answer whether it
    /// is missing or another tenant's, so ids cannot be probed).
    pub async fn get<E>(&self, db: &impl ConnectionTrait, id: PkOf<E>) -> AppResult<E::Model>
    where
        E: TenantEntity,
    {
        E::find_by_id(id).filter(self.tenant_condition::<E>()).one(db).await?.ok_or_else(AppError::not_found)
    }

    /// The row of this corp with this id, if the id is given and the row exists
    /// (system work following links that may be empty or gone).
    pub async fn find<E>(&self, db: &impl ConnectionTrait, id: Option<PkOf<E>>) -> AppResult<Option<E::Model>>
    where
        E: TenantEntity,
    {
        let Some(id) = id else { return Ok(None) };
        Ok(E::find_by_id(id).filter(self.tenant_condition::<E>()).one(db).await?)
    }

    /// One visible row by id, or `NOT_FOUND`.
    pub async fn get_visible<E>(&self, db: &impl ConnectionTrait, id: PkOf<E>) -> AppResult<E::Model>
    where
        E: EmployeeScoped,
    {
        E::find_by_id(id).filter(self.tenant_condition::<E>()).filter(E::visible(self)).one(db).await?.ok_or_else(AppError::not_found)
    }

    /// Deletes this corp's row with this id. When rows elsewhere still refer
    /// to it, the database refuses and the answer is CONFLICT `in_use` (the
    /// area's own reason), also when a reference lands after the caller's check.
    pub async fn delete_by_id<E>(&self, db: &impl ConnectionTrait, id: i64, in_use: crate::error::Msg) -> AppResult<()>
    where
        E: TenantEntity,
    {
        use sea_orm::{Iterable, PrimaryKeyToColumn};
        let pk =
            E::PrimaryKey::iter().next().map(|k| k.into_column()).ok_or_else(|| AppError::internal(anyhow::anyhow!("no primary key")))?;
        self.delete_many::<E>().filter(pk.eq(id)).exec(db).await.map_err(|e| AppError::from_delete(e, in_use))?;
        Ok(())
    }

    /// Inserts with the corp stamped, whatever the caller set.
    pub async fn insert<A>(&self, db: &impl ConnectionTrait, mut am: A) -> AppResult<<A::Entity as EntityTrait>::Model>
    where
        A: TenantActiveModel + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        am.stamp_corp(self.corp_id);
        Ok(am.insert(db).await?)
    }

    fn stamped<A: TenantActiveModel>(&self, rows: impl IntoIterator<Item = A>) -> Vec<A> {
        rows.into_iter()
            .map(|mut am| {
                am.stamp_corp(self.corp_id);
                am
            })
            .collect()
    }

    /// Inserts many rows with the corp stamped on each.
    pub async fn insert_many<A, I>(&self, db: &impl ConnectionTrait, rows: I) -> AppResult<()>
    where
        A: TenantActiveModel + Send,
        I: IntoIterator<Item = A>,
    {
        let rows = self.stamped(rows);
        if rows.is_empty() {
            return Ok(());
        }
        <A::Entity as EntityTrait>::insert_many(rows).exec_without_returning(db).await?;
        Ok(())
    }

    /// Inserts many rows with the corp stamped on each and returns them as
    /// stored (ids included), saving the read-back by natural key.
    pub async fn insert_many_returning<A, I>(&self, db: &impl ConnectionTrait, rows: I) -> AppResult<Vec<<A::Entity as EntityTrait>::Model>>
    where
        A: TenantActiveModel + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
        I: IntoIterator<Item = A>,
    {
        let rows = self.stamped(rows);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        Ok(<A::Entity as EntityTrait>::insert_many(rows).exec_with_returning(db).await?)
    }

    /// Inserts many rows with the corp stamped on each, skipping rows that hit
    /// `on_conflict`'s unique key (idempotent producers).
    pub async fn insert_many_ignoring<A, I>(
        &self,
        db: &impl ConnectionTrait,
        rows: I,
        on_conflict: sea_orm::sea_query::OnConflict,
    ) -> AppResult<()>
    where
        A: TenantActiveModel + Send,
        I: IntoIterator<Item = A>,
    {
        let rows = self.stamped(rows);
        if rows.is_empty() {
            return Ok(());
        }
        match <A::Entity as EntityTrait>::insert_many(rows).on_conflict(on_conflict).exec_without_returning(db).await {
            Ok(_) | Err(DbErr::RecordNotInserted) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Inserts many rows with the corp stamped on each; rows hitting
    /// `on_conflict`'s unique key update the columns it names instead.
    pub async fn upsert_many<A, I>(&self, db: &impl ConnectionTrait, rows: I, on_conflict: sea_orm::sea_query::OnConflict) -> AppResult<()>
    where
        A: TenantActiveModel + Send,
        I: IntoIterator<Item = A>,
    {
        self.insert_many_ignoring(db, rows, on_conflict).await
    }

    /// Like [`Scope::insert_many_ignoring`], answering the rows inserted
    /// (those skipped for the conflict are not among them).
    pub async fn insert_many_ignoring_returning<A, I>(
        &self,
        db: &impl ConnectionTrait,
        rows: I,
        on_conflict: sea_orm::sea_query::OnConflict,
    ) -> AppResult<Vec<<A::Entity as EntityTrait>::Model>>
    where
        A: TenantActiveModel + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
        I: IntoIterator<Item = A>,
    {
        let rows = self.stamped(rows);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        match <A::Entity as EntityTrait>::insert_many(rows).on_conflict(on_conflict).try_insert().exec_with_returning_many(db).await? {
            sea_orm::TryInsertResult::Inserted(models) => Ok(models),
            _ => Ok(Vec::new()),
        }
    }

    /// Updates one row by primary key, only if it belongs to this corp.
    pub async fn update<A>(&self, db: &impl ConnectionTrait, am: A) -> AppResult<<A::Entity as EntityTrait>::Model>
    where
        A: TenantActiveModel + Send,
        A::Entity: TenantEntity,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let res = <A::Entity as EntityTrait>::update(am).validate()?.filter(self.tenant_condition::<A::Entity>()).exec(db).await;
        match res {
            Ok(model) => Ok(model),
            Err(DbErr::RecordNotUpdated) => Err(AppError::not_found()),
            Err(e) => Err(e.into()),
        }
    }
}
