//! A list page costs a fixed number of SQL statements whatever its size.

use serde_json::json;
use wecrm::{
    custom_fields::{service as fields, FieldEntity, FieldType},
    org::employees::{self, EmployeeFields},
};

use crate::support::TestApp;

const PAGE: &str = "query($n:Int!){employees(first:$n){totalCount edges{node{id name departments{name} roles{name} tags{name} customFields{field{name} value}}}}}";

#[tokio::test]
async fn employees_first_50_costs_the_same_statements_as_first_5() {
    // No job workers: their polling would share the statement counter.
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let scope = app.admin_scope();
    let db = &app.state.db;
    let field = fields::create(
        db,
        &scope,
        fields::NewField {
            kind: FieldEntity::Employee,
            name: "工号".into(),
            field_type: FieldType::SingleLineText,
            enabled: true,
            required: false,
            options: vec![],
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap();
    for i in 0..60 {
        employees::create(
            db,
            &scope,
            None,
            &format!("u{i}"),
            EmployeeFields {
                name: Some(format!("员工{i}")),
                mobile: Some("13800000000".into()),
                department_ids: Some(vec![app.corp.root_department.id]),
                role_ids: Some(vec![app.corp.basic_role.id]),
                custom_fields: vec![(field.id, Some(json!(format!("E{i}"))))],
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    }
    let admin = app.admin().await;
    let cost = |n: i64| {
        let (admin, counter) = (admin.clone(), app.state.statements.clone());
        async move {
            admin.data(PAGE, json!({"n": n})).await; // warm any lazy statement
            let before = counter.get();
            let v = admin.data(PAGE, json!({"n": n})).await;
            let used = counter.get() - before;
            assert_eq!(v["employees"]["edges"].as_array().unwrap().len() as i64, n);
            used
        }
    };
    let small = cost(5).await;
    let large = cost(50).await;
    assert_eq!(small, large, "first:5 ran {small} statements, first:50 ran {large}");
    assert!(large <= 20, "a page should stay cheap, ran {large}");
    println!("employees page with departments, roles, tags and custom fields: {large} statements for 5 or 50 rows");
}

const CUSTOMERS: &str = "query($n:Int!){customers(first:$n){totalCount edges{node{id name remark owner{name} adders{employee{name} addedAt} tags{name} lastFollowUp{content} customFields{field{name} value}}}}}";

#[tokio::test]
async fn customers_first_100_costs_the_same_statements_as_first_5() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let scope = app.admin_scope();
    let db = &app.state.db;
    let field = fields::create(
        db,
        &scope,
        fields::NewField {
            kind: FieldEntity::Customer,
            name: "预算".into(),
            field_type: FieldType::Integer,
            enabled: true,
            required: false,
            options: vec![],
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap();
    let mut staff = Vec::new();
    for i in 0..4 {
        let e = employees::create(
            db,
            &scope,
            None,
            &format!("rep{i}"),
            EmployeeFields {
                name: Some(format!("销售{i}")),
                mobile: Some("13800000000".into()),
                department_ids: Some(vec![app.corp.root_department.id]),
                role_ids: Some(vec![app.corp.basic_role.id]),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
        staff.push(e.id);
    }
    let admin = app.admin().await;
    let g = admin.data("mutation{createCorpTagGroup(input:{name:\"等级\",tags:[\"A\",\"B\",\"C\"]}){tags{id}}}", json!({})).await;
    let tags: Vec<i64> =
        g["createCorpTagGroup"]["tags"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().parse().unwrap()).collect();
    wecrm::customers::seed::customers(db, &scope, 120, &staff, &tags).await.map_err(|e| format!("{e:?}")).unwrap();
    let ids: Vec<i64> = {
        use sea_orm::EntityTrait;
        entity::customer::Entity::find().all(db).await.unwrap().into_iter().map(|c| c.id).collect()
    };
    for id in ids {
        fields::write_values(db, &scope, FieldEntity::Customer, id, &[(field.id, Some(json!(id * 10)))], false)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
    }
    let cost = |n: i64| {
        let (admin, counter) = (admin.clone(), app.state.statements.clone());
        async move {
            admin.data(CUSTOMERS, json!({"n": n})).await;
            let before = counter.get();
            let v = admin.data(CUSTOMERS, json!({"n": n})).await;
            let used = counter.get() - before;
            let edges = v["customers"]["edges"].as_array().unwrap();
            assert_eq!(edges.len() as i64, n);
            assert!(edges
                .iter()
                .all(|e| !e["node"]["tags"].as_array().unwrap().is_empty() && !e["node"]["customFields"].as_array().unwrap().is_empty()));
            assert!(edges.iter().any(|e| !e["node"]["lastFollowUp"].is_null()));
            used
        }
    };
    let small = cost(5).await;
    let large = cost(100).await;
    assert_eq!(small, large, "first:5 ran {small} statements, first:100 ran {large}");
    assert!(large <= 20, "a page should stay cheap, ran {large}");
    println!("customers page with owner, adders, tags, last follow-up and custom fields: {large} statements for 5 or 100 rows");
}

const CHATS: &str = "query($e:ID!,$n:Int!){archiveChats(employeeId:$e,range:ALL,first:$n){totalCount edges{node{chatKey messageCount lastContent customer{name owner{name}} group{name}}}}}";

#[tokio::test]
async fn archive_chats_first_100_costs_the_same_statements_as_first_5() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let scope = app.admin_scope();
    let db = &app.state.db;
    let admin = app.admin().await;
    let staff = vec![app.corp.admin.id];
    wecrm::customers::seed::customers(db, &scope, 120, &staff, &[]).await.map_err(|e| format!("{e:?}")).unwrap();
    let externals: Vec<String> = {
        use sea_orm::EntityTrait;
        entity::customer::Entity::find().all(db).await.unwrap().into_iter().map(|c| c.external_userid).collect()
    };
    let messages: Vec<serde_json::Value> = externals
        .iter()
        .enumerate()
        .map(|(i, ext)| {
            json!({"msgid": format!("m{i}"), "action": "send", "from": ext, "tolist": ["admin"], "roomid": "",
                   "msgtime": 1_764_000_000_000i64 + i as i64, "msgtype": "text", "text": {"content": "你好"}})
        })
        .collect();
    let out = wecrm::archive::ingest(&app.state, &scope, messages).await.map_err(|e| format!("{e:?}")).unwrap();
    assert_eq!(out.stored, 120);
    let me = app.corp.admin.id.to_string();
    let cost = |n: i64| {
        let (admin, counter, me) = (admin.clone(), app.state.statements.clone(), me.clone());
        async move {
            admin.data(CHATS, json!({"e": me, "n": n})).await;
            let before = counter.get();
            let v = admin.data(CHATS, json!({"e": me, "n": n})).await;
            let used = counter.get() - before;
            let edges = v["archiveChats"]["edges"].as_array().unwrap();
            assert_eq!(edges.len() as i64, n);
            assert!(edges.iter().all(|e| e["node"]["customer"]["name"].is_string() && e["node"]["customer"]["owner"]["name"].is_string()));
            used
        }
    };
    let small = cost(5).await;
    let large = cost(100).await;
    assert_eq!(small, large, "first:5 ran {small} statements, first:100 ran {large}");
    println!("archive chats page with customers and their owners: {large} statements for 5 or 100 rows");
}
