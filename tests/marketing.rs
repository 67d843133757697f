//! Marketing materials (MAT-8…12) and the radar path of their H5 pages
//! (MAT-7, EMP-2, EMP-5): editors' rules, visibility by department, and one
//! walk over real HTTP and WebSocket from a share to a second viewer's form.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::support::{Client, TestApp};
use crate::wecom::World;

const CREATE: &str =
    "mutation($i:MarketingMaterialInput!){createMarketingMaterial(input:$i){id status kind tagRules{trigger tagIds} departmentIds}}";
const PUBLISH: &str = "mutation($id:ID!){publishMarketingMaterial(id:$id){status publishedAt}}";
const WITHDRAW: &str = "mutation($id:ID!){withdrawMarketingMaterial(id:$id){status}}";
const SHARE: &str = "mutation($id:ID!,$c:ID){shareMarketingMaterial(id:$id,customerId:$c){url title description personalisedContent}}";
const PAGE: &str = "query($v:String!){radarPage(visit:$v){kind title senderName staySeconds reachedBottom content jump{kind title}}}";
const BEAT: &str = "mutation($v:String!){radarHeartbeat(visit:$v)}";

/// The key the H5 page's server signs viewer identities with, in these tests.
const IDENTITY_KEY: &str = "h5-server-identity-key";

/// `radarIdentify` for a unionid, signed as the H5 page's server would.
fn identify(visit: &str, unionid: &str) -> (&'static str, Value) {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2_11::Sha256>::new_from_slice(IDENTITY_KEY.as_bytes()).unwrap();
    mac.update(wecrm::materials::behaviour::identity_message(visit, None, Some(unionid)).as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    (
        "mutation($v:String!,$u:String,$s:String!){radarIdentify(visit:$v,unionid:$u,signature:$s)}",
        json!({"v": visit, "u": unionid, "s": signature}),
    )
}

fn form() -> Value {
    json!({"components": [
        {"id": "name", "type": "TEXT", "label": "姓名", "required": true},
        {"id": "phone", "type": "PHONE", "label": "手机号", "required": true},
        {"id": "city", "type": "SELECT", "label": "城市", "options": ["上海", "杭州"]}
    ]})
}

async fn create(c: &Client, input: Value) -> String {
    let v = c.data(CREATE, json!({"i": input})).await;
    v["createMarketingMaterial"]["id"].as_str().unwrap().to_string()
}

async fn published(c: &Client, input: Value) -> String {
    let id = create(c, input).await;
    assert_eq!(c.data(PUBLISH, json!({"id": id})).await["publishMarketingMaterial"]["status"], "PUBLISHED");
    id
}

/// The visit key of the page an open of `url` lands on.
async fn open(w: &World, url: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = url.rsplit("/r/").next().unwrap();
    let r = http.get(w.app.url(&format!("/r/{token}"))).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("/h5/radar?visit="), "{location}");
    location.rsplit("visit=").next().unwrap().to_string()
}

async fn department_id(c: &Client, name: &str) -> String {
    let v = c.data("{departments(first:100){edges{node{id name}}}}", json!({})).await;
    let edges = v["departments"]["edges"].as_array().unwrap();
    edges.iter().find(|d| d["node"]["name"] == name).unwrap_or_else(|| panic!("no {name}: {v}"))["node"]["id"].as_str().unwrap().to_string()
}

async fn tag_ids(c: &Client) -> HashMap<String, String> {
    let v = c.data("{corpTagGroups{tags{id name}}}", json!({})).await;
    let mut out = HashMap::new();
    for g in v["corpTagGroups"].as_array().unwrap() {
        for t in g["tags"].as_array().unwrap() {
            out.insert(t["name"].as_str().unwrap().to_string(), t["id"].as_str().unwrap().to_string());
        }
    }
    out
}

