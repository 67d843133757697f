//! Uploads over real multipart HTTP (the GraphQL multipart request spec, as
//! Apollo Client and urql send it): type sniffed from content, size and
//! length by kind, nothing stored when refused; signed, expiring downloads;
//! the folder's uploaded kinds and tracked files.
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use crate::support::{Client, TestApp};

pub const UPLOAD: &str =
    "mutation($file:Upload!,$kind:UploadKind!){uploadFile(file:$file,kind:$kind){id name kind contentType size durationSecs downloadUrl}}";

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
pub const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
pub const MP4: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom\0\0\0\x08free";

/// A narrow-band AMR file of `secs` seconds (50 frames of 20 ms a second).
pub fn amr(secs: usize) -> Vec<u8> {
    let mut v = b"#!AMR\n".to_vec();
    for _ in 0..secs * 50 {
        v.push(7 << 3 | 0x04);
        v.extend_from_slice(&[0x11; 31]);
    }
    v
}

/// `bytes` padded to `len` (the signature stays at the front).
fn padded(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(len, 0);
    v
}

/// One `uploadFile` as a multipart request; the HTTP status and the body.
pub async fn upload(c: &Client, kind: &str, name: &str, declared: &str, bytes: Vec<u8>) -> (u16, Value) {
    let operations = json!({"query": UPLOAD, "variables": {"file": null, "kind": kind}});
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.file"]}).to_string())
        .part("0", Part::bytes(bytes).file_name(name.to_string()).mime_str(declared).unwrap());
    let mut req = c.http.post(&c.url).multipart(form);
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    if let Some(l) = &c.lang {
        req = req.header("accept-language", l);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}")))
}

/// The uploaded file, asserting it was accepted.
pub async fn uploaded(c: &Client, kind: &str, name: &str, bytes: Vec<u8>) -> Value {
    let (status, v) = upload(c, kind, name, "application/octet-stream", bytes).await;
    assert!(status == 200 && v.get("errors").is_none(), "{status} {v}");
    v["data"]["uploadFile"].clone()
}

fn refusal(v: &Value) -> (&str, &str, &str) {
    let e = &v["errors"][0]["extensions"];
    (e["code"].as_str().unwrap_or(""), e["reason"].as_str().unwrap_or(""), e["field"].as_str().unwrap_or(""))
}

/// Rows in `files`, and objects in the (local) file store.
async fn stored(app: &TestApp) -> (u64, usize) {
    fn objects(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { objects(&e.path()) } else { 1 }).sum())
    }
    let rows = entity::stored_file::Entity::find().count(&app.state.db).await.unwrap();
    (rows, objects(&app.state.config.data_dir.join("files")))
}

/// `path?query` of an absolute link, to request it from the test server.
pub fn local(app: &TestApp, link: &str) -> String {
    let path = link.splitn(4, '/').nth(3).unwrap();
    app.url(&format!("/{path}"))
}

