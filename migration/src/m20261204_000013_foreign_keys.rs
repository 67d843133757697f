//! Foreign keys for every relation column, so the database itself refuses an
//! orphan instead of trusting every service to check first.
//!
//! What a delete does to the rows that point at it, chosen per relation:
//! - `Cascade`: the row only exists for its parent (a tenant's data, a link
//!   row such as employee ↔ role, a customer's own timeline).
//! - `SetNull`: history worth keeping after the parent goes (chat archive,
//!   alerts, "created by"), whose column is nullable.
//! - `Restrict`: history that names its author or its definition (a follow-up's
//!   author, a record's template, a tag still on customers). The delete is
//!   refused and the API answers CONFLICT `STILL_REFERENCED` (or the area's own
//!   reason) instead of silently rewriting history.
//!
//! Polymorphic columns (`subject_id` of follow-ups, records and work orders,
//! `entity_id` of custom field values) point at different tables by kind and
//! get no key; their services check them.
//!
//! Rows that already point nowhere are treated as if the key had existed when
//! their parent went: cascaded rows are deleted, set-null columns cleared, and
//! a restricted orphan stops the upgrade with the table and column named.
//!
//! PostgreSQL adds the keys with `ALTER TABLE`. SQLite cannot, so each table is
//! rebuilt from its own `CREATE TABLE` text plus the keys, parents before
//! children: renaming a table that others already reference would rewrite
//! their keys to the old name.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000013_foreign_keys"
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnDelete {
    Cascade,
    SetNull,
    Restrict,
}

use OnDelete::{Cascade, Restrict, SetNull};

impl OnDelete {
    fn sql(self) -> &'static str {
        match self {
            Cascade => "CASCADE",
            SetNull => "SET NULL",
            Restrict => "RESTRICT",
        }
    }
}

/// Every table but `corps` belongs to a corp; deleting a corp deletes its data.
pub const TENANT_TABLES: &[&str] = &[
    "alerts",
    "alert_recipients",
    "allocation_rules",
    "business_records",
    "chat_conversations",
    "chat_messages",
    "chat_threads",
    "corp_settings",
    "corp_tags",
    "corp_tag_groups",
    "custom_fields",
    "custom_field_values",
    "customers",
    "customer_events",
    "customer_follows",
    "customer_groups",
    "customer_group_tags",
    "customer_losses",
    "departments",
    "employees",
    "employee_departments",
    "employee_preferences",
    "employee_roles",
    "employee_tags",
    "employee_tag_members",
    "follow_tags",
    "follow_ups",
    "follow_up_types",
    "group_activity_rules",
    "group_members",
    "group_tags",
    "group_tag_groups",
    "inheritances",
    "internal_groups",
    "jobs",
    "record_templates",
    "record_template_fields",
    "record_template_scopes",
    "reply_timeouts",
    "roles",
    "role_departments",
    "sensitive_behaviors",
    "sensitive_hits",
    "sensitive_rules",
    "sessions",
    "files",
    "unassigned_customers",
    "wecom_bindings",
    "wecom_inbox",
    "work_calendars",
    "work_orders",
];

