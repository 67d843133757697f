//! The rules of companies and industries. Industry presets (CFG-11's list)
//! are made per corp on first use and are fixed; custom types are added and
//! renamed, never deleted. A company's full name is required and unique in
//! the corp; phone is digits (with - + and spaces as people type them);
//! deleting a company unlinks its customers (the SPEC leaves it open).

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, QueryFilter, QueryOrder, Select,
};

use crate::{
    customers::service::not_pooled,
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::{company, customer, industry};

/// CFG-11's preset industry types.
pub const PRESETS: [&str; 17] = [
    "金融",
    "医疗",
    "教育",
    "交通运输",
    "企业服务",
    "软件工具",
    "智能硬件",
    "消费零售",
    "体育",
    "旅游",
    "社交",
    "农业",
    "电子商务",
    "生活服务",
    "物流仓储",
    "房地产",
    "文娱传媒",
];
/// The staff-size choices (the SPEC leaves the values open).
pub const STAFF_SIZES: [&str; 6] = ["1-20", "21-99", "100-499", "500-999", "1000-9999", "10000+"];

const INDUSTRY_NAME_INVALID: Msg = Msg::new("INDUSTRY_NAME_INVALID", "行业名称为1-20个字", "Industry names must be 1-20 characters");
const INDUSTRY_TAKEN: Msg = Msg::new("INDUSTRY_NAME_TAKEN", "该行业类型已存在", "This industry type already exists");
const INDUSTRY_PRESET: Msg = Msg::new("INDUSTRY_PRESET_FIXED", "预置行业类型不能修改", "Preset industry types cannot be changed");
const NAME_INVALID: Msg =
    Msg::new("COMPANY_NAME_INVALID", "请填写企业全称（不超过100字）", "A company needs its full name, at most 100 characters");
const NAME_TAKEN: Msg = Msg::new("COMPANY_NAME_TAKEN", "该企业已存在", "A company with this name already exists");
const PHONE_INVALID: Msg = Msg::new("COMPANY_PHONE_INVALID", "电话须为数字", "The phone must be digits");
const WEBSITE_INVALID: Msg =
    Msg::new("COMPANY_WEBSITE_INVALID", "请填写以http://或https://开头的网址", "Enter a website starting with http:// or https://");
const STAFF_SIZE_INVALID: Msg = Msg::new("COMPANY_STAFF_SIZE_INVALID", "请选择人员规模", "Choose a staff size from the list");
const TOO_LONG: Msg = Msg::new("COMPANY_FIELD_TOO_LONG", "内容过长", "The text is too long");

/// The corp's industry types, presets first (made on first use).
pub async fn industries(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<industry::Model>> {
    let q = || scope.select::<industry::Entity>().order_by_asc(industry::Column::SortIndex).order_by_asc(industry::Column::Id);
    let found = q().all(db).await?;
    if found.iter().any(|i| i.preset) {
        return Ok(found);
    }
    let now = Utc::now();
    let rows = PRESETS.iter().enumerate().map(|(i, name)| industry::ActiveModel {
        name: Set((*name).into()),
        preset: Set(true),
        sort_index: Set(i as f64 + 1.0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    scope
        .insert_many_ignoring(db, rows, OnConflict::columns([industry::Column::CorpId, industry::Column::Name]).do_nothing().to_owned())
        .await?;
    Ok(q().all(db).await?)
}

fn industry_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 20 {
        return Err(AppError::bad_input("name", INDUSTRY_NAME_INVALID));
    }
    Ok(n.to_string())
}

fn taken(e: DbErr, msg: Msg, field: &str) -> AppError {
    AppError::on_unique(e, msg, field)
}

pub async fn create_industry(db: &impl ConnectionTrait, scope: &Scope, name: &str) -> AppResult<industry::Model> {
    let name = industry_name(name)?;
    let last = industries(db, scope).await?.last().map_or(0.0, |i| i.sort_index);
    let now = Utc::now();
    let mut am = industry::ActiveModel {
        name: Set(name),
        preset: Set(false),
        sort_index: Set(last.floor() + 1.0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    sea_orm::ActiveModelTrait::insert(am, db).await.map_err(|e| taken(e, INDUSTRY_TAKEN, "name"))
}

pub async fn rename_industry(db: &impl ConnectionTrait, scope: &Scope, id: i64, name: &str) -> AppResult<industry::Model> {
    let name = industry_name(name)?;
    let found = scope.get::<industry::Entity>(db, id).await?;
    if found.preset {
        return Err(AppError::conflict(INDUSTRY_PRESET));
    }
    sea_orm::EntityTrait::update(industry::ActiveModel { id: Set(id), name: Set(name), updated_at: Set(Utc::now()), ..Default::default() })
        .validate()?
        .filter(industry::Column::CorpId.eq(scope.corp_id()))
        .exec(db)
        .await
        .map_err(|e| taken(e, INDUSTRY_TAKEN, "name"))
}

/// A company's fields as a client gives them.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub name: String,
    pub short_name: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub industry_id: Option<i64>,
    pub staff_size: Option<String>,
    pub level: Option<String>,
}

fn text(v: &Option<String>, max: usize, field: &str) -> AppResult<Option<String>> {
    let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > max) {
        return Err(AppError::bad_input(format!("input.{field}"), TOO_LONG));
    }
    Ok(v.map(str::to_string))
}

async fn checked(db: &impl ConnectionTrait, scope: &Scope, d: &Draft) -> AppResult<company::ActiveModel> {
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input("input.name", NAME_INVALID));
    }
    let phone = text(&d.phone, 30, "phone")?;
    if phone
        .as_deref()
        .is_some_and(|p| !p.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ')) || !p.chars().any(|c| c.is_ascii_digit()))
    {
        return Err(AppError::bad_input("input.phone", PHONE_INVALID));
    }
    let website = text(&d.website, 200, "website")?;
    if website.as_deref().is_some_and(|w| !(w.starts_with("http://") || w.starts_with("https://")) || w.chars().any(char::is_whitespace)) {
        return Err(AppError::bad_input("input.website", WEBSITE_INVALID));
    }
    let staff_size = text(&d.staff_size, 20, "staffSize")?;
    if staff_size.as_deref().is_some_and(|s| !STAFF_SIZES.contains(&s)) {
        return Err(AppError::bad_input("input.staffSize", STAFF_SIZE_INVALID));
    }
    if let Some(i) = d.industry_id {
        industries(db, scope).await?;
        scope.get::<industry::Entity>(db, i).await.map_err(|e| e.with_field("input.industryId"))?;
    }
    Ok(company::ActiveModel {
        name: Set(name.to_string()),
        short_name: Set(text(&d.short_name, 50, "shortName")?),
        phone: Set(phone),
        website: Set(website),
        province: Set(text(&d.province, 20, "province")?),
        city: Set(text(&d.city, 20, "city")?),
        address: Set(text(&d.address, 200, "address")?),
        industry_id: Set(d.industry_id),
        staff_size: Set(staff_size),
        level: Set(text(&d.level, 20, "level")?),
        ..Default::default()
    })
}

pub async fn create(state: &AppState, scope: &Scope, d: &Draft) -> AppResult<company::Model> {
    let mut am = checked(&state.db, scope, d).await?;
    let now = state.clock.now();
    am.created_by = Set(scope.employee_id());
    am.created_at = Set(now);
    am.updated_at = Set(now);
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    sea_orm::ActiveModelTrait::insert(am, &state.db).await.map_err(|e| taken(e, NAME_TAKEN, "input.name"))
}

pub async fn update(state: &AppState, scope: &Scope, id: i64, d: &Draft) -> AppResult<company::Model> {
    scope.get::<company::Entity>(&state.db, id).await?;
    let mut am = checked(&state.db, scope, d).await?;
    am.id = Set(id);
    am.updated_at = Set(state.clock.now());
    sea_orm::EntityTrait::update(am)
        .validate()?
        .filter(company::Column::CorpId.eq(scope.corp_id()))
        .exec(&state.db)
        .await
        .map_err(|e| taken(e, NAME_TAKEN, "input.name"))
}

/// Deletes a company; its customers are unlinked.
pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<company::Entity>(db, id).await?;
    scope.delete_many::<company::Entity>().filter(company::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Substring of the full or short name.
    pub name: Option<String>,
    /// Substring of the address.
    pub address: Option<String>,
    pub industry_id: Option<i64>,
}

/// The corp's companies, newest first (companies are the corp's, not an employee's).
pub fn list(scope: &Scope, f: &Filter) -> Select<company::Entity> {
    let mut q = scope.select::<company::Entity>().order_by_desc(company::Column::Id);
    if let Some(n) = f.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(Condition::any().add(company::Column::Name.contains(n)).add(company::Column::ShortName.contains(n)));
    }
    if let Some(a) = f.address.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(company::Column::Address.contains(a));
    }
    if let Some(i) = f.industry_id {
        q = q.filter(company::Column::IndustryId.eq(i));
    }
    q
}

/// A company's customers the caller may see (CRM-9's related customers).
pub fn customers(scope: &Scope, company_id: i64) -> Select<customer::Entity> {
    scope
        .select_visible::<customer::Entity>()
        .filter(customer::Column::CompanyId.eq(company_id))
        // Pool customers are listed in the pool only.
        .filter(customer::Column::PooledAt.is_null())
        .order_by_desc(customer::Column::Id)
}

/// Links a visible customer to a company, or unlinks it (`None`).
pub async fn set_customer_company(
    db: &impl ConnectionTrait,
    scope: &Scope,
    customer_id: i64,
    company_id: Option<i64>,
) -> AppResult<customer::Model> {
    let c = scope.get_visible::<customer::Entity>(db, customer_id).await.map_err(|e| e.with_field("customerId"))?;
    not_pooled(&c)?;
    if let Some(id) = company_id {
        scope.get::<company::Entity>(db, id).await.map_err(|e| e.with_field("companyId"))?;
    }
    scope
        .update_many::<customer::Entity>()
        .col_expr(customer::Column::CompanyId, Expr::value(company_id))
        .filter(customer::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    scope.get::<customer::Entity>(db, c.id).await
}
