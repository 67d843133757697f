//! The lead import through the import centre (CRM-2, CFG-1): a job with
//! progress on `notices`, per-row results in a result file of the input's
//! format, rules applied to what it creates, files kept 7 days.

use serde_json::{json, Value};

use crate::support::{Client, TestApp, PASSWORD};
use crate::uploads::{local, uploaded};

const IMPORT: &str = "mutation($f:ID!){importLeads(fileId:$f){id status direction module fileName}}";
const TRANSFER: &str = "query($id:ID!){dataTransfer(id:$id){status progress totalRows succeededRows failedRows fileExpiresAt \
    error{code reason message} resultFile{id name downloadUrl}}}";

/// Waits for a transfer to end; answers it.
pub async fn finished(c: &Client, id: &Value) -> Value {
    for _ in 0..600 {
        let t = c.data(TRANSFER, json!({"id": id})).await["dataTransfer"].clone();
        if t["status"] == "COMPLETED" || t["status"] == "FAILED" {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("transfer {id} did not finish");
}

/// Uploads `bytes` as `name`, imports it and waits for the transfer to end.
async fn import(app: &TestApp, c: &Client, name: &str, bytes: Vec<u8>) -> Value {
    let file = uploaded(c, "FILE", name, bytes).await;
    let started = c.data(IMPORT, json!({"f": file["id"]})).await["importLeads"].clone();
    assert_eq!(
        (started["status"].as_str(), started["direction"].as_str(), started["module"].as_str()),
        (Some("QUEUED"), Some("IMPORT"), Some("LEADS"))
    );
    let _ = app;
    json!({"id": started["id"], "t": finished(c, &started["id"]).await})
}

pub async fn download(app: &TestApp, t: &Value) -> Vec<u8> {
    let url = local(app, t["resultFile"]["downloadUrl"].as_str().unwrap());
    app.http.get(url).send().await.unwrap().bytes().await.unwrap().to_vec()
}

pub fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn a_csv_import_reports_every_row_and_rules_take_what_it_creates() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let dept = app.department(&admin, "销售部", &app.root_id()).await;
    let seller = app.employee(&admin, "seller-a", &[dept], &[app.basic_role_id()]).await;
    admin
        .data(
            "mutation($i:LeadRuleInput!){createLeadRule(input:$i){id}}",
            json!({"i": {"name": "展会", "employeeIds": [seller], "conditions": {"items": [{"condition": {"field": "channel", "op": "EQ", "value": "展会"}}]}}}),
        )
        .await;
    crate::leads::lead(&admin, json!({"name": "已有", "mobile": "13800000005"})).await;
    let csv = "线索名称*,手机号,性别,公司,职位,渠道,邮箱,备注\n\
        张三,13800000001,男,东方科技,经理,展会,,\n\
        ,13800000002,,,,,,\n\
        李四,12ab,,,,,,\n\
        王五,13800000001,女,,,,,\n\
        赵六,13800000005,,,,,,\n\
        ,,,,,,,\n\
        孙七,,未知,西方贸易,,官网,sun@example.com,老客户介绍\n\
        周八,,保密,,,,,\n";
    let done = import(&app, &admin, "线索.csv", ["\u{FEFF}".as_bytes(), csv.as_bytes()].concat()).await;
    let t = &done["t"];
    assert_eq!((t["status"].as_str(), t["progress"].as_i64()), (Some("COMPLETED"), Some(100)));
    assert_eq!((t["totalRows"].as_i64(), t["succeededRows"].as_i64(), t["failedRows"].as_i64()), (Some(7), Some(2), Some(5)));
    assert_eq!(t["resultFile"]["name"], "导入结果_线索.csv");
    assert!(t["fileExpiresAt"].is_string());

    let rows = csv_rows(&download(&app, t).await);
    assert_eq!(rows[0][8..], ["导入结果", "失败原因"]);
    let results: Vec<(String, String)> = rows[1..].iter().map(|r| (r[8].clone(), r[9].clone())).collect();
    assert_eq!(
        results,
        [
            ("成功".into(), "".into()),
            ("失败".into(), "请填写线索名称（不超过50字）".into()),
            ("失败".into(), "手机号格式不正确（5-20位数字，可带+）".into()),
            ("失败".into(), "文件中手机号重复".into()),
            ("失败".into(), "该手机号已存在线索".into()),
            ("成功".into(), "".into()),
            ("失败".into(), "性别须为男、女或未知".into()),
        ]
    );
    // The 展会 lead went by the rule; the others wait.
    let v = admin.data("{leads(first:10){edges{node{name owner{userid} log{edges{node{kind detail}}}}}}}", json!({})).await;
    let got: Vec<(String, String)> = v["leads"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["name"].as_str().unwrap().into(), e["node"]["owner"]["userid"].as_str().unwrap_or("-").into()))
        .collect();
    assert_eq!(got, [("孙七".into(), "-".into()), ("张三".into(), "seller-a".into()), ("已有".into(), "-".into())]);

    // The operator's notices carry the transfer, and the centre lists it for them only.
    let n = admin
        .data("{alerts(category:NOTICE){edges{node{kind text transfer{status progress totalRows succeededRows failedRows}}}}}", json!({}))
        .await;
    let notice = n["alerts"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["kind"] == "IMPORT").unwrap()["node"].clone();
    assert_eq!(notice["text"], "线索导入完成：共7条记录,成功2失败5");
    assert_eq!(notice["transfer"], json!({"status": "COMPLETED", "progress": 100, "totalRows": 7, "succeededRows": 2, "failedRows": 5}));
    let listed = admin.data("{dataTransfers(direction:IMPORT){totalCount edges{node{fileName module}}}}", json!({})).await;
    assert_eq!(listed["dataTransfers"]["edges"][0]["node"], json!({"fileName": "线索.csv", "module": "LEADS"}));
    assert_eq!(admin.data("{dataTransfers(direction:EXPORT){totalCount}}", json!({})).await["dataTransfers"]["totalCount"], 0);
    let other = app.login_as("acme", "seller-a", PASSWORD).await;
    assert_eq!(other.data("{dataTransfers(direction:IMPORT){totalCount}}", json!({})).await["dataTransfers"]["totalCount"], 0);
    let (code, _, _) = other.error("query($id:ID!){dataTransfer(id:$id){id}}", json!({"id": done["id"]})).await;
    assert_eq!(code, "NOT_FOUND");

    // Seven days on, the result file goes; the transfer stays listed.
    app.state.clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    run_expiry(&app).await;
    let t = admin.data(TRANSFER, json!({"id": done["id"]})).await["dataTransfer"].clone();
    assert_eq!((t["status"].as_str(), &t["resultFile"]), (Some("COMPLETED"), &Value::Null));
    app.state.clock.advance(chrono::Duration::days(24));
    run_expiry(&app).await;
    let (code, _, _) = admin.error("query($id:ID!){dataTransfer(id:$id){id}}", json!({"id": done["id"]})).await;
    assert_eq!(code, "NOT_FOUND");
}