/// (table, column, parent table, what deleting the parent does), besides `corp_id`.
pub const RELATIONS: &[(&str, &str, &str, OnDelete)] = &[
    ("alerts", "customer_id", "customers", SetNull),
    ("alerts", "group_id", "customer_groups", SetNull),
    ("alerts", "employee_id", "employees", SetNull),
    ("alert_recipients", "alert_id", "alerts", Cascade),
    ("alert_recipients", "employee_id", "employees", Cascade),
    ("allocation_rules", "fallback_employee_id", "employees", SetNull),
    ("allocation_rules", "created_by", "employees", SetNull),
    ("business_records", "template_id", "record_templates", Restrict),
    ("business_records", "submitter_id", "employees", Restrict),
    ("chat_conversations", "employee_id", "employees", SetNull),
    ("chat_conversations", "customer_id", "customers", SetNull),
    ("chat_conversations", "group_id", "customer_groups", SetNull),
    ("chat_messages", "employee_id", "employees", SetNull),
    ("chat_messages", "customer_id", "customers", SetNull),
    ("chat_messages", "group_id", "customer_groups", SetNull),
    ("chat_messages", "conversation_id", "chat_conversations", SetNull),
    ("chat_threads", "employee_id", "employees", SetNull),
    ("chat_threads", "customer_id", "customers", SetNull),
    ("chat_threads", "group_id", "customer_groups", SetNull),
    ("chat_threads", "last_sent_id", "chat_messages", SetNull),
    ("corp_settings", "updated_by", "employees", SetNull),
    ("corp_tags", "group_id", "corp_tag_groups", Restrict),
    ("custom_fields", "created_by", "employees", SetNull),
    ("custom_field_values", "field_id", "custom_fields", Cascade),
    ("customers", "owner_id", "employees", SetNull),
    ("customer_events", "customer_id", "customers", Cascade),
    ("customer_events", "employee_id", "employees", SetNull),
    ("customer_events", "group_id", "customer_groups", SetNull),
    ("customer_follows", "customer_id", "customers", Cascade),
    ("customer_follows", "employee_id", "employees", Cascade),
    ("customer_groups", "owner_id", "employees", SetNull),
    ("customer_group_tags", "group_id", "customer_groups", Cascade),
    ("customer_group_tags", "tag_id", "group_tags", Restrict),
    ("customer_losses", "customer_id", "customers", Cascade),
    ("customer_losses", "employee_id", "employees", Restrict),
    ("departments", "parent_id", "departments", Restrict),
    ("employees", "created_by", "employees", SetNull),
    ("employee_departments", "employee_id", "employees", Cascade),
    ("employee_departments", "department_id", "departments", Cascade),
    ("employee_preferences", "employee_id", "employees", Cascade),
    ("employee_roles", "employee_id", "employees", Cascade),
    ("employee_roles", "role_id", "roles", Restrict),
    ("employee_tags", "created_by", "employees", SetNull),
    ("employee_tag_members", "tag_id", "employee_tags", Cascade),
    ("employee_tag_members", "employee_id", "employees", Cascade),
    ("employee_tag_members", "department_id", "departments", Cascade),
    ("follow_tags", "customer_id", "customers", Cascade),
    ("follow_tags", "employee_id", "employees", Cascade),
    ("follow_tags", "tag_id", "corp_tags", Restrict),
    ("follow_ups", "author_id", "employees", Restrict),
    ("follow_ups", "type_id", "follow_up_types", Restrict),
    ("follow_up_types", "created_by", "employees", SetNull),
    ("group_activity_rules", "updated_by", "employees", SetNull),
    ("group_members", "group_id", "customer_groups", Cascade),
    ("group_tags", "tag_group_id", "group_tag_groups", Restrict),
    ("group_tag_groups", "created_by", "employees", SetNull),
    ("inheritances", "customer_id", "customers", Cascade),
    ("inheritances", "handover_id", "employees", Restrict),
    ("inheritances", "takeover_id", "employees", Restrict),
    ("internal_groups", "owner_id", "employees", Restrict),
    ("internal_groups", "created_by", "employees", SetNull),
    ("jobs", "created_by", "employees", SetNull),
    ("record_templates", "created_by", "employees", SetNull),
    ("record_template_fields", "template_id", "record_templates", Cascade),
    ("record_template_fields", "field_id", "custom_fields", Restrict),
    ("record_template_scopes", "template_id", "record_templates", Cascade),
    ("record_template_scopes", "employee_id", "employees", Cascade),
    ("record_template_scopes", "department_id", "departments", Cascade),
    ("reply_timeouts", "message_id", "chat_messages", Cascade),
    ("reply_timeouts", "customer_id", "customers", SetNull),
    ("reply_timeouts", "employee_id", "employees", SetNull),
    ("reply_timeouts", "group_id", "customer_groups", SetNull),
    ("roles", "created_by", "employees", SetNull),
    ("role_departments", "role_id", "roles", Cascade),
    ("role_departments", "department_id", "departments", Cascade),
    ("sensitive_behaviors", "message_id", "chat_messages", SetNull),
    ("sensitive_behaviors", "employee_id", "employees", SetNull),
    ("sensitive_behaviors", "customer_id", "customers", SetNull),
    ("sensitive_behaviors", "group_id", "customer_groups", SetNull),
    ("sensitive_behaviors", "reviewer_id", "employees", SetNull),
    ("sensitive_hits", "rule_id", "sensitive_rules", Cascade),
    ("sensitive_hits", "message_id", "chat_messages", Cascade),
    ("sensitive_rules", "created_by", "employees", SetNull),
    ("sessions", "employee_id", "employees", Cascade),
    ("files", "uploaded_by", "employees", Restrict),
    ("work_calendars", "created_by", "employees", SetNull),
    ("work_orders", "assignee_id", "employees", SetNull),
    ("work_orders", "created_by", "employees", Restrict),
];

