//! Materials, first part (#13): the category trees of MAT-2 and the
//! knowledge base of MAT-1/3/4/5.

use serde_json::{json, Value};

use crate::support::{TestApp, PASSWORD};

const CATEGORIES: &str =
    "query($l:MaterialLibrary!,$k:KnowledgeKind!){materialCategories(library:$l,kind:$k){id parentId name depth fixed sortIndex}}";
const CREATE_CATEGORY: &str = "mutation($l:MaterialLibrary!,$k:KnowledgeKind!,$p:ID,$n:String!){createMaterialCategory(library:$l,kind:$k,parentId:$p,name:$n){id depth sortIndex}}";
const CREATE_ITEM: &str = "mutation($l:MaterialLibrary!,$k:KnowledgeKind!,$i:KnowledgeItemInput!){createKnowledgeItem(library:$l,kind:$k,input:$i){id categoryId names similarQuestions content url sortIndex usageCount library kind}}";
const ITEMS: &str = "query($l:MaterialLibrary!,$k:KnowledgeKind!,$c:ID,$q:String){knowledgeItems(library:$l,kind:$k,categoryId:$c,keyword:$q){totalCount edges{node{id names content sortIndex}}}}";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_tree_has_a_fixed_root_and_uncategorised_four_levels_and_refuses_deleting_what_is_not_empty() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let vars = |extra: Value| {
        let mut v = json!({"l": "PUBLIC", "k": "SCRIPT"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let tree = a.data(CATEGORIES, vars(json!({}))).await["materialCategories"].clone();
    assert_eq!(tree.as_array().unwrap().len(), 2, "{tree}");
    assert_eq!(tree[0]["name"], "全部问题");
    assert_eq!(tree[0]["depth"], 0);
    assert!(tree[0]["parentId"].is_null());
    assert_eq!(tree[1]["name"], "未分类");
    assert_eq!(tree[1]["parentId"], tree[0]["id"]);
    let (root, uncategorised) = (id(&tree[0]), id(&tree[1]));
    // Each kind has its own tree.
    let phrases = a.data(CATEGORIES, json!({"l": "PUBLIC", "k": "PHRASE"})).await["materialCategories"].clone();
    assert_ne!(id(&phrases[0]), root);

    // The fixed two are neither renamed nor deleted, nor does 未分类 take children.
    for fixed in [&root, &uncategorised] {
        let (code, msg, _) = a.error("mutation($id:ID!){renameMaterialCategory(id:$id,name:\"x\"){id}}", json!({"id": fixed})).await;
        assert_eq!((code.as_str(), msg.contains("未分类")), ("CONFLICT", true), "{msg}");
        let (code, _, _) = a.error("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": fixed})).await;
        assert_eq!(code, "CONFLICT");
    }
    let (code, _, _) = a.error(CREATE_CATEGORY, vars(json!({"p": uncategorised, "n": "x"}))).await;
    assert_eq!(code, "CONFLICT");

    // Four levels below the root, no fifth; names 1-30 characters.
    let mut parent: Option<String> = None;
    for level in 1..=4 {
        let c = a.data(CREATE_CATEGORY, vars(json!({"p": parent, "n": format!("L{level}")}))).await["createMaterialCategory"].clone();
        assert_eq!(c["depth"], level);
        parent = Some(id(&c));
    }
    let (code, msg, field) = a.error(CREATE_CATEGORY, vars(json!({"p": parent, "n": "L5"}))).await;
    assert_eq!((code.as_str(), msg.as_str(), field.as_deref()), ("BAD_USER_INPUT", "分类最多4级", Some("parentId")));
    let (code, _, field) = a.error(CREATE_CATEGORY, vars(json!({"n": "名".repeat(31)}))).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("name")));

    // Siblings: new ones go last; a decimal sort index reorders them.
    let b = a.data(CREATE_CATEGORY, vars(json!({"n": "B"}))).await["createMaterialCategory"].clone();
    let c = a.data(CREATE_CATEGORY, vars(json!({"n": "C"}))).await["createMaterialCategory"].clone();
    assert!(c["sortIndex"].as_f64() > b["sortIndex"].as_f64());
    a.data("mutation($id:ID!){setMaterialCategorySortIndex(id:$id,sortIndex:0.5){id}}", json!({"id": id(&c)})).await;
    let top: Vec<String> = a.data(CATEGORIES, vars(json!({}))).await["materialCategories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["depth"] == 1 && x["fixed"] == false)
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(top, ["C", "L1", "B"]);

    // Not empty: children or entries. Empty: deleted.
    let l1 = a.data(CATEGORIES, vars(json!({}))).await["materialCategories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "L1")
        .map(id)
        .unwrap();
    let (code, msg, _) = a.error("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": l1})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "请先清除该分类下内容在进行删除"));
    a.data(CREATE_ITEM, vars(json!({"i": {"categoryId": id(&b), "names": ["Q"], "content": "A"}}))).await;
    let (code, _, _) = a.error("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": id(&b)})).await;
    assert_eq!(code, "CONFLICT");
    a.data("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": id(&c)})).await;
    // A category of another tree is not this tree's.
    let (code, _, _) = a.error(CREATE_CATEGORY, json!({"l": "PUBLIC", "k": "PHRASE", "p": id(&b), "n": "x"})).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn scripts_phrases_and_links_are_checked_searched_sorted_and_counted() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let script = |i: Value| json!({"l": "PUBLIC", "k": "SCRIPT", "i": i});
    // Scripts: a question name and an answer of at most 300 characters.
    let (code, _, field) = a.error(CREATE_ITEM, script(json!({"names": [], "content": "A"}))).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("names")));
    let (code, _, field) = a.error(CREATE_ITEM, script(json!({"names": ["Q"], "content": "长".repeat(301)}))).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("content")));
    let first = a
        .data(
            CREATE_ITEM,
            script(json!({"names": ["怎么退货", "退货流程"], "similarQuestions": ["可以退吗"], "content": "七天无理由退货"})),
        )
        .await["createKnowledgeItem"]
        .clone();
    assert_eq!(first["names"], json!(["怎么退货", "退货流程"]));
    assert_eq!(first["usageCount"], 0);
    let uncategorised = a.data(CATEGORIES, json!({"l": "PUBLIC", "k": "SCRIPT"})).await["materialCategories"][1]["id"].clone();
    assert_eq!(first["categoryId"], uncategorised, "no category: 未分类");
    let second =
        a.data(CREATE_ITEM, script(json!({"names": ["Shipping time"], "content": "Two days"}))).await["createKnowledgeItem"].clone();
    assert!(second["sortIndex"].as_f64() > first["sortIndex"].as_f64(), "new entries go last");

    // Keyword over names, similar questions and content; case-insensitive on both databases; % is literal.
    for (keyword, expected) in [("退货", 1), ("可以退", 1), ("shipping", 1), ("TWO", 1), ("%", 0), ("", 2)] {
        let v = a.data(ITEMS, json!({"l": "PUBLIC", "k": "SCRIPT", "q": keyword})).await;
        assert_eq!(v["knowledgeItems"]["totalCount"], expected, "{keyword}");
    }
    // A decimal sort index moves an entry; the list follows it.
    a.data(
        "mutation($id:ID!,$i:KnowledgeItemInput!){updateKnowledgeItem(id:$id,input:$i){id}}",
        json!({"id": second["id"], "i": {"names": ["Shipping time"], "content": "Two days", "sortIndex": 0.17}}),
    )
    .await;
    let v = a.data(ITEMS, json!({"l": "PUBLIC", "k": "SCRIPT"})).await;
    assert_eq!(v["knowledgeItems"]["edges"][0]["node"]["id"], second["id"]);

    // Phrases need text; links a name and an http(s) URL that stays as created.
    let (code, _, field) = a.error(CREATE_ITEM, json!({"l": "PUBLIC", "k": "PHRASE", "i": {"content": " "}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("content")));
    let link = |i: Value| json!({"l": "PUBLIC", "k": "LINK", "i": i});
    let (code, _, field) = a.error(CREATE_ITEM, link(json!({"names": ["官网"], "url": "javascript:alert(1)"}))).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("url")));
    let l = a.data(CREATE_ITEM, link(json!({"names": ["官网"], "url": "https://example.com/a"}))).await["createKnowledgeItem"].clone();
    let v = a
        .data(
            "mutation($id:ID!,$i:KnowledgeItemInput!){updateKnowledgeItem(id:$id,input:$i){names url}}",
            json!({"id": l["id"], "i": {"names": ["新官网"], "url": "https://evil.example/"}}),
        )
        .await;
    assert_eq!(v["updateKnowledgeItem"], json!({"names": ["新官网"], "url": "https://example.com/a"}));

    // Uses are counted, concurrent ones all.
    let uses = (0..5).map(|_| a.gql("mutation($id:ID!){recordKnowledgeItemUse(id:$id){usageCount}}", json!({"id": first["id"]})));
    futures_util::future::join_all(uses).await;
    let v = a.data("query($id:ID!){knowledgeItem(id:$id){usageCount}}", json!({"id": first["id"]})).await;
    assert_eq!(v["knowledgeItem"]["usageCount"], 5);

    // A category filter takes the category and those below it.
    let top = a.data(CREATE_CATEGORY, json!({"l": "PUBLIC", "k": "SCRIPT", "n": "售后"})).await["createMaterialCategory"]["id"].clone();
    let sub =
        a.data(CREATE_CATEGORY, json!({"l": "PUBLIC", "k": "SCRIPT", "p": top, "n": "退款"})).await["createMaterialCategory"]["id"].clone();
    a.data(CREATE_ITEM, script(json!({"categoryId": sub, "names": ["退款多久到账"], "content": "三个工作日"}))).await;
    let v = a.data(ITEMS, json!({"l": "PUBLIC", "k": "SCRIPT", "c": top})).await;
    assert_eq!(v["knowledgeItems"]["totalCount"], 1);
    a.data("mutation($id:ID!){deleteKnowledgeItem(id:$id){id}}", json!({"id": second["id"]})).await;
    let v = a.data("query($id:ID!){knowledgeItem(id:$id){id}}", json!({"id": second["id"]})).await;
    assert!(v["knowledgeItem"].is_null());
}

