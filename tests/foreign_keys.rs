//! The database enforces its relations, and its refusals reach clients as
//! CONFLICT / NOT_FOUND with a reason, never INTERNAL.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::json;
use wecrm::{error::AppError, tenancy::Scope};

use crate::support::TestApp;

/// Integer columns that name another row but have no key, and why.
const UNKEYED: &[(&str, &str)] = &[
    // Polymorphic: a customer or a group, by `subject_kind` / `entity_kind`.
    ("follow_ups", "subject_id"),
    ("business_records", "subject_id"),
    ("work_orders", "subject_id"),
    ("custom_field_values", "entity_id"),
    // WeCom's own numbers, not our rows.
    ("departments", "wecom_id"),
    ("employee_tags", "wecom_tag_id"),
    ("wecom_bindings", "agent_id"),
];

async fn rows(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<(String, String)> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
        .collect()
}

#[tokio::test]
async fn every_relation_column_has_a_foreign_key() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let (columns, keyed) = match db.get_database_backend() {
        DbBackend::Sqlite => (
            rows(
                db,
                "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND lower(c.type) IN ('integer', 'bigint')",
            )
            .await,
            rows(db, "SELECT m.name, k.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) k WHERE m.type = 'table'").await,
        ),
        _ => (
            rows(
                db,
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('integer', 'bigint')",
            )
            .await,
            rows(
                db,
                "SELECT k.table_name::text, k.column_name::text FROM information_schema.table_constraints t \
                 JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema \
                 WHERE t.constraint_type = 'FOREIGN KEY' AND t.table_schema = current_schema()",
            )
            .await,
        ),
    };
    let relation = |c: &str| c.ends_with("_id") || ["created_by", "updated_by", "uploaded_by"].contains(&c);
    let missing: Vec<_> = columns
        .iter()
        .filter(|(t, c)| relation(c) && !UNKEYED.contains(&(t.as_str(), c.as_str())))
        .filter(|(t, c)| !keyed.iter().any(|(kt, kc)| kt == t && kc == c))
        .collect();
    assert!(missing.is_empty(), "relation columns without a foreign key: {missing:?}");
    assert!(keyed.len() > 130, "{} keys", keyed.len());
}

/// An employee deleted while their session was still open: what they write
/// next names a missing row, and the answer says so.
#[tokio::test]
async fn a_write_naming_a_missing_row_is_not_found_not_internal() {
    let app = TestApp::spawn().await;
    let ghost = Scope::whole_corp_as(app.corp.corp.id, 987_654);
    let err = wecrm::customers::follow_ups::create_type(&app.state.db, &ghost, "电话").await.map(|_| ()).unwrap_err();
    assert_eq!((err.code.as_str(), err.msg.reason), ("NOT_FOUND", "REFERENCE_MISSING"), "{err:?}");

    // A row of another tenant is just as missing to the database.
    let other = app.provision("other", 5).await;
    let cross = entity::employee_role::ActiveModel {
        corp_id: Set(app.corp.corp.id),
        employee_id: Set(app.corp.admin.id),
        role_id: Set(other.basic_role.id + 1_000_000),
        ..Default::default()
    };
    let err: AppError = cross.insert(&app.state.db).await.unwrap_err().into();
    assert_eq!(err.msg.reason, "REFERENCE_MISSING");
}

#[tokio::test]
async fn a_duplicate_that_slips_past_the_check_is_a_conflict() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let admin_role = entity::employee_role::Entity::find()
        .filter(entity::employee_role::Column::EmployeeId.eq(app.corp.admin.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let again = entity::employee_role::ActiveModel {
        corp_id: Set(admin_role.corp_id),
        employee_id: Set(admin_role.employee_id),
        role_id: Set(admin_role.role_id),
        ..Default::default()
    };
    let err: AppError = again.insert(db).await.unwrap_err().into();
    assert_eq!((err.code.as_str(), err.msg.reason), ("CONFLICT", "DUPLICATE"));

    // Through the API, racing creations of one account: one wins, the rest conflict.
    let admin = app.admin().await;
    let create = |userid: &'static str| {
        let admin = admin.clone();
        let input = json!({"userid": userid, "name": "并发", "mobile": "13800000009", "departmentIds": [app.root_id()], "roleIds": [app.basic_role_id()]});
        async move { admin.gql("mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id}}", json!({"i": input})).await }
    };
    let answers = futures::future::join_all((0..8).map(|_| create("racer"))).await;
    let won = answers.iter().filter(|v| v["errors"].is_null()).count();
    let codes: Vec<_> = answers.iter().filter_map(|v| v["errors"][0]["extensions"]["code"].as_str()).collect();
    assert_eq!(won, 1, "{answers:?}");
    assert!(codes.iter().all(|c| *c == "CONFLICT"), "{codes:?}");
}

/// History names its author: an employee who wrote follow-ups is not deleted
/// out from under them, and nothing of the attempt is left half done.
#[tokio::test]
async fn deleting_an_employee_with_history_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let writer = app.employee(&admin, "writer", &[app.root_id()], &[app.basic_role_id()]).await;
    let writer_id: i64 = writer.parse().unwrap();
    let db = &app.state.db;
    wecrm::customers::seed::customers(db, &app.admin_scope(), 2, &[writer_id], &[]).await.map_err(|e| format!("{e:?}")).unwrap();
    // Hand the customers over so only the follow-ups still name the writer.
    entity::customer::Entity::update_many()
        .col_expr(entity::customer::Column::OwnerId, sea_orm::sea_query::Expr::value(app.corp.admin.id))
        .filter(entity::customer::Column::CorpId.eq(app.corp.corp.id))
        .exec(db)
        .await
        .unwrap();

    let v = admin.gql("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": writer})).await;
    let ext = &v["errors"][0]["extensions"];
    assert_eq!((ext["code"].as_str(), ext["reason"].as_str()), (Some("CONFLICT"), Some("STILL_REFERENCED")), "{v}");
    let v = admin.data("query($id:ID!){employee(id:$id){userid departments{id} roles{id}}}", json!({"id": writer})).await;
    assert_eq!(v["employee"]["userid"], "writer");
    assert_eq!(v["employee"]["roles"].as_array().map(Vec::len), Some(1), "the refused delete kept the roles: {v}");
}