/// Waits for `n` tagging jobs to succeed; then the WeCom tag ids on the
/// sandbox's follow relations of the contact named `name`.
async fn tags_on_wecom(w: &World, n: usize, name: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for _ in 0..200 {
        let jobs =
            entity::job::Entity::find().filter(entity::job::Column::Kind.eq("materials.radar_tags")).all(&w.app.state.db).await.unwrap();
        if jobs.len() == n && jobs.iter().all(|j| j.status == "SUCCEEDED") {
            let mut tags: Vec<String> = w
                .sandbox
                .with_corp(crate::wecom::WECOM_CORP, |c| {
                    let ext = c.contacts.values().find(|x| x.name == name).unwrap().external_userid.clone();
                    c.follows.iter().filter(|(e, _)| *e == ext).flat_map(|(_, f)| f.tag_id.clone()).collect()
                })
                .unwrap();
            tags.sort();
            tags.dedup();
            return tags;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the {n} tagging jobs did not all succeed");
}

#[tokio::test]
async fn the_radar_path_from_a_share_to_a_second_viewers_form_is_recorded_exactly() {
    // user00001 (销售部) added 客户1 and 客户4 (unionid union4); user00002 is in 客服部.
    let w = crate::wecom::world_configured(2, 3, 12, |c| c.radar_identity_key = Some(IDENTITY_KEY.to_string().into())).await;
    assert_eq!(crate::wecom::sync(&w).await["status"], "SUCCEEDED");
    let a = &w.admin;
    let role = crate::alerts::scoped_role(&w).await;
    let (_, sender) = crate::alerts::open_member(&w, "user00001", &role).await;
    let (_, other) = crate::alerts::open_member(&w, "user00002", &role).await;
    let sender_name = sender.data("{me{name}}", json!({})).await["me"]["name"].clone();
    let tags = tag_ids(a).await;
    let (enter, stay, share_tag) = (tags["重要"].clone(), tags["普通"].clone(), tags["转介绍"].clone());
    let form_id = published(a, json!({"kind": "FORM", "title": "预约试驾", "content": form()})).await;
    let sales = department_id(a, "销售部").await;
    let article = published(
        a,
        json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "新车发布", "summary": "全新车型", "content": {"body": "<p>正文</p>"},
               "jumpMaterialId": form_id, "visibleToAll": false, "departmentIds": [sales],
               "tagRules": [{"trigger": "ENTER_PAGE", "tagIds": [enter]}, {"trigger": "STAY_OVER_15S", "tagIds": [stay]},
                            {"trigger": "SHARE", "tagIds": [share_tag]}]}),
    )
    .await;
    let customer1 = crate::customers::customer_id(a, "客户1").await;
    let customer4 = crate::customers::customer_id(a, "客户4").await;

    // 客服部 is outside the article's audience; the sender's 销售部 is in it.
    let (code, _, _) = other.error(SHARE, json!({"id": article})).await;
    assert_eq!(code, "NOT_FOUND");
    let mut radar = crate::alerts::subscribe(&w.app, &sender, "radarAlerts").await;
    let shared = sender.data(SHARE, json!({"id": article, "c": customer1})).await["shareMarketingMaterial"].clone();
    assert_eq!((shared["title"].as_str(), shared["description"].as_str()), (Some("新车发布"), Some("全新车型")));

    // The customer opens it: the page shows the article, its form and the sender.
    let visit = open(&w, shared["url"].as_str().unwrap()).await;
    let anon = w.app.anonymous();
    let page = anon.data(PAGE, json!({"v": visit})).await["radarPage"].clone();
    assert_eq!(page["title"], "新车发布");
    assert_eq!(page["senderName"], sender_name);
    assert_eq!(page["jump"], json!({"kind": "FORM", "title": "预约试驾"}));
    // A claimed identity proves nothing: only the H5 server's signature names the viewer.
    let (q, mut vars) = identify(&visit, "union1");
    vars["s"] = json!("00".repeat(32));
    let (code, _, field) = anon.error(q, vars).await;
    assert_eq!((code.as_str(), field.as_deref()), ("FORBIDDEN", Some("signature")));
    let (q, mut vars) = identify(&visit, "union1");
    vars["u"] = json!("union4");
    assert_eq!(anon.error(q, vars).await.0, "FORBIDDEN", "a signature covers the ids it was made for");
    let (q, vars) = identify(&visit, "union1");
    assert_eq!(anon.data(q, vars.clone()).await["radarIdentify"], true);
    assert_eq!(anon.data(q, vars).await["radarIdentify"], true, "identifying again records nothing more");

    // 20 s of heartbeats every 5 s on the test clock; a beat too soon is refused and credits nothing.
    let mut stays = Vec::new();
    for _ in 0..4 {
        w.app.state.clock.advance(chrono::Duration::seconds(5));
        stays.push(anon.data(BEAT, json!({"v": visit})).await["radarHeartbeat"].as_i64().unwrap());
    }
    assert_eq!(stays, [5, 10, 15, 20]);
    let (code, _, field) = anon.error(BEAT, json!({"v": visit})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("RATE_LIMITED", Some("visit")));
    for _ in 0..2 {
        anon.data("mutation($v:String!){radarReachedBottom(visit:$v)}", json!({"v": visit})).await;
    }
    let child =
        anon.data("mutation($v:String!){radarShare(visit:$v)}", json!({"v": visit})).await["radarShare"].as_str().unwrap().to_string();
    let again = anon.data("mutation($v:String!){radarShare(visit:$v)}", json!({"v": visit})).await["radarShare"].clone();
    assert_eq!(again, child, "one re-share link per viewer");
    let page = anon.data(PAGE, json!({"v": visit})).await["radarPage"].clone();
    assert_eq!((page["staySeconds"].as_i64(), page["reachedBottom"].as_bool()), (Some(20), Some(true)));

    // A second viewer through the re-shared link, identified by OAuth, fills in the form.
    let visit2 = open(&w, &child).await;
    let (q, vars) = identify(&visit2, "union4");
    assert_eq!(anon.data(q, vars).await["radarIdentify"], true);
    let submit = "mutation($v:String!,$a:JSON!){radarSubmitForm(visit:$v,answers:$a){id}}";
    let (code, _, field) = anon.error(submit, json!({"v": visit2, "a": {"name": "王五"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("answers.phone")));
    let (code, _, field) = anon.error(submit, json!({"v": visit2, "a": {"name": "王五", "phone": "12345"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("answers.phone")));
    anon.data(submit, json!({"v": visit2, "a": {"name": "王五", "phone": "13900001111", "city": "杭州"}})).await;
    let (code, msg, _) = anon.error(submit, json!({"v": visit2, "a": {"name": "王五", "phone": "13900001111"}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "您已提交过该表单"));

    // Timelines: every behaviour credited to the employee who sent the article.
    let sender_name = &sender_name;
    let timeline = |id: String| async move {
        let v = a
            .data(
                "query($id:ID!){customer(id:$id){mobile timeline(kinds:[MATERIAL_VIEWED]){edges{node{employee{name} payload}}}}}",
                json!({"id": id}),
            )
            .await;
        let edges = v["customer"]["timeline"]["edges"].as_array().unwrap().clone();
        assert!(edges.iter().all(|e| e["node"]["employee"]["name"] == *sender_name), "{v}");
        let mut actions: Vec<String> = edges.iter().map(|e| e["node"]["payload"]["action"].as_str().unwrap().to_string()).collect();
        actions.reverse();
        (actions, v["customer"]["mobile"].clone())
    };
    assert_eq!(timeline(customer1.clone()).await.0, ["VIEW", "STAY", "BOTTOM", "SHARE"]);
    let (actions2, mobile2) = timeline(customer4.clone()).await;
    assert_eq!(actions2, ["VIEW", "FORM"]);
    assert_eq!(mobile2, "13900001111", "the form's phone fills the customer's empty mobile");

    // Counts, the sharer's network (TA的人脉) and the second viewer's forms.
    let v = a.data("query($id:ID!){marketingMaterial(id:$id){viewCount viewerCount}}", json!({"id": article})).await;
    assert_eq!(v["marketingMaterial"], json!({"viewCount": 2, "viewerCount": 2}));
    let v = a
        .data(
            "query($a:ID!,$b:ID!){a:customer(id:$a){profile{activity activity30d network{kind customer{name}}}} \
             b:customer(id:$b){profile{formSubmissions{phone answers employee{name}}}}}",
            json!({"a": customer1, "b": customer4}),
        )
        .await;
    assert_eq!(v["a"]["profile"]["network"], json!([{"kind": "CUSTOMER", "customer": {"name": "客户4"}}]), "{v}");
    // The sync's join and add (in 2023) count as activity, not as 30-day activity.
    assert_eq!((v["a"]["profile"]["activity"].as_i64(), v["a"]["profile"]["activity30d"].as_i64()), (Some(6), Some(4)), "{v}");
    let forms = &v["b"]["profile"]["formSubmissions"];
    assert_eq!(forms[0]["phone"], "13900001111");
    assert_eq!(forms[0]["answers"], json!({"name": "王五", "phone": "13900001111", "city": "杭州"}));
    assert_eq!(forms[0]["employee"]["name"], *sender_name);

    // Tags on WeCom: entering tags both viewers, 15 s and sharing tag the first, each once.
    let ext = |n: &str| {
        w.sandbox
            .with_corp(crate::wecom::WECOM_CORP, |c| c.contacts.values().find(|x| x.name == n).unwrap().external_userid.clone())
            .unwrap()
    };
    let wecom_tag = |id: &str| {
        use sea_orm::EntityTrait;
        let id: i64 = id.parse().unwrap();
        let db = w.app.state.db.clone();
        async move { entity::corp_tag::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().wecom_tag_id.unwrap() }
    };
    let (t_enter, t_stay, t_share) = (wecom_tag(&enter).await, wecom_tag(&stay).await, wecom_tag(&share_tag).await);
    let (tags1, tags2) = (tags_on_wecom(&w, 4, "客户1").await, tags_on_wecom(&w, 4, "客户4").await);
    for t in [&t_enter, &t_stay, &t_share] {
        assert!(tags1.contains(t), "{t} on 客户1: {tags1:?}");
    }
    assert!(tags2.contains(&t_enter) && !tags2.contains(&t_share), "{tags2:?}");
    let calls = w.sandbox.calls_to("/cgi-bin/externalcontact/mark_tag");
    assert!(calls
        .iter()
        .all(|c| c.body.as_ref().unwrap()["userid"] == "user00001" || c.body.as_ref().unwrap()["external_userid"] != ext("客户1")));

    // The sender's radar: one frame per behaviour, in order.
    let mut texts = Vec::new();
    while let Some(alert) = crate::alerts::next_alert(&mut radar, "radarAlerts", 5).await {
        assert_eq!(alert["kind"], "MATERIAL");
        texts.push(alert["text"].as_str().unwrap().to_string());
        if texts.len() == 6 {
            break;
        }
    }
    assert_eq!(
        texts,
        [
            "【雷达】客户客户1查看了素材「新车发布」",
            "【雷达】客户客户1浏览素材「新车发布」已停留15秒",
            "【雷达】客户客户1看完了素材「新车发布」",
            "【雷达】客户客户1分享了素材「新车发布」",
            "【雷达】客户客户4查看了素材「新车发布」",
            "【雷达】客户客户4提交了表单「新车发布」",
        ]
    );

    // Withdrawn: the links stop opening and the page's calls say so.
    a.data(WITHDRAW, json!({"id": article})).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let token = child.rsplit("/r/").next().unwrap();
    assert_eq!(http.get(w.app.url(&format!("/r/{token}"))).send().await.unwrap().status(), 404);
    w.app.state.clock.advance(chrono::Duration::seconds(5));
    let (code, msg, _) = anon.error(BEAT, json!({"v": visit})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("NOT_FOUND", "链接无效或已失效"));
    let (code, _, _) = anon.error(BEAT, json!({"v": "f".repeat(48)})).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn editors_rules_publication_and_visibility_by_department() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let bad = |input: Value| {
        let a = &a;
        async move { a.error(CREATE, json!({"i": input})).await }
    };
    let (code, _, field) = bad(json!({"kind": "ARTICLE", "title": "无类型", "content": {"body": "x"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("articleType")));
    let (_, _, field) = bad(json!({"kind": "ARTICLE", "articleType": "REPRINT", "title": "转载", "content": {"body": "x"}})).await;
    assert_eq!(field.as_deref(), Some("articleType"), "a reprint needs its source");
    let (_, _, field) = bad(json!({"kind": "POSTER", "title": "空海报", "content": {}})).await;
    assert_eq!(field.as_deref(), Some("content"));
    let (_, msg, field) =
        bad(json!({"kind": "FORM", "title": "坏表单", "content": {"components": [{"id": "c", "type": "SELECT", "label": "城市"}]}})).await;
    assert_eq!(field.as_deref(), Some("content"), "{msg}");
    let (_, _, field) = bad(json!({"kind": "FORM", "title": "", "content": form()})).await;
    assert_eq!(field.as_deref(), Some("title"));
    let (_, _, field) =
        bad(json!({"kind": "FORM", "title": "x", "content": form(), "tagRules": [{"trigger": "SHARE", "tagIds": ["999999"]}]})).await;
    assert_eq!(field.as_deref(), Some("tagRules"));

    // Articles jump only to forms; forms jump nowhere.
    let article = create(&a, json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "文章", "content": {"body": "x"}})).await;
    let (code, _, field) =
        bad(json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "y", "content": {"body": "x"}, "jumpMaterialId": article})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("jumpMaterialId")));
    let (_, _, field) = bad(json!({"kind": "FORM", "title": "y", "content": form(), "jumpMaterialId": article})).await;
    assert_eq!(field.as_deref(), Some("jumpMaterialId"));
    let brochure = create(&a, json!({"kind": "BROCHURE", "title": "手册", "content": {"pages": [{"image": "https://x.example/1.png"}]}, "jumpMaterialId": article})).await;

    // Unpublished cannot be sent; publishing twice is a conflict; posters are not withdrawn.
    let (code, msg, _) = a.error(SHARE, json!({"id": article})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "素材未发布，不能发送"));
    a.data(PUBLISH, json!({"id": article})).await;
    assert_eq!(a.error(PUBLISH, json!({"id": article})).await.0, "CONFLICT");
    let poster = published(
        &a,
        json!({"kind": "POSTER", "title": "海报", "content": {"components": [{"type": "TEXT", "text": "顾问：{{employee.name}}"}]}}),
    )
    .await;
    let (code, msg, _) = a.error(WITHDRAW, json!({"id": poster})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "仅已发布的文章、宣传册和表单可以撤回"));
    assert_eq!(a.data(WITHDRAW, json!({"id": article})).await["withdrawMarketingMaterial"]["status"], "UNPUBLISHED");
    a.data(PUBLISH, json!({"id": article})).await;
    let me = a.data("{me{name}}", json!({})).await["me"]["name"].as_str().unwrap().to_string();
    let shared = a.data(SHARE, json!({"id": poster})).await["shareMarketingMaterial"].clone();
    assert_eq!(shared["personalisedContent"]["components"][0]["text"], format!("顾问：{me}"), "the poster carries the sender's name");

    // Visibility: a material for 华东 (under 销售) is sent by 华东 and 销售's
    // chosen members, not by 客服; editors see everything, others the sendable.
    let root = app.root_id();
    let sales = app.department(&a, "销售", &root).await;
    let east = app.department(&a, "华东", &sales).await;
    let service = app.department(&a, "客服", &root).await;
    let role = app.role(&a, "员工", &["customer"], "SELF", &[]).await;
    let (east_rep, service_rep) = (
        app.employee(&a, "east01", &[east.clone()], &[role.clone()]).await,
        app.employee(&a, "svc01", &[service.clone()], &[role.clone()]).await,
    );
    let _ = (east_rep, service_rep);
    let chosen = published(
        &a,
        json!({"kind": "BROCHURE", "title": "销售手册", "content": {"pages": [{"image": "https://x.example/1.png"}]}, "visibleToAll": false, "departmentIds": [sales]}),
    )
    .await;
    let east_client = app.login_as("acme", "east01", crate::support::PASSWORD).await;
    let svc_client = app.login_as("acme", "svc01", crate::support::PASSWORD).await;
    let titles = |c: &Client| {
        let c = c.clone();
        async move {
            let v = c.data("{marketingMaterials{totalCount edges{node{title}}}}", json!({})).await;
            let mut t: Vec<String> = v["marketingMaterials"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_string())
                .collect();
            t.sort();
            t
        }
    };
    assert_eq!(titles(&east_client).await, ["文章", "海报", "销售手册"]);
    assert_eq!(titles(&svc_client).await, ["文章", "海报"]);
    assert_eq!(svc_client.error(SHARE, json!({"id": chosen})).await.0, "NOT_FOUND");
    assert!(east_client.data(SHARE, json!({"id": chosen})).await["shareMarketingMaterial"]["url"].as_str().unwrap().contains("/r/"));
    assert_eq!(svc_client.error(CREATE, json!({"i": {"kind": "FORM", "title": "x", "content": form()}})).await.0, "FORBIDDEN");
    // The editor sees the unpublished brochure too, and finds by the creator's name.
    let v = a.data("query($k:String){marketingMaterials(keyword:$k){totalCount}}", json!({"k": me})).await;
    assert_eq!(v["marketingMaterials"]["totalCount"], 4);
    let v = a.data("{marketingMaterials(status:UNPUBLISHED){edges{node{id}}}}", json!({})).await;
    assert_eq!(v["marketingMaterials"]["edges"][0]["node"]["id"], brochure);
}