/// One key: `fk_<table>_<column>`.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub table: &'static str,
    pub column: &'static str,
    pub parent: &'static str,
    pub on_delete: OnDelete,
}

impl Key {
    fn name(&self) -> String {
        format!("fk_{}_{}", self.table, self.column)
    }

    fn clause(&self) -> String {
        format!(
            "CONSTRAINT \"{}\" FOREIGN KEY (\"{}\") REFERENCES \"{}\" (\"id\") ON DELETE {}",
            self.name(),
            self.column,
            self.parent,
            self.on_delete.sql()
        )
    }

    fn orphans(&self) -> String {
        format!(
            "\"{t}\".\"{c}\" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \"{p}\" WHERE \"{p}\".\"id\" = \"{t}\".\"{c}\")",
            t = self.table,
            c = self.column,
            p = self.parent
        )
    }
}

pub fn keys() -> Vec<Key> {
    let tenant = TENANT_TABLES.iter().map(|t| Key { table: t, column: "corp_id", parent: "corps", on_delete: Cascade });
    let rest = RELATIONS.iter().map(|&(table, column, parent, on_delete)| Key { table, column, parent, on_delete });
    tenant.chain(rest).collect()
}

/// Tables with keys, each after every other table it points at (self
/// references aside); an error names the tables of a cycle.
pub fn parents_first(keys: &[Key]) -> Result<Vec<&'static str>, DbErr> {
    let mut tables: Vec<&'static str> = Vec::new();
    for k in keys {
        if !tables.contains(&k.table) {
            tables.push(k.table);
        }
    }
    let mut done: Vec<&'static str> = vec!["corps"];
    let mut order = Vec::new();
    while order.len() < tables.len() {
        let ready: Vec<&'static str> = tables
            .iter()
            .copied()
            .filter(|t| !order.contains(t))
            .filter(|t| {
                keys.iter().filter(|k| k.table == *t && k.parent != *t).all(|k| done.contains(&k.parent) || !tables.contains(&k.parent))
            })
            .collect();
        if ready.is_empty() {
            let left: Vec<_> = tables.iter().filter(|t| !order.contains(*t)).collect();
            return Err(DbErr::Migration(format!("foreign keys form a cycle among {left:?}")));
        }
        done.extend(ready.iter().copied());
        order.extend(ready);
    }
    Ok(order)
}

async fn exec(m: &SchemaManager<'_>, sql: String) -> Result<u64, DbErr> {
    let db = m.get_connection();
    Ok(db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await?.rows_affected())
}