#[tokio::test]
async fn personal_entries_are_their_owners_and_the_public_library_needs_the_permission_to_change() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let root = app.root_id();
    app.employee(&a, "zhang", &[root.clone()], &[app.basic_role_id()]).await;
    app.employee(&a, "li", &[root.clone()], &[app.basic_role_id()]).await;
    let zhang = app.login_as("acme", "zhang", PASSWORD).await;
    let li = app.login_as("acme", "li", PASSWORD).await;

    let mine = zhang.data(CREATE_ITEM, json!({"l": "PERSONAL", "k": "PHRASE", "i": {"content": "您好，我是小张"}})).await
        ["createKnowledgeItem"]
        .clone();
    assert_eq!(mine["library"], "PERSONAL");
    let folder =
        zhang.data(CREATE_CATEGORY, json!({"l": "PERSONAL", "k": "PHRASE", "n": "问候"})).await["createMaterialCategory"]["id"].clone();
    // Li's personal library is Li's alone; Zhang's entry and folder do not exist for Li.
    let v = li.data(ITEMS, json!({"l": "PERSONAL", "k": "PHRASE"})).await;
    assert_eq!(v["knowledgeItems"]["totalCount"], 0);
    let v = li.data("query($id:ID!){knowledgeItem(id:$id){id}}", json!({"id": mine["id"]})).await;
    assert!(v["knowledgeItem"].is_null());
    for (q, vars) in [
        ("mutation($id:ID!){recordKnowledgeItemUse(id:$id){id}}", json!({"id": mine["id"]})),
        ("mutation($id:ID!){deleteKnowledgeItem(id:$id){id}}", json!({"id": mine["id"]})),
        ("mutation($id:ID!){renameMaterialCategory(id:$id,name:\"x\"){id}}", json!({"id": folder})),
        ("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": folder})),
    ] {
        assert_eq!(li.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    // Even the super admin does not read someone's personal library.
    let v = a.data(ITEMS, json!({"l": "PERSONAL", "k": "PHRASE"})).await;
    assert_eq!(v["knowledgeItems"]["totalCount"], 0);

    // The public library: read by all, changed only with material.knowledge.manage.
    let public =
        a.data(CREATE_ITEM, json!({"l": "PUBLIC", "k": "PHRASE", "i": {"content": "欢迎咨询"}})).await["createKnowledgeItem"].clone();
    let v = li.data(ITEMS, json!({"l": "PUBLIC", "k": "PHRASE"})).await;
    assert_eq!(v["knowledgeItems"]["totalCount"], 1);
    li.data("mutation($id:ID!){recordKnowledgeItemUse(id:$id){id}}", json!({"id": public["id"]})).await;
    let (code, _, _) = li.error(CREATE_ITEM, json!({"l": "PUBLIC", "k": "PHRASE", "i": {"content": "x"}})).await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(li.error("mutation($id:ID!){deleteKnowledgeItem(id:$id){id}}", json!({"id": public["id"]})).await.0, "FORBIDDEN");
    let editors = app.role(&a, "素材管理员", &["material.knowledge.manage"], "SELF", &[]).await;
    let wang = app.employee(&a, "wang", &[root], &[editors]).await;
    assert!(!wang.is_empty());
    let wang = app.login_as("acme", "wang", PASSWORD).await;
    wang.data(CREATE_ITEM, json!({"l": "PUBLIC", "k": "PHRASE", "i": {"content": "新的常用语"}})).await;
}

/// A page of entries costs the same statements however many it holds.
#[tokio::test]
async fn a_page_of_entries_costs_a_fixed_number_of_statements() {
    // No job workers: their polling would count too.
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let a = app.admin().await;
    let page = "query($c:ID){knowledgeItems(library:PUBLIC,kind:PHRASE,categoryId:$c,keyword:\"好\",first:100){totalCount edges{node{id names content usageCount}}}}";
    let uncategorised = a.data(CATEGORIES, json!({"l": "PUBLIC", "k": "PHRASE"})).await["materialCategories"][1]["id"].clone();
    let mut costs = Vec::new();
    for n in [1, 30] {
        while a.data(page, json!({"c": uncategorised})).await["knowledgeItems"]["totalCount"].as_i64().unwrap() < n {
            a.data(CREATE_ITEM, json!({"l": "PUBLIC", "k": "PHRASE", "i": {"content": "你好"}})).await;
        }
        a.data(page, json!({"c": uncategorised})).await; // warm any lazy statement
        let before = app.state.statements.get();
        let v = a.data(page, json!({"c": uncategorised})).await;
        costs.push(app.state.statements.get() - before);
        assert_eq!(v["knowledgeItems"]["totalCount"], n);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
}

const CREATE_FOLDER_ITEM: &str =
    "mutation($i:CreateFolderItemInput!){createFolderItem(input:$i){id kind categoryId title url radarEnabled viewCount viewerCount}}";
const SHARE: &str = "mutation($id:ID!,$c:ID){shareFolderItem(id:$id,customerId:$c){url tracked item{title}}}";

async fn customer_named(w: &crate::wecom::World, name: &str) -> entity::customer::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::customer::Entity::find().filter(entity::customer::Column::Name.eq(name)).one(&w.app.state.db).await.unwrap().unwrap()
}

#[tokio::test]
async fn folder_items_are_checked_and_only_web_links_take_the_radar() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let (code, _, field) =
        a.error(CREATE_FOLDER_ITEM, json!({"i": {"kind": "WEB_LINK", "title": "官网", "url": "ftp://example.com"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("url")));
    let (code, _, field) = a.error(CREATE_FOLDER_ITEM, json!({"i": {"kind": "MINI_PROGRAM", "title": "商城", "appid": "wx123"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("appid")));
    let (code, _, field) = a
        .error(
            CREATE_FOLDER_ITEM,
            json!({"i": {"kind": "MINI_PROGRAM", "title": "商城", "appid": "wx123", "pagePath": "pages/index", "radarEnabled": true}}),
        )
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("radarEnabled")));
    let mp = a
        .data(CREATE_FOLDER_ITEM, json!({"i": {"kind": "MINI_PROGRAM", "title": "商城", "appid": "wx123", "pagePath": "pages/index"}}))
        .await["createFolderItem"]
        .clone();
    let uncategorised = a.data("{folderCategories{id fixed name}}", json!({})).await["folderCategories"][1].clone();
    assert_eq!((uncategorised["name"].as_str(), &mp["categoryId"]), (Some("未分类"), &uncategorised["id"]));
    let top = a.data("mutation{createFolderCategory(name:\"产品\"){id}}", json!({})).await["createFolderCategory"]["id"].clone();
    let link = a
        .data(
            CREATE_FOLDER_ITEM,
            json!({"i": {"kind": "WEB_LINK", "title": "产品手册", "url": "https://example.com/a", "categoryId": top}}),
        )
        .await["createFolderItem"]
        .clone();
    let v = a
        .data(
            "mutation($id:ID!){updateFolderItem(id:$id,title:\"新版产品手册\",radarEnabled:true){title url radarEnabled}}",
            json!({"id": link["id"]}),
        )
        .await;
    assert_eq!(v["updateFolderItem"], json!({"title": "新版产品手册", "url": "https://example.com/a", "radarEnabled": true}));
    let v = a.data("query($c:ID!){folderItems(categoryId:$c,keyword:\"手册\"){totalCount}}", json!({"c": top})).await;
    assert_eq!(v["folderItems"]["totalCount"], 1);
    // A category holding items is not deleted; the folder needs its permission to change.
    let (code, _, _) = a.error("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": top})).await;
    assert_eq!(code, "CONFLICT");
    app.employee(&a, "zhao", &[app.root_id()], &[app.basic_role_id()]).await;
    let zhao = app.login_as("acme", "zhao", PASSWORD).await;
    assert_eq!(zhao.data("{folderItems{totalCount}}", json!({})).await["folderItems"]["totalCount"], 2, "everyone reads the folder");
    assert_eq!(
        zhao.error(CREATE_FOLDER_ITEM, json!({"i": {"kind": "WEB_LINK", "title": "x", "url": "https://x.example"}})).await.0,
        "FORBIDDEN"
    );
    assert_eq!(zhao.error("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": top})).await.0, "FORBIDDEN");
    // Without the radar, a share is the plain link and records nothing.
    let plain = zhao.data(SHARE, json!({"id": mp["id"]})).await["shareFolderItem"].clone();
    assert_eq!(plain, json!({"url": null, "tracked": false, "item": {"title": "商城"}}));
}