#[tokio::test]
async fn the_sidebar_toolbox_shows_the_chosen_tools_and_searches_what_they_send() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let q =
        "query($k:String){sidebarToolbox(keyword:$k){tools knowledgeItems{names library} folderItems{title} marketingMaterials{title}}}";
    let v = a.data(q, json!({})).await;
    assert_eq!(v["sidebarToolbox"]["tools"], json!(["KNOWLEDGE_BASE", "CORP_FOLDER", "MARKETING_MATERIALS"]));

    a.data(
        "mutation{createKnowledgeItem(library:PUBLIC,kind:SCRIPT,input:{names:[\"报价多少\"],content:\"价格表见附件\"}){id}}",
        json!({}),
    )
    .await;
    a.data("mutation{createKnowledgeItem(library:PERSONAL,kind:PHRASE,input:{content:\"报价我稍后发您\"}){id}}", json!({})).await;
    a.data("mutation{createFolderItem(input:{kind:WEB_LINK,title:\"报价单\",url:\"https://x.example/q\"}){id}}", json!({})).await;
    published(&a, json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "年度报价", "content": {"body": "x"}})).await;
    create(&a, json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "报价草稿", "content": {"body": "x"}})).await;
    a.data("mutation{createFolderItem(input:{kind:WEB_LINK,title:\"公司介绍\",url:\"https://x.example/a\"}){id}}", json!({})).await;

    let v = a.data(q, json!({"k": "报价"})).await["sidebarToolbox"].clone();
    let mut libraries: Vec<&str> = v["knowledgeItems"].as_array().unwrap().iter().map(|i| i["library"].as_str().unwrap()).collect();
    libraries.sort();
    assert_eq!(libraries, ["PERSONAL", "PUBLIC"]);
    assert_eq!(v["folderItems"], json!([{"title": "报价单"}]));
    assert_eq!(v["marketingMaterials"], json!([{"title": "年度报价"}]), "drafts are not sent");

    // Another employee sees the public entry, not the admin's personal phrase.
    let role = app.role(&a, "坐席", &["customer"], "SELF", &[]).await;
    app.employee(&a, "agent01", &[app.root_id()], &[role]).await;
    let agent = app.login_as("acme", "agent01", crate::support::PASSWORD).await;
    let v = agent.data(q, json!({"k": "报价"})).await["sidebarToolbox"].clone();
    assert_eq!(v["knowledgeItems"], json!([{"names": ["报价多少"], "library": "PUBLIC"}]));
    let set = "mutation($t:[SidebarTool!]!){setSidebarTools(tools:$t)}";
    assert_eq!(agent.error(set, json!({"t": ["CORP_FOLDER"]})).await.0, "FORBIDDEN");

    // Hidden tools answer nothing; the order is the admin's.
    let v = a.data(set, json!({"t": ["MARKETING_MATERIALS", "CORP_FOLDER", "MARKETING_MATERIALS"]})).await;
    assert_eq!(v["setSidebarTools"], json!(["MARKETING_MATERIALS", "CORP_FOLDER"]));
    let v = agent.data(q, json!({"k": "报价"})).await["sidebarToolbox"].clone();
    assert_eq!(v["tools"], json!(["MARKETING_MATERIALS", "CORP_FOLDER"]));
    assert_eq!(v["knowledgeItems"], json!([]));
    assert_eq!(v["folderItems"], json!([{"title": "报价单"}]));
}

#[tokio::test]
async fn a_page_of_marketing_materials_costs_a_fixed_number_of_statements() {
    // No job workers: their polling would count too.
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let a = app.admin().await;
    let role = app.role(&a, "员工", &["customer"], "SELF", &[]).await;
    let someone = app.employee(&a, "staff01", &[app.root_id()], &[role]).await;
    let page = "{marketingMaterials(first:100){totalCount edges{node{id title departmentIds employeeIds tagRules{trigger tagIds}}}}}";
    let mut costs = Vec::new();
    for n in [1, 12] {
        while a.data(page, json!({})).await["marketingMaterials"]["totalCount"].as_i64().unwrap() < n {
            create(
                &a,
                json!({"kind": "FORM", "title": "报名表", "content": form(), "visibleToAll": false,
                       "departmentIds": [app.root_id()], "employeeIds": [someone]}),
            )
            .await;
        }
        a.data(page, json!({})).await; // warm any lazy statement
        let before = app.state.statements.get();
        let v = a.data(page, json!({})).await;
        costs.push(app.state.statements.get() - before);
        assert_eq!(v["marketingMaterials"]["edges"][0]["node"]["employeeIds"], json!([someone]));
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
}
