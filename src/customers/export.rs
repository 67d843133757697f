//! The customer-list export (CUS-2's batch export, CFG-2): what the list's
//! filter selects in the starter's data scope, the chosen columns (and the
//! enabled custom fields), written in pages of 1,000 by id to an XLSX or
//! CSV file in the download centre. Each page costs five statements.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::service::{self, CustomerQuery};
use crate::pool::members::PoolFilter;
use crate::{
    custom_fields::{service as fields, FieldEntity},
    data_centre::{self, sheet, Outcome, TransferRef},
    error::AppError,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
};
use entity::{corp_tag, customer, customer_follow, employee, follow_tag, pool_group, pool_reason};

const PAGE: u64 = 1_000;

/// A column of the exported list.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerColumn {
    Name,
    Kind,
    Mobile,
    Owner,
    Adders,
    AdderCount,
    Tags,
    Channel,
    AddedAt,
    LastContactAt,
    Position,
    Company,
}

impl CustomerColumn {
    pub const ALL: [CustomerColumn; 12] = [
        CustomerColumn::Name,
        CustomerColumn::Kind,
        CustomerColumn::Mobile,
        CustomerColumn::Owner,
        CustomerColumn::Adders,
        CustomerColumn::AdderCount,
        CustomerColumn::Tags,
        CustomerColumn::Channel,
        CustomerColumn::AddedAt,
        CustomerColumn::LastContactAt,
        CustomerColumn::Position,
        CustomerColumn::Company,
    ];

    fn header(self) -> &'static str {
        match self {
            CustomerColumn::Name => "客户名称",
            CustomerColumn::Kind => "客户类型",
            CustomerColumn::Mobile => "手机号",
            CustomerColumn::Owner => "跟进人",
            CustomerColumn::Adders => "添加人",
            CustomerColumn::AdderCount => "添加人数",
            CustomerColumn::Tags => "客户标签",
            CustomerColumn::Channel => "渠道",
            CustomerColumn::AddedAt => "添加时间",
            CustomerColumn::LastContactAt => "最近沟通时间",
            CustomerColumn::Position => "职位",
            CustomerColumn::Company => "公司",
        }
    }
}

/// What the export was asked for (the transfer's params).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    pub query: CustomerQuery,
    /// Set for the public pool's list (CRM-6): its customers instead of the
    /// customer list's, with their pool and return reason.
    #[serde(default)]
    pub pool: Option<PoolFilter>,
    pub columns: Vec<CustomerColumn>,
    pub custom_fields: bool,
    pub format: sheet::Format,
}

pub struct ExportCustomersJob;

impl JobKind for ExportCustomersJob {
    const KIND: &'static str = "customers.export";
    type Payload = TransferRef;
}

fn china(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(crate::clock::china_text).unwrap_or_default()
}

fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(shown).collect::<Vec<_>>().join(","),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl JobHandler for ExportCustomersJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, r: TransferRef) -> Result<serde_json::Value, JobError> {
        data_centre::run(ctx, r, async |t: &mut data_centre::Transfer| {
            let p: ExportParams = t.params()?;
            let (state, scope) = (t.state().clone(), t.scope.clone());
            let db = &state.db;
            let custom = if p.custom_fields { fields::list(db, &scope, FieldEntity::Customer, false).await? } else { Vec::new() };
            let select = match &p.pool {
                Some(pool) => crate::pool::members::matching(db, &scope, pool, &p.query).await?,
                None => service::matching(db, &scope, &p.query).await?,
            };
            // Pool and reason names: small tables, read once.
            let (pools, reasons): (HashMap<i64, String>, HashMap<i64, String>) = match p.pool {
                Some(_) => (
                    scope
                        .select::<pool_group::Entity>()
                        .all(db)
                        .await
                        .map_err(AppError::from)?
                        .into_iter()
                        .map(|g| (g.id, g.name))
                        .collect(),
                    scope
                        .select::<pool_reason::Entity>()
                        .all(db)
                        .await
                        .map_err(AppError::from)?
                        .into_iter()
                        .map(|r| (r.id, r.name))
                        .collect(),
                ),
                None => (HashMap::new(), HashMap::new()),
            };
            let total = sea_orm::PaginatorTrait::count(select.clone(), db).await.map_err(AppError::from)?;
            let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
            let format = p.format;
            let writer = tokio::task::spawn_blocking(move || -> Result<tempfile::TempPath, AppError> {
                let mut w = sheet::Writer::new(format)?;
                while let Some(rows) = out_rx.blocking_recv() {
                    for row in rows {
                        w.row(&row)?;
                    }
                }
                w.finish()
            });
            let mut header: Vec<String> = p.columns.iter().map(|c| c.header().to_string()).collect();
            if p.pool.is_some() {
                header.extend(["公海分组".to_string(), "退回原因".to_string()]);
            }
            header.extend(custom.iter().map(|f| f.name.clone()));
            out_tx.send(vec![header]).await.map_err(|_| JobError::Retry(anyhow::anyhow!("export writer stopped")))?;
            let (mut last, mut done) = (0i64, 0i64);
            loop {
                let page = select
                    .clone()
                    .filter(customer::Column::Id.gt(last))
                    .order_by_asc(customer::Column::Id)
                    .limit(PAGE)
                    .all(db)
                    .await
                    .map_err(AppError::from)?;
                let Some(tail) = page.last() else { break };
                last = tail.id;
                let ids: Vec<i64> = page.iter().map(|c| c.id).collect();
                let follows = scope
                    .select::<customer_follow::Entity>()
                    .filter(customer_follow::Column::CustomerId.is_in(ids.clone()))
                    .order_by_asc(customer_follow::Column::AddedAt)
                    .all(db)
                    .await
                    .map_err(AppError::from)?;
                let people: HashMap<i64, String> = scope
                    .select::<employee::Entity>()
                    .filter(employee::Column::Id.is_in(follows.iter().map(|f| f.employee_id).chain(page.iter().filter_map(|c| c.owner_id))))
                    .all(db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|e| (e.id, e.name))
                    .collect();
                let tagged = scope
                    .select::<follow_tag::Entity>()
                    .filter(follow_tag::Column::CustomerId.is_in(ids.clone()))
                    .all(db)
                    .await
                    .map_err(AppError::from)?;
                let tag_names: HashMap<i64, String> = scope
                    .select::<corp_tag::Entity>()
                    .filter(corp_tag::Column::Id.is_in(tagged.iter().map(|t| t.tag_id)))
                    .all(db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|t| (t.id, t.name))
                    .collect();
                let mut adders: BTreeMap<i64, Vec<String>> = BTreeMap::new();
                for f in &follows {
                    adders.entry(f.customer_id).or_default().push(people.get(&f.employee_id).cloned().unwrap_or_default());
                }
                let mut tags: BTreeMap<i64, Vec<String>> = BTreeMap::new();
                for tg in &tagged {
                    let list = tags.entry(tg.customer_id).or_default();
                    if let Some(n) = tag_names.get(&tg.tag_id).filter(|n| !list.contains(n)) {
                        list.push(n.clone());
                    }
                }
                let mut values =
                    if custom.is_empty() { HashMap::new() } else { fields::values_for(db, &scope, FieldEntity::Customer, &ids).await? };
                let rows: Vec<Vec<String>> = page
                    .iter()
                    .map(|c| {
                        let mut row: Vec<String> = p
                            .columns
                            .iter()
                            .map(|col| match col {
                                CustomerColumn::Name => c.name.clone(),
                                CustomerColumn::Kind => if c.contact_type == service::KIND_WECOM { "企业微信" } else { "微信" }.to_string(),
                                CustomerColumn::Mobile => c.mobile.clone().unwrap_or_default(),
                                CustomerColumn::Owner => c.owner_id.and_then(|o| people.get(&o).cloned()).unwrap_or_default(),
                                CustomerColumn::Adders => adders.get(&c.id).map(|a| a.join("、")).unwrap_or_default(),
                                CustomerColumn::AdderCount => c.adder_count.to_string(),
                                CustomerColumn::Tags => tags.get(&c.id).map(|t| t.join("、")).unwrap_or_default(),
                                CustomerColumn::Channel => c.channel.clone().unwrap_or_default(),
                                CustomerColumn::AddedAt => china(c.first_added_at),
                                CustomerColumn::LastContactAt => china(c.last_contact_at),
                                CustomerColumn::Position => c.position.clone().unwrap_or_default(),
                                CustomerColumn::Company => c.company_name.clone().or(c.corp_name.clone()).unwrap_or_default(),
                            })
                            .collect();
                        if p.pool.is_some() {
                            row.push(c.pool_id.and_then(|g| pools.get(&g).cloned()).unwrap_or_default());
                            // No reason: the pool's rules recalled it.
                            row.push(c.pool_reason_id.and_then(|r| reasons.get(&r).cloned()).unwrap_or_else(|| "自动回收".into()));
                        }
                        let mine: HashMap<i64, serde_json::Value> =
                            values.remove(&c.id).unwrap_or_default().into_iter().map(|(f, v)| (f.id, v)).collect();
                        row.extend(custom.iter().map(|f| mine.get(&f.id).map(shown).unwrap_or_default()));
                        row
                    })
                    .collect();
                done += rows.len() as i64;
                out_tx.send(rows).await.map_err(|_| JobError::Retry(anyhow::anyhow!("export writer stopped")))?;
                t.progress((done * 100 / total.max(1) as i64) as i32, total as i64, done, 0).await?;
            }
            drop(out_tx);
            let path = writer.await.map_err(|e| JobError::Retry(e.into()))??;
            let file = crate::files::save_path(&state, &scope, &t.row.file_name, p.format.content_type(), &path).await?;
            Ok(Outcome { total: done, succeeded: done, failed: 0, file: Some(file) })
        })
        .await
    }
}