async fn run_expiry(app: &TestApp) {
    use sea_orm::EntityTrait;
    let job = app
        .state
        .jobs
        .enqueue::<wecrm::data_centre::ExpireTransfersJob>(&app.state.db, wecrm::jobs::NewJob::system(), &json!({}))
        .await
        .unwrap();
    for _ in 0..200 {
        let j = entity::job::Entity::find_by_id(job.id).one(&app.state.db).await.unwrap().unwrap();
        if j.status == "SUCCEEDED" {
            return;
        }
        assert_ne!(j.status, "FAILED", "{:?}", j.last_error);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expiry did not run");
}

fn xlsx(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v {
                Value::Number(n) => sheet.write_number(r as u32, c as u16, n.as_f64().unwrap()).map(|_| ()),
                Value::String(s) => sheet.write_string(r as u32, c as u16, s).map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_xlsx_import_reads_numbers_as_typed_and_a_foreign_header_fails_the_job() {
    use calamine::Reader;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The template itself, as a console downloads it.
    let template = app.http.get(app.url("/templates/leads.xlsx")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(template)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, wecrm::leads::import::COLUMNS);

    let rows = vec![
        vec![json!("手机号"), json!("线索名称")],
        vec![json!(13800000011u64), json!("数字手机号")],
        vec![json!("13800000012"), json!("文本手机号")],
        vec![json!(""), json!("")],
        vec![json!(12), json!("太短")],
    ];
    let done = import(&app, &admin, "leads.xlsx", xlsx(&rows)).await;
    let t = &done["t"];
    assert_eq!((t["succeededRows"].as_i64(), t["failedRows"].as_i64()), (Some(2), Some(1)));
    let mut result: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(download(&app, t).await)).unwrap();
    let range = result.worksheet_range_at(0).unwrap().unwrap();
    let got: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(got[0], ["手机号", "线索名称", "导入结果", "失败原因"]);
    assert_eq!(got[1], ["13800000011", "数字手机号", "成功", ""]);
    assert_eq!(got[3][2..], ["失败".to_string(), "手机号格式不正确（5-20位数字，可带+）".to_string()]);
    let v = admin.data("{leads(filter:{mobile:\"1380000001\"}){totalCount}}", json!({})).await;
    assert_eq!(v["leads"]["totalCount"], 2);

    let wrong = import(&app, &admin, "wrong.csv", "姓氏,电话\n张,1\n".as_bytes().to_vec()).await;
    let t = &wrong["t"];
    assert_eq!((t["status"].as_str(), t["error"]["reason"].as_str()), (Some("FAILED"), Some("IMPORT_TEMPLATE_MISMATCH")));
    assert_eq!(t["resultFile"], Value::Null);
}

#[tokio::test]
async fn the_customer_list_exports_with_its_filter_columns_and_custom_fields() {
    use calamine::Reader;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let seller = app.employee(&admin, "seller-a", &[app.root_id()], &[app.basic_role_id()]).await;
    let field = admin.data("mutation{createCustomField(input:{entity:CUSTOMER,name:\"预算\",fieldType:INTEGER}){id}}", json!({})).await
        ["createCustomField"]["id"]
        .clone();
    wecrm::customers::seed::customers(&app.state.db, &app.admin_scope(), 30, &[seller.parse().unwrap()], &[]).await.unwrap();
    let c0 = crate::pool::id_of(&app, "客户0").await;
    admin
        .data(
            "mutation($i:UpdateCustomerInput!){updateCustomer(input:$i){id}}",
            json!({"i": {"id": c0, "customFields": [{"fieldId": field, "value": 5000}]}}),
        )
        .await;
    let started = admin
        .data("mutation{exportCustomers(filter:{channel:\"展会\"},columns:[NAME,OWNER,CHANNEL,ADDERS]){id fileName module}}", json!({}))
        .await["exportCustomers"]
        .clone();
    assert!(started["fileName"].as_str().unwrap().ends_with(".xlsx"));
    let done = finished(&admin, &started["id"]).await;
    assert_eq!((done["status"].as_str(), done["totalRows"].as_i64()), (Some("COMPLETED"), Some(10)), "{done}");
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(download(&app, &done).await)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0], ["客户名称", "跟进人", "渠道", "添加人", "预算"]);
    let export_file = done["resultFile"]["id"].as_str().unwrap().to_string();
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[1], ["客户0", "seller-a", "展会", "seller-a", "5000"]);
    assert!(rows[1..].iter().all(|r| r[2] == "展会"));
    let n = admin.data("{alerts(category:NOTICE){edges{node{kind text}}}}", json!({})).await;
    let notice = n["alerts"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["kind"] == "EXPORT").unwrap()["node"].clone();
    assert_eq!(notice["text"], "客户导出完成：共10条记录");
    // Another employee's SELF scope exports only what it sees: nothing here.
    let role = app.role(&admin, "只看自己", &["customer", "customer.view"], "SELF", &[]).await;
    app.employee(&admin, "viewer", &[app.root_id()], &[role]).await;
    let viewer = app.login_as("acme", "viewer", PASSWORD).await;
    let mine = viewer.data("mutation{exportCustomers(format:CSV){id}}", json!({})).await["exportCustomers"]["id"].clone();
    let done = finished(&viewer, &mine).await;
    assert_eq!(done["totalRows"], 0);
    let rows = csv_rows(&download(&app, &done).await);
    assert_eq!(rows.len(), 1);
    // The admin's export stays the admin's: not by token, not as an attachment.
    let fetched =
        app.http.get(app.url(&format!("/files/{export_file}"))).bearer_auth(viewer.token.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(fetched.status(), 404);
    let own = app.http.get(app.url(&format!("/files/{export_file}"))).bearer_auth(admin.token.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn custom_field_columns_import_labels_paths_and_numbers_and_check_them_per_row() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let create = "mutation($i:CreateCustomFieldInput!){createCustomField(input:$i){id options{id label children{id label}}}}";
    let industry = admin
        .data(create, json!({"i": {"entity": "LEAD", "name": "行业", "fieldType": "SELECT", "required": true, "options": [{"label": "制造"}, {"label": "零售"}]}}))
        .await["createCustomField"]
        .clone();
    let region = admin
        .data(create, json!({"i": {"entity": "LEAD", "name": "地区", "fieldType": "CASCADE", "options": [{"label": "华东", "children": [{"label": "上海"}]}]}}))
        .await["createCustomField"]
        .clone();
    admin.data(create, json!({"i": {"entity": "LEAD", "name": "预算", "fieldType": "DECIMAL"}})).await;
    let v = admin.data("{leadImportColumns}", json!({})).await;
    assert_eq!(v["leadImportColumns"].as_array().unwrap()[8..], [json!("行业*"), json!("地区"), json!("预算")]);

    let csv = "线索名称*,手机号,行业*,地区,预算\n\
        张三,13800000001,零售,华东/上海,12.5\n\
        李四,,批发,,\n\
        王五,,制造,华东/北京,\n\
        赵六,,制造,,很多\n\
        孙七,,,,\n";
    let done = import(&app, &admin, "线索.csv", csv.as_bytes().to_vec()).await;
    let t = &done["t"];
    assert_eq!((t["succeededRows"].as_i64(), t["failedRows"].as_i64()), (Some(1), Some(4)), "{t}");
    let rows = csv_rows(&download(&app, t).await);
    let reasons: Vec<&str> = rows[1..].iter().map(|r| r[6].as_str()).collect();
    assert_eq!(reasons, ["", "行业：选项“批发”不存在", "地区：选项“北京”不存在", "预算：请输入数字", "行业为必填项"]);

    let v = admin.data("{leads(first:5){edges{node{name customFields{field{name} value}}}}}", json!({})).await;
    let lead = &v["leads"]["edges"][0]["node"];
    assert_eq!(lead["name"], "张三");
    let values: Vec<(String, Value)> = lead["customFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"]["name"].as_str().unwrap().to_string(), f["value"].clone()))
        .collect();
    let (retail, east, shanghai) = (&industry["options"][1]["id"], &region["options"][0]["id"], &region["options"][0]["children"][0]["id"]);
    assert_eq!(values, [("行业".into(), retail.clone()), ("地区".into(), json!([east, shanghai])), ("预算".into(), json!(12.5))]);

    // A column named twice fails the file: which cell counts would be a guess.
    let done = import(&app, &admin, "重复.csv", "线索名称*,行业,行业\n钱九,零售,制造\n".as_bytes().to_vec()).await;
    assert_eq!((done["t"]["status"].as_str(), done["t"]["error"]["reason"].as_str()), (Some("FAILED"), Some("IMPORT_COLUMN_REPEATED")));
}