#[tokio::test]
async fn a_tracked_link_opened_by_the_customer_reaches_the_timeline_the_counts_and_the_senders_radar() {
    // user00001 (dept 2) added 客户1; user00002 (dept 3) added 客户2.
    let w = crate::wecom::world_with_customers(2, 3, 12).await;
    assert_eq!(crate::wecom::sync(&w).await["status"], "SUCCEEDED");
    let role = crate::alerts::scoped_role(&w).await;
    let (sender_id, sender) = crate::alerts::open_member(&w, "user00001", &role).await;
    let item = w
        .admin
        .data(
            CREATE_FOLDER_ITEM,
            json!({"i": {"kind": "WEB_LINK", "title": "新品手册", "url": "https://example.com/brochure", "radarEnabled": true}}),
        )
        .await["createFolderItem"]["id"]
        .clone();
    let (mine, theirs) = (customer_named(&w, "客户1").await, customer_named(&w, "客户2").await);
    // A customer outside the sender's data scope cannot be shared to.
    let (code, _, field) = sender.error(SHARE, json!({"id": item, "c": theirs.id.to_string()})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("NOT_FOUND", Some("customerId")));

    let mut radar = crate::alerts::subscribe(&w.app, &sender, "radarAlerts").await;
    let shared = sender.data(SHARE, json!({"id": item, "c": mine.id.to_string()})).await["shareFolderItem"].clone();
    assert_eq!(shared["tracked"], true);
    let url = shared["url"].as_str().unwrap();
    let token = url.rsplit("/r/").next().unwrap();
    assert_eq!(token.len(), 48, "{url}");

    // Opened twice (a replay): views, one viewer, timeline entries credited to the sender.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for _ in 0..2 {
        let r = http.get(w.app.url(&format!("/r/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()["location"], "https://example.com/brochure");
    }
    // Ten more at once (they share a transaction): each counted, still one viewer.
    let opens = (0..10).map(|_| http.get(w.app.url(&format!("/r/{token}"))).send());
    assert!(futures_util::future::join_all(opens).await.into_iter().all(|r| r.unwrap().status() == 302));
    let alert = crate::alerts::next_alert(&mut radar, "radarAlerts", 10).await.expect("the sender is alerted");
    assert_eq!(alert["kind"], "MATERIAL");
    assert_eq!(alert["customer"]["name"], "客户1");
    assert!(alert["text"].as_str().unwrap().contains("新品手册"), "{alert}");
    let v = w.admin.data("{folderItems{edges{node{viewCount viewerCount}}}}", json!({})).await;
    assert_eq!(v["folderItems"]["edges"][0]["node"], json!({"viewCount": 12, "viewerCount": 1}));
    let v = w
        .admin
        .data(
            "query($id:ID!){customer(id:$id){timeline(kinds:[MATERIAL_VIEWED]){totalCount edges{node{kind employee{name}}}}}}",
            json!({"id": mine.id.to_string()}),
        )
        .await;
    assert_eq!(v["customer"]["timeline"]["totalCount"], 12, "{v}");
    let sender_name = w.admin.data("query($id:ID!){employee(id:$id){name}}", json!({"id": sender_id})).await["employee"]["name"].clone();
    assert_eq!(v["customer"]["timeline"]["edges"][0]["node"]["employee"]["name"], sender_name);

    // A forged or malformed token records nothing and says so.
    for bad in ["0".repeat(48), "not-a-token".into()] {
        let r = http.get(w.app.url(&format!("/r/{bad}"))).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
    let v = w.admin.data("{folderItems{edges{node{viewCount}}}}", json!({})).await;
    assert_eq!(v["folderItems"]["edges"][0]["node"]["viewCount"], 12);
}