async fn scalar_text(m: &SchemaManager<'_>, sql: &str, value: &str) -> Result<Vec<String>, DbErr> {
    let db = m.get_connection();
    let rows = db.query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [value.into()])).await?;
    rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect()
}

/// Applies each key's delete rule to rows that already point nowhere.
async fn settle_orphans(m: &SchemaManager<'_>, keys: &[Key], order: &[&'static str]) -> Result<(), DbErr> {
    for table in order {
        for k in keys.iter().filter(|k| k.table == *table) {
            match k.on_delete {
                Cascade => {
                    exec(m, format!("DELETE FROM \"{}\" WHERE {}", k.table, k.orphans())).await?;
                }
                SetNull => {
                    exec(m, format!("UPDATE \"{}\" SET \"{}\" = NULL WHERE {}", k.table, k.column, k.orphans())).await?;
                }
                Restrict => {
                    let db = m.get_connection();
                    let sql = format!("SELECT COUNT(*) AS n FROM \"{}\" WHERE {}", k.table, k.orphans());
                    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
                    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
                    if n > 0 {
                        return Err(DbErr::Migration(format!(
                            "{n} rows of {}.{} point at missing {} rows; fix or delete them, then migrate again",
                            k.table, k.column, k.parent
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Rebuilds one SQLite table with `clauses` appended to (or, when empty,
/// every named key removed from) its own `CREATE TABLE` text, keeping rows,
/// indexes and the id sequence.
async fn sqlite_rebuild(m: &SchemaManager<'_>, table: &str, clauses: &[String]) -> Result<(), DbErr> {
    let create = scalar_text(m, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).await?;
    let create = create.into_iter().next().ok_or_else(|| DbErr::Migration(format!("table {table} is missing")))?;
    let indexes = scalar_text(m, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", table).await?;
    let body = match create.find(", CONSTRAINT \"fk_") {
        Some(at) => create[..at].to_string(),
        None => create.trim_end().strip_suffix(')').map(str::to_string).ok_or_else(|| DbErr::Migration(format!("cannot read {table}")))?,
    };
    let mut new = body;
    for c in clauses {
        new.push_str(", ");
        new.push_str(c);
    }
    new.push_str(" )");
    let old = format!("{table}__before_keys");
    exec(m, format!("ALTER TABLE \"{table}\" RENAME TO \"{old}\"")).await?;
    exec(m, new).await?;
    exec(m, format!("INSERT INTO \"{table}\" SELECT * FROM \"{old}\"")).await?;
    // Keep ids that were handed out and later deleted from being reused.
    exec(
        m,
        format!(
            "UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ('{table}', '{old}')) WHERE name = '{table}'"
        ),
    )
    .await?;
    exec(m, format!("DROP TABLE \"{old}\"")).await?;
    for ix in indexes {
        exec(m, ix).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // SQLite's rebuilds must share one connection and stand or fall together.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let keys = keys();
        let order = parents_first(&keys)?;
        settle_orphans(m, &keys, &order).await?;
        match m.get_database_backend() {
            DbBackend::Sqlite => {
                for table in &order {
                    let clauses: Vec<String> = keys.iter().filter(|k| k.table == *table).map(Key::clause).collect();
                    sqlite_rebuild(m, table, &clauses).await?;
                }
            }
            _ => {
                for k in &keys {
                    exec(m, format!("ALTER TABLE \"{}\" ADD {}", k.table, k.clause())).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let keys = keys();
        match m.get_database_backend() {
            DbBackend::Sqlite => {
                let mut order = parents_first(&keys)?;
                // Children first, so no rename rewrites a key still to be dropped.
                order.reverse();
                for table in order {
                    sqlite_rebuild(m, table, &[]).await?;
                }
            }
            _ => {
                for k in &keys {
                    exec(m, format!("ALTER TABLE \"{}\" DROP CONSTRAINT IF EXISTS \"{}\"", k.table, k.name())).await?;
                }
            }
        }
        Ok(())
    }
}
