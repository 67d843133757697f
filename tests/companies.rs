//! Companies (CRM-9) and industry types (CFG-11).

use serde_json::json;

use crate::leads::refused;
use crate::pool::{id_of, shop};
use crate::support::PASSWORD;

const CREATE: &str = "mutation($i:CompanyInput!){createCompany(input:$i){id name phone website staffSize industry{name preset}}}";

#[tokio::test]
async fn companies_are_checked_listed_and_linked_to_customers_in_scope() {
    let s = shop().await;
    let admin = &s.admin;
    let inds = admin.data("{industries{id name preset}}", json!({})).await["industries"].clone();
    assert_eq!(inds.as_array().unwrap().len(), 17);
    assert_eq!(inds[0], json!({"id": inds[0]["id"], "name": "金融", "preset": true}));
    let (code, reason, _) =
        refused(admin, "mutation($id:ID!){renameIndustry(id:$id,name:\"银行\"){id}}", json!({"id": inds[0]["id"]})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "INDUSTRY_PRESET_FIXED"));
    let own = admin.data("mutation{createIndustry(name:\"新能源\"){id preset}}", json!({})).await["createIndustry"].clone();
    assert_eq!(own["preset"], false);
    assert_eq!(refused(admin, "mutation{createIndustry(name:\"新能源\"){id}}", json!({})).await.1, "INDUSTRY_NAME_TAKEN");
    admin.data("mutation($id:ID!){renameIndustry(id:$id,name:\"新能源汽车\"){name}}", json!({"id": own["id"]})).await;

    for (input, reason, field) in [
        (json!({"name": " "}), "COMPANY_NAME_INVALID", "input.name"),
        (json!({"name": "甲", "phone": "电话"}), "COMPANY_PHONE_INVALID", "input.phone"),
        (json!({"name": "甲", "website": "example.com"}), "COMPANY_WEBSITE_INVALID", "input.website"),
        (json!({"name": "甲", "staffSize": "很多"}), "COMPANY_STAFF_SIZE_INVALID", "input.staffSize"),
    ] {
        let (_, r, f) = refused(admin, CREATE, json!({"i": input})).await;
        assert_eq!((r.as_str(), f.as_deref()), (reason, Some(field)));
    }
    let full = json!({"name": "上海示例科技有限公司", "shortName": "示例科技", "phone": "021-5555 0000", "website": "https://example.com", "province": "上海", "city": "上海",
        "address": "浦东新区张江路1号", "industryId": inds[5]["id"], "staffSize": "100-499", "level": "A"});
    let c = admin.data(CREATE, json!({"i": full})).await["createCompany"].clone();
    assert_eq!(c["industry"], json!({"name": "软件工具", "preset": true}));
    admin.data(CREATE, json!({"i": {"name": "北京示例贸易有限公司", "address": "朝阳区"}})).await;
    let (code, reason, _) = refused(admin, CREATE, json!({"i": {"name": "上海示例科技有限公司"}})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "COMPANY_NAME_TAKEN"));
    let names = |v: &serde_json::Value| {
        v["companies"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&admin.data("{companies(filter:{name:\"示例科技\"}){edges{node{name}}}}", json!({})).await), ["上海示例科技有限公司"]);
    assert_eq!(names(&admin.data("{companies(filter:{address:\"朝阳\"}){edges{node{name}}}}", json!({})).await), ["北京示例贸易有限公司"]);
    let by_industry = admin.data("query($i:ID!){companies(filter:{industryId:$i}){totalCount}}", json!({"i": inds[5]["id"]})).await;
    assert_eq!(by_industry["companies"]["totalCount"], 1);

    // a links its own customer; b cannot touch it; the company lists what each caller sees.
    let c2 = id_of(&s.app, "客户2").await;
    let link = "mutation($c:ID!,$co:ID){setCustomerCompany(customerId:$c,companyId:$co){name companyId}}";
    let v = s.a.data(link, json!({"c": c2, "co": c["id"]})).await;
    assert_eq!(v["setCustomerCompany"]["companyId"], c["id"]);
    assert_eq!(refused(&s.b, link, json!({"c": c2, "co": c["id"]})).await.0, "NOT_FOUND");
    let role = s.app.role(admin, "企业查看", &["crm", "crm.company.view", "customer", "customer.view"], "SELF", &[]).await;
    s.app.employee(admin, "outsider", &[s.east.clone()], &[role]).await;
    let outsider = s.app.login_as("acme", "outsider", PASSWORD).await;
    let q = "query($id:ID!){company(id:$id){name customers{totalCount edges{node{name}}}}}";
    assert_eq!(admin.data(q, json!({"id": c["id"]})).await["company"]["customers"]["totalCount"], 1);
    assert_eq!(outsider.data(q, json!({"id": c["id"]})).await["company"]["customers"]["totalCount"], 0);
    assert_eq!(refused(&outsider, CREATE, json!({"i": {"name": "x"}})).await.0, "FORBIDDEN");
    // Without the customer list's permission a company shows no customers at all.
    let bare = s.app.role(admin, "只看企业", &["crm", "crm.company.view"], "ALL", &[]).await;
    s.app.employee(admin, "company-only", &[s.east.clone()], &[bare]).await;
    let company_only = s.app.login_as("acme", "company-only", PASSWORD).await;
    assert_eq!(refused(&company_only, q, json!({"id": c["id"]})).await.0, "FORBIDDEN");

    // Deleting the company unlinks its customers.
    admin.data("mutation($id:ID!){deleteCompany(id:$id){id}}", json!({"id": c["id"]})).await;
    let v = admin.data("query($id:ID!){customer(id:$id){companyId}}", json!({"id": c2})).await;
    assert_eq!(v["customer"]["companyId"], serde_json::Value::Null);
}