#[tokio::test]
async fn uploads_are_sniffed_and_sized_by_kind_and_nothing_is_stored_when_refused() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let png = uploaded(&a, "IMAGE", "logo.png", PNG.to_vec()).await;
    assert_eq!(
        (&png["name"], &png["kind"], &png["contentType"], &png["size"]),
        (&json!("logo.png"), &json!("IMAGE"), &json!("image/png"), &json!(PNG.len()))
    );
    let before = stored(&app).await;
    assert_eq!(before, (1, 1));

    // A PDF named and declared as a PNG is sniffed as what it is.
    let (status, v) = upload(&a, "IMAGE", "photo.png", "image/png", PDF.to_vec()).await;
    assert_eq!((status, refusal(&v)), (200, ("BAD_USER_INPUT", "IMAGE_NOT_JPG_OR_PNG", "file")));
    assert_eq!(v["errors"][0]["message"], "图片仅支持JPG、PNG格式");
    let (_, v) = upload(&a.clone().english(), "VIDEO", "clip.mp4", "video/mp4", PNG.to_vec()).await;
    assert_eq!((refusal(&v).1, v["errors"][0]["message"].as_str()), ("VIDEO_NOT_MP4", Some("Videos must be MP4")));
    let (_, v) = upload(&a, "IMAGE", "big.png", "image/png", padded(PNG, 2 * 1024 * 1024 + 1)).await;
    assert_eq!(refusal(&v), ("BAD_USER_INPUT", "IMAGE_TOO_LARGE", "file"));
    let (_, v) = upload(&a, "VOICE", "long.amr", "audio/amr", amr(61)).await;
    assert_eq!(refusal(&v), ("BAD_USER_INPUT", "VOICE_TOO_LONG", "file"));
    let (_, v) = upload(&a, "FILE", "empty.txt", "text/plain", Vec::new()).await;
    assert_eq!(refusal(&v).1, "FILE_EMPTY");
    // Past the largest upload the request itself is refused while it streams.
    let (status, v) = upload(&a, "FILE", "huge.bin", "application/octet-stream", vec![7; 22 * 1024 * 1024]).await;
    assert_eq!((status, refusal(&v)), (413, ("BAD_USER_INPUT", "FILE_TOO_LARGE", "file")));
    let (_, v) = upload(&app.anonymous(), "IMAGE", "logo.png", "image/png", PNG.to_vec()).await;
    assert_eq!(refusal(&v).0, "UNAUTHENTICATED");
    assert_eq!(stored(&app).await, before, "nothing refused was recorded or stored");

    let voice = uploaded(&a, "VOICE", "hello.amr", amr(10)).await;
    assert_eq!((&voice["contentType"], &voice["durationSecs"]), (&json!("audio/amr"), &json!(10)));
    let video = uploaded(&a, "VIDEO", "intro.mp4", MP4.to_vec()).await;
    assert_eq!(video["contentType"], "video/mp4");
    let pdf = uploaded(&a, "FILE", "报价单.pdf", PDF.to_vec()).await;
    assert_eq!((&pdf["kind"], &pdf["contentType"]), (&json!("FILE"), &json!("application/pdf")));
    // The largest a file may be is accepted.
    let big = uploaded(&a, "FILE", "big.bin", vec![1; 20 * 1024 * 1024]).await;
    assert_eq!(big["size"], 20 * 1024 * 1024);
    // A JSON request still has the usual body limit on the same route.
    let res = a
        .http
        .post(&a.url)
        .bearer_auth(a.token.as_ref().unwrap())
        .json(&json!({"query": "x".repeat(2 * 1024 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn downloads_need_the_corps_token_or_an_unexpired_signature() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let pdf = uploaded(&a, "FILE", "报价单.pdf", PDF.to_vec()).await;
    let link = local(&app, pdf["downloadUrl"].as_str().unwrap());
    let http = reqwest::Client::new();
    let res = http.get(&link).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["content-type"].to_str().unwrap()), (200, "application/pdf"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
    // A player asks for parts: 206 with the part and where it sits.
    let part = http.get(&link).header("range", "bytes=0-3").send().await.unwrap();
    assert_eq!(
        (part.status().as_u16(), part.headers()["content-range"].to_str().unwrap()),
        (206, format!("bytes 0-3/{}", PDF.len()).as_str())
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"%PDF");
    let tail = http.get(&link).header("range", "bytes=-4").send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &PDF[PDF.len() - 4..]);
    assert_eq!(http.get(&link).header("range", format!("bytes={}-", PDF.len())).send().await.unwrap().status(), 416);
    // With a token of the corp, by id.
    let by_id = app.url(&format!("/files/{}", pdf["id"].as_str().unwrap()));
    assert_eq!(http.get(&by_id).bearer_auth(a.token.as_ref().unwrap()).send().await.unwrap().status(), 200);
    assert_eq!(http.get(&by_id).send().await.unwrap().status(), 401);
    // A forged signature, a link moved to another file, another corp's token.
    assert_eq!(http.get(link.replace("signature=", "signature=00")).send().await.unwrap().status(), 403);
    let other = uploaded(&a, "IMAGE", "logo.png", PNG.to_vec()).await;
    let moved = link.replace(&format!("/files/{}?", pdf["id"].as_str().unwrap()), &format!("/files/{}?", other["id"].as_str().unwrap()));
    assert_eq!(http.get(&moved).send().await.unwrap().status(), 403);
    app.provision("globex", 10).await;
    let g = app.login_as("globex", "admin", crate::support::PASSWORD).await;
    assert_eq!(http.get(&by_id).bearer_auth(g.token.as_ref().unwrap()).send().await.unwrap().status(), 404);
    // Without WeCom bound there is no media id to send it by.
    let (code, _, field) = a.error("mutation($f:ID!){wecomMedia(fileId:$f){mediaId}}", json!({"f": pdf["id"]})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("fileId")));
    // After `WECRM_DOWNLOAD_LINK_SECS` (an hour by default) the link is dead.
    app.state.clock.advance(chrono::Duration::seconds(3601));
    assert_eq!(http.get(&link).send().await.unwrap().status(), 403);
}

const CREATE: &str =
    "mutation($i:CreateFolderItemInput!){createFolderItem(input:$i){id kind title radarEnabled file{name contentType} cover{name}}}";

#[tokio::test]
async fn folder_uploads_take_files_of_their_kind_and_a_tracked_file_lands_on_a_signed_link() {
    let w = crate::wecom::world_with_customers(1, 2, 2).await;
    assert_eq!(crate::wecom::sync(&w).await["status"], "SUCCEEDED");
    let a = &w.admin;
    let image = uploaded(a, "IMAGE", "海报.png", PNG.to_vec()).await;
    let video = uploaded(a, "VIDEO", "intro.mp4", MP4.to_vec()).await;
    let pdf = uploaded(a, "FILE", "报价单.pdf", PDF.to_vec()).await;

    let item = a.data(CREATE, json!({"i": {"kind": "IMAGE", "fileId": image["id"]}})).await["createFolderItem"].clone();
    assert_eq!(
        item,
        json!({"id": item["id"], "kind": "IMAGE", "title": "海报.png", "radarEnabled": false,
               "file": {"name": "海报.png", "contentType": "image/png"}, "cover": null})
    );
    // The sidebar sends an image by media id: uploaded to WeCom once, reused while fresh.
    let share = "mutation($id:ID!){shareFolderItem(id:$id){url tracked media{mediaId kind expiresAt}}}";
    let first = a.data(share, json!({"id": item["id"]})).await["shareFolderItem"].clone();
    assert_eq!((&first["url"], &first["tracked"], &first["media"]["kind"]), (&json!(null), &json!(false), &json!("IMAGE")));
    let again = a.data(share, json!({"id": item["id"]})).await["shareFolderItem"].clone();
    assert_eq!(again["media"]["mediaId"], first["media"]["mediaId"]);
    let calls = w.sandbox.calls_to("/cgi-bin/media/upload");
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].query["type"].as_str(), calls[0].errcode), ("image", 0));
    assert_eq!(
        calls[0].body.as_ref().unwrap()["media"],
        json!({"filename": "海报.png", "content_type": "image/png", "filelength": PNG.len()})
    );
    w.app.state.clock.advance(chrono::Duration::days(3));
    let later = a.data(share, json!({"id": item["id"]})).await["shareFolderItem"].clone();
    assert_ne!(later["media"]["mediaId"], first["media"]["mediaId"], "an expiring media id is uploaded again");
    let v = a.data("mutation($f:ID!){wecomMedia(fileId:$f){kind}}", json!({"f": pdf["id"]})).await;
    assert_eq!(v["wecomMedia"]["kind"], "FILE");
    assert_eq!(w.sandbox.calls_to("/cgi-bin/media/upload").len(), 3);

    let v = a.data(CREATE, json!({"i": {"kind": "VIDEO", "title": "介绍", "fileId": video["id"], "coverFileId": image["id"]}})).await;
    assert_eq!(
        (&v["createFolderItem"]["file"]["name"], &v["createFolderItem"]["cover"]["name"]),
        (&json!("intro.mp4"), &json!("海报.png"))
    );
    let (code, _, field) = a.error(CREATE, json!({"i": {"kind": "VIDEO", "fileId": image["id"]}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("fileId")));
    let (code, _, field) = a.error(CREATE, json!({"i": {"kind": "FILE"}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("fileId")));
    let (code, _, field) = a.error(CREATE, json!({"i": {"kind": "IMAGE", "fileId": image["id"], "radarEnabled": true}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("radarEnabled")));

    // A tracked file: the open is recorded, then the viewer lands on a signed download.
    let tracked =
        a.data(CREATE, json!({"i": {"kind": "FILE", "fileId": pdf["id"], "radarEnabled": true}})).await["createFolderItem"]["id"].clone();
    let customer = crate::customers::customer_id(a, "客户1").await;
    let shared = a
        .data("mutation($id:ID!,$c:ID){shareFolderItem(id:$id,customerId:$c){url tracked}}", json!({"id": tracked, "c": customer}))
        .await["shareFolderItem"]
        .clone();
    assert_eq!(shared["tracked"], true);
    let token = shared["url"].as_str().unwrap().rsplit("/r/").next().unwrap().to_string();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(w.app.url(&format!("/r/{token}"))).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let landing = r.headers()["location"].to_str().unwrap().to_string();
    assert!(landing.contains(&format!("/files/{}?", pdf["id"].as_str().unwrap())) && landing.contains("signature="), "{landing}");
    assert_eq!(http.get(local(&w.app, &landing)).send().await.unwrap().bytes().await.unwrap().as_ref(), PDF);
    let v = a.data("{folderItems{edges{node{id viewCount viewerCount}}}}", json!({})).await;
    let node = v["folderItems"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["id"] == tracked).unwrap()["node"].clone();
    assert_eq!((&node["viewCount"], &node["viewerCount"]), (&json!(1), &json!(1)));

    // Another corp's file is not there to use.
    w.app.provision("globex", 10).await;
    let g = w.app.login_as("globex", "admin", crate::support::PASSWORD).await;
    let (code, _, field) = g.error(CREATE, json!({"i": {"kind": "IMAGE", "fileId": image["id"]}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("NOT_FOUND", Some("fileId")));
}

const CREATE_SCRIPT: &str =
    "mutation($i:KnowledgeItemInput!){createKnowledgeItem(library:PUBLIC,kind:SCRIPT,input:$i){id attachments{name kind}}}";
const UPDATE_SCRIPT: &str = "mutation($id:ID!,$i:KnowledgeItemInput!){updateKnowledgeItem(id:$id,input:$i){attachments{name}}}";

#[tokio::test]
async fn scripts_carry_up_to_nine_attachments_in_order_and_a_page_of_them_costs_fixed_statements() {
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let a = app.admin().await;
    let image = uploaded(&a, "IMAGE", "图.png", PNG.to_vec()).await["id"].clone();
    let voice = uploaded(&a, "VOICE", "语音.amr", amr(3)).await["id"].clone();
    let pdf = uploaded(&a, "FILE", "价目表.pdf", PDF.to_vec()).await["id"].clone();
    let script = |attachments: Value| json!({"names": ["怎么付款"], "content": "支持微信和对公转账", "attachmentIds": attachments});

    let v = a.data(CREATE_SCRIPT, json!({"i": script(json!([pdf, image, voice]))})).await["createKnowledgeItem"].clone();
    assert_eq!(
        v["attachments"],
        json!([{"name": "价目表.pdf", "kind": "FILE"}, {"name": "图.png", "kind": "IMAGE"}, {"name": "语音.amr", "kind": "VOICE"}])
    );
    let id = v["id"].clone();
    let v = a.data(UPDATE_SCRIPT, json!({"id": id, "i": {"names": ["怎么付款"], "content": "支持微信"}})).await;
    assert_eq!(v["updateKnowledgeItem"]["attachments"].as_array().unwrap().len(), 3, "omitted: unchanged");
    let v = a.data(UPDATE_SCRIPT, json!({"id": id, "i": script(json!([voice]))})).await;
    assert_eq!(v["updateKnowledgeItem"]["attachments"], json!([{"name": "语音.amr"}]));

    for bad in [json!(vec![image.clone(); 2]), json!((0..10).map(|_| pdf.clone()).collect::<Vec<_>>())] {
        let (code, _, field) = a.error(CREATE_SCRIPT, json!({"i": script(bad)})).await;
        assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("attachmentIds")));
    }
    let phrase = "mutation($i:KnowledgeItemInput!){createKnowledgeItem(library:PUBLIC,kind:PHRASE,input:$i){id}}";
    let (code, _, field) = a.error(phrase, json!({"i": {"content": "你好", "attachmentIds": [image]}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("attachmentIds")));
    app.provision("globex", 10).await;
    let g = app.login_as("globex", "admin", crate::support::PASSWORD).await;
    let (code, _, field) = g.error(CREATE_SCRIPT, json!({"i": script(json!([image]))})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("NOT_FOUND", Some("attachmentIds")));

    // Scripts and folder files with their files: the same statements for 1 or 20.
    let page = "{knowledgeItems(library:PUBLIC,kind:SCRIPT,first:100){totalCount edges{node{names attachments{name size downloadUrl}}}} \
                folderItems(first:100){edges{node{title file{name} cover{name}}}}}";
    a.data(
        CREATE,
        json!({"i": {"kind": "VIDEO", "fileId": uploaded(&a, "VIDEO", "v.mp4", MP4.to_vec()).await["id"], "coverFileId": image}}),
    )
    .await;
    let mut costs = Vec::new();
    for n in [1, 20] {
        while a.data(page, json!({})).await["knowledgeItems"]["totalCount"].as_i64().unwrap() < n {
            a.data(CREATE_SCRIPT, json!({"i": script(json!([pdf, image]))})).await;
            a.data(CREATE, json!({"i": {"kind": "IMAGE", "fileId": image}})).await;
        }
        a.data(page, json!({})).await;
        let before = app.state.statements.get();
        let v = a.data(page, json!({})).await;
        costs.push(app.state.statements.get() - before);
        assert_eq!(v["knowledgeItems"]["totalCount"], n);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
}

/// A multipart request as raw parts: (name, file name, bytes).
async fn raw_multipart(c: &Client, operations: Value, map: Value, parts: Vec<(String, Vec<u8>)>) -> (u16, Value) {
    let mut form = Form::new().text("operations", operations.to_string()).text("map", map.to_string());
    for (name, bytes) in parts {
        form = form.part(name, Part::bytes(bytes).file_name("a.png"));
    }
    let res = c.http.post(&c.url).bearer_auth(c.token.as_ref().unwrap()).multipart(form).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn forged_file_references_and_malformed_multipart_are_refused_not_crashed() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    // async-graphql trusts the marker's index; only the multipart parser may set it.
    for forged in ["#__graphql_file__:0", "#__graphql_file__:x"] {
        for c in [&a, &app.anonymous()] {
            let v = c.gql(UPLOAD, json!({"file": forged, "kind": "IMAGE"})).await;
            assert_eq!(refusal(&v), ("BAD_USER_INPUT", "UPLOAD_REFERENCE_INVALID", "file"), "{v}");
        }
    }
    let literal = "mutation{uploadFile(file:\"#__graphql_file__:0\",kind:IMAGE){id}}";
    assert_eq!(refusal(&a.gql(literal, json!({})).await).1, "UPLOAD_REFERENCE_INVALID");
    assert!(a.data("{me{id}}", json!({})).await["me"].is_object(), "the server is still up");

    let ops = json!({"query": UPLOAD, "variables": {"file": null, "kind": "IMAGE"}});
    // Eleven files in one request; a file part not in the map; files before the map.
    let map: serde_json::Map<String, Value> = (0..11).map(|i| (i.to_string(), json!(["variables.file"]))).collect();
    let (status, _) = raw_multipart(&a, ops.clone(), Value::Object(map), (0..11).map(|i| (i.to_string(), PNG.to_vec())).collect()).await;
    assert_eq!(status, 400);
    let (status, v) = raw_multipart(&a, ops.clone(), json!({"0": ["variables.file"]}), vec![("1".into(), PNG.to_vec())]).await;
    assert_eq!((status, v["errors"][0]["extensions"]["reason"].as_str()), (400, Some("REQUEST_MALFORMED")));
    // `operations` past the JSON body limit is the request too large, not a file.
    let long = json!({"query": format!("{UPLOAD}#{}", "x".repeat(2 * 1024 * 1024)), "variables": {"file": null, "kind": "IMAGE"}});
    let (status, v) = raw_multipart(&a, long, json!({"0": ["variables.file"]}), vec![("0".into(), PNG.to_vec())]).await;
    assert_eq!((status, v["errors"][0]["extensions"]["reason"].as_str()), (413, Some("REQUEST_TOO_LARGE")));
    // Control characters in a file name (it travels on in headers): a part
    // header holding them does not parse; a name given in a URL is refused.
    for name in ["a\r\nX-Evil: 1.png", "a\u{1b}[31m.png"] {
        assert_eq!(upload(&a, "IMAGE", name, "image/png", PNG.to_vec()).await.0, 400);
    }
    let res =
        a.http.post(app.url("/files?name=a%1B%5B31m.pdf")).bearer_auth(a.token.as_ref().unwrap()).body(PDF.to_vec()).send().await.unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!((v["error"]["reason"].as_str(), v["error"]["field"].as_str()), (Some("FILE_NAME_INVALID"), Some("name")));
    assert_eq!(stored(&app).await, (0, 0));
}
