//! The cross-tenant probe: an employee of corp B gets nothing of corp A by
//! any id, list or mutation — not even a hint that the id exists.

use serde_json::{json, Value};

use crate::support::{TestApp, PASSWORD};

#[tokio::test]
async fn an_employee_of_another_corp_gets_nothing_by_any_id_list_or_mutation() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let dept = app.department(&a, "A-Secret", &app.root_id()).await;
    let emp = app.employee(&a, "a-emp", &[dept.clone()], &[app.basic_role_id()]).await;
    let role = app.role(&a, "A-Role", &["org"], "SELF", &[]).await;
    let tag = a.data("mutation($e:ID!){createEmployeeTag(input:{name:\"A-Tag\",employeeIds:[$e]}){id}}", json!({"e": emp})).await
        ["createEmployeeTag"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let field = a
        .data("mutation{createCustomField(input:{entity:EMPLOYEE,name:\"A-Field\",fieldType:SINGLE_LINE_TEXT}){id}}", json!({}))
        .await["createCustomField"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = a
        .data(
            "mutation($i:EmployeeBatchInput!){runEmployeeBatchOperation(input:$i){id}}",
            json!({"i": {"filter": {}, "operation": "ADD_ROLES", "roleIds": [role]}}),
        )
        .await["runEmployeeBatchOperation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.wait_job(&a, &job).await;

    let tag_group = a.data("mutation{createCorpTagGroup(input:{name:\"A-TagGroup\",tags:[\"A-CorpTag\"]}){id tags{id}}}", json!({})).await
        ["createCorpTagGroup"]
        .clone();
    let (corp_group, corp_tag) = (tag_group["id"].as_str().unwrap().to_string(), tag_group["tags"][0]["id"].as_str().unwrap().to_string());

    a.data("mutation{bindWecom(input:{corpId:\"ww-a-secret-corp\",contactSecret:\"a-secret\"}){corpId}}", json!({})).await;

    let pb = app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let b_root = pb.root_department.id.to_string();

    // Reads by id.
    for (q, id) in [
        ("query($id:ID!){employee(id:$id){name}}", &emp),
        ("query($id:ID!){department(id:$id){name}}", &dept),
        ("query($id:ID!){role(id:$id){name}}", &role),
        ("query($id:ID!){employeeTag(id:$id){name}}", &tag),
        ("query($id:ID!){job(id:$id){status}}", &job),
    ] {
        let (code, msg, _) = b.error(q, json!({"id": id})).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
        assert_eq!(msg, "数据不存在或无权查看");
    }

    // Lists.
    let v = b
        .data(
            "{employees(first:100){edges{node{name}}} departments(first:100){edges{node{name}}} roles{edges{node{name}}} employeeTags{edges{node{name}}} corpTagGroups{name tags{name}} myJobs{totalCount} customFields(entity:EMPLOYEE,includeDisabled:true){name}}",
            json!({}),
        )
        .await;
    let text = v.to_string();
    for secret in ["A-Secret", "a-emp", "A-Role", "A-Tag", "A-Field", "A-TagGroup", "A-CorpTag", "ww-a-secret-corp"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert_eq!(v["myJobs"]["totalCount"], 0);
    // A's WeCom binding and internal groups are not B's.
    let v = b.data("{wecomBinding{corpId} internalGroups{totalCount}}", json!({})).await;
    assert!(v["wecomBinding"].is_null(), "{v}");
    assert_eq!(v["internalGroups"]["totalCount"], 0);
    let (code, _, _) = b.error("mutation{syncWecom{id}}", json!({})).await;
    assert_eq!(code, "BAD_USER_INPUT", "B is not bound, whatever A is");

    // Mutations on A's ids.
    let probes: Vec<(&str, Value)> = vec![
        ("mutation($id:ID!){updateEmployee(input:{id:$id,name:\"x\"}){id}}", json!({"id": emp})),
        ("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": emp})),
        ("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": emp})),
        ("mutation($id:ID!){setEmployeePassword(id:$id,password:\"hijacked-123\"){id}}", json!({"id": emp})),
        ("mutation($id:ID!){renameDepartment(id:$id,name:\"x\"){id}}", json!({"id": dept})),
        ("mutation($id:ID!){deleteDepartment(id:$id){id}}", json!({"id": dept})),
        ("mutation($id:ID!){moveDepartment(input:{id:$id,position:0}){id}}", json!({"id": dept})),
        ("mutation($id:ID!){createDepartment(input:{name:\"x\",parentId:$id}){id}}", json!({"id": dept})),
        ("mutation($id:ID!){updateRole(input:{id:$id,name:\"x\"}){id}}", json!({"id": role})),
        ("mutation($id:ID!){deleteRole(id:$id){id}}", json!({"id": role})),
        ("mutation($id:ID!){renameEmployeeTag(id:$id,name:\"x\"){id}}", json!({"id": tag})),
        ("mutation($id:ID!){deleteEmployeeTag(id:$id){id}}", json!({"id": tag})),
        ("mutation($id:ID!,$e:ID!){removeEmployeeTagMember(tagId:$id,employeeId:$e){id}}", json!({"id": tag, "e": emp})),
        ("mutation($id:ID!){updateCustomField(input:{id:$id,name:\"x\"}){id}}", json!({"id": field})),
        ("mutation($id:ID!){deleteCustomField(id:$id){id}}", json!({"id": field})),
        ("mutation($id:ID!){renameCorpTagGroup(id:$id,name:\"x\"){id}}", json!({"id": corp_group})),
        ("mutation($id:ID!){deleteCorpTagGroup(id:$id){id}}", json!({"id": corp_group})),
        ("mutation($id:ID!){renameCorpTag(id:$id,name:\"x\"){id}}", json!({"id": corp_tag})),
        ("mutation($id:ID!){deleteCorpTag(id:$id){id}}", json!({"id": corp_tag})),
    ];
    for (q, vars) in probes {
        let (code, _, _) = b.error(q, vars).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }

    // A's ids smuggled into B's own writes.
    let b_role = pb.basic_role.id.to_string();
    let smuggle: Vec<(&str, Value)> = vec![
        (
            "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id}}",
            json!({"i": {"userid": "x", "name": "x", "mobile": "13800000000", "departmentIds": [dept], "roleIds": [b_role]}}),
        ),
        (
            "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id}}",
            json!({"i": {"userid": "y", "name": "y", "mobile": "13800000000", "departmentIds": [b_root], "roleIds": [role]}}),
        ),
        ("mutation($e:ID!){createEmployeeTag(input:{name:\"t\",employeeIds:[$e]}){id}}", json!({"e": emp})),
        ("mutation($d:ID!){createRole(input:{name:\"r\",dataScope:CUSTOM,departmentIds:[$d]}){id}}", json!({"d": dept})),
    ];
    for (q, vars) in smuggle {
        let (code, _, _) = b.error(q, vars).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }
    // B's filter on A's department finds nothing rather than A's people.
    let v = b.data("query($d:ID!){employees(filter:{departmentIds:[$d]}){totalCount}}", json!({"d": dept})).await;
    assert_eq!(v["employees"]["totalCount"], 0);

    // And A's objects are untouched.
    let v = a.data("query($id:ID!){employee(id:$id){name systemEnabled}}", json!({"id": emp})).await;
    assert_eq!(v["employee"]["name"], "a-emp");
    app.login_as("acme", "a-emp", PASSWORD).await;
}

#[tokio::test]
async fn customers_follow_ups_and_tags_of_another_corp_answer_not_found() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let scope = wecrm::tenancy::Scope::system(app.corp.corp.id);
    wecrm::customers::seed::customers(&app.state.db, &scope, 3, &[app.corp.admin.id], &[]).await.map_err(|e| format!("{e:?}")).unwrap();
    let v = a.data("{customers{edges{node{id externalUserId}}}}", json!({})).await;
    let customer = v["customers"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let ext = v["customers"]["edges"][0]["node"]["externalUserId"].as_str().unwrap().to_string();
    let ty = a.data("mutation{createFollowUpType(name:\"A-Type\"){id}}", json!({})).await["createFollowUpType"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.data(
        "mutation($c:ID!,$t:ID!){createFollowUp(input:{customerId:$c,content:\"A-Note\",typeId:$t}){id}}",
        json!({"c": customer, "t": ty}),
    )
    .await;
    let group = a.data("mutation{createCorpTagGroup(input:{name:\"A-Group\",tags:[\"A-Tag\"]}){id tags{id}}}", json!({})).await
        ["createCorpTagGroup"]
        .clone();
    let (group_id, tag) = (group["id"].as_str().unwrap().to_string(), group["tags"][0]["id"].as_str().unwrap().to_string());

    let field = a
        .data("mutation{createCustomField(input:{entity:CUSTOMER,name:\"A-Field\",fieldType:SINGLE_LINE_TEXT}){id}}", json!({}))
        .await["createCustomField"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let template = a
        .data(
            "mutation($f:ID!){createRecordTemplate(input:{name:\"A-Template\",subjectKind:CUSTOMER,fields:[{fieldId:$f}]}){id}}",
            json!({"f": field}),
        )
        .await["createRecordTemplate"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let work_order = a
        .data("mutation($c:ID!){createWorkOrder(input:{subjectKind:CUSTOMER,subjectId:$c,title:\"A-Order\"}){id}}", json!({"c": customer}))
        .await["createWorkOrder"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = a
        .data(
            "mutation($d:ID!){createAllocationRule(input:{name:\"A-Rule\",departmentIds:[$d],mode:AVERAGE}){id}}",
            json!({"d": app.root_id()}),
        )
        .await["createAllocationRule"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_admin = app.corp.admin.id.to_string();
    let a_group = {
        use sea_orm::ActiveValue::Set;
        let now = chrono::Utc::now();
        scope
            .insert(
                &app.state.db,
                entity::customer_group::ActiveModel {
                    chat_id: Set("wr-a-secret".into()),
                    name: Set("A-Chat".into()),
                    owner_userid: Set("admin".into()),
                    owner_id: Set(Some(app.corp.admin.id)),
                    status: Set(0),
                    chat_created_at: Set(now),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap()
            .id
            .to_string()
    };
    let gtg = a.data("mutation{createGroupTagGroup(input:{name:\"A-GroupTags\",tags:[\"A-GroupTag\"]}){id tags{id}}}", json!({})).await
        ["createGroupTagGroup"]
        .clone();
    let (gtg_id, gt_id) = (gtg["id"].as_str().unwrap().to_string(), gtg["tags"][0]["id"].as_str().unwrap().to_string());
    let notes_before = a.data("query($id:ID!){customer(id:$id){followUps{totalCount}}}", json!({"id": customer})).await["customer"]
        ["followUps"]["totalCount"]
        .clone();
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let b_tag = b.data("mutation{createCorpTagGroup(input:{name:\"B\",tags:[\"B\"]}){tags{id}}}", json!({})).await["createCorpTagGroup"]
        ["tags"][0]["id"]
        .clone();

    let v = b
        .data(
            "{customers{totalCount} customerRecycleBin{totalCount} followUpTypes{name} recordTemplates{name} customerGroups{totalCount} allocationRules{name} inheritances{totalCount} resignedEmployees{totalCount} groupTagGroups{name} customerGroups{edges{node{name}}}}",
            json!({}),
        )
        .await;
    assert_eq!(v["customers"]["totalCount"], 0);
    for secret in ["A-Template", "A-Rule", "A-GroupTags", "A-Chat"] {
        assert!(!v.to_string().contains(secret), "{secret} leaked: {v}");
    }
    assert_eq!(v["customerRecycleBin"]["totalCount"], 0);
    assert!(!v.to_string().contains("A-Type"), "{v}");

    let probes: Vec<(&str, Value)> = vec![
        ("query($id:ID!){customer(id:$id){name}}", json!({"id": customer})),
        ("query($id:String!){sidebarCustomer(externalUserId:$id){name}}", json!({"id": ext})),
        ("mutation($id:ID!){updateCustomer(input:{id:$id,mobile:\"1\"}){id}}", json!({"id": customer})),
        ("mutation($id:ID!,$t:ID!){tagCustomers(input:{customerIds:[$id],addTagIds:[$t]}){ok}}", json!({"id": customer, "t": b_tag})),
        ("mutation($id:ID!,$t:ID!){tagCustomers(input:{customerIds:[$id],addTagIds:[$t]}){ok}}", json!({"id": customer, "t": tag})),
        ("mutation($id:ID!){createFollowUp(input:{customerId:$id,content:\"x\"}){id}}", json!({"id": customer})),
        (
            "mutation($id:ID!,$e:ID!){transferCustomers(input:{customerIds:[$id],takeoverEmployeeId:$e}){ok}}",
            json!({"id": customer, "e": app.corp.admin.id.to_string()}),
        ),
        ("mutation($id:ID!){updateFollowUpType(id:$id,name:\"x\"){id}}", json!({"id": ty})),
        ("mutation($id:ID!){deleteFollowUpType(id:$id){id}}", json!({"id": ty})),
        ("mutation($id:ID!){moveFollowUpType(id:$id,position:0){id}}", json!({"id": ty})),
        ("mutation($id:ID!){setCorpTagGroupExclusive(id:$id,exclusive:true){id}}", json!({"id": group_id})),
        ("mutation($id:ID!){setCorpTagColor(id:$id,color:\"#ff0000\"){id}}", json!({"id": tag})),
        ("mutation($id:ID!){createCorpTag(groupId:$id,name:\"x\"){id}}", json!({"id": group_id})),
        ("mutation($id:ID!){moveCorpTagGroup(id:$id,position:0){id}}", json!({"id": group_id})),
        ("mutation($id:ID!){moveCorpTag(id:$id,position:0){id}}", json!({"id": tag})),
        ("query($id:ID!){workOrder(id:$id){title}}", json!({"id": work_order})),
        ("mutation($id:ID!){deleteAllocationRule(id:$id){id}}", json!({"id": rule})),
        ("query($id:ID!){customerGroup(id:$id){name}}", json!({"id": a_group})),
        ("mutation($id:ID!){updateCustomerGroup(input:{id:$id,customFields:[]}){id}}", json!({"id": a_group})),
        ("mutation($id:ID!){createGroupFollowUp(input:{groupId:$id,content:\"x\"}){id}}", json!({"id": a_group})),
        ("mutation($g:ID!,$t:ID!){tagCustomerGroups(input:{groupIds:[$g],addTagIds:[$t]}){id}}", json!({"g": a_group, "t": gt_id})),
        ("mutation($g:ID!){createWorkOrder(input:{subjectKind:GROUP,subjectId:$g,title:\"x\"}){id}}", json!({"g": a_group})),
        ("mutation($id:ID!){updateGroupTagGroup(id:$id,name:\"x\"){id}}", json!({"id": gtg_id})),
        ("mutation($id:ID!){deleteGroupTagGroup(id:$id){id}}", json!({"id": gtg_id})),
        ("mutation($id:ID!){createGroupTag(tagGroupId:$id,name:\"x\"){id}}", json!({"id": gtg_id})),
        ("mutation($id:ID!){renameGroupTag(id:$id,name:\"x\"){id}}", json!({"id": gt_id})),
        ("mutation($id:ID!){deleteGroupTag(id:$id){id}}", json!({"id": gt_id})),
        (
            "mutation($id:ID!,$d:ID!){updateAllocationRule(id:$id,input:{name:\"x\",departmentIds:[$d],mode:AVERAGE}){id}}",
            json!({"id": rule, "d": app.root_id()}),
        ),
        ("query($e:ID!){unassignedCustomers(handoverEmployeeId:$e){totalCount}}", json!({"e": a_admin})),
        ("mutation($e:ID!){inheritResignedCustomers(input:{handoverEmployeeId:$e,takeoverEmployeeId:$e}){id}}", json!({"e": a_admin})),
        ("mutation($id:ID!){updateWorkOrder(input:{id:$id,status:CLOSED}){id}}", json!({"id": work_order})),
        ("mutation($c:ID!){createWorkOrder(input:{subjectKind:CUSTOMER,subjectId:$c,title:\"x\"}){id}}", json!({"c": customer})),
        ("mutation($c:ID!){submitBusinessRecord(input:{subjectKind:CUSTOMER,subjectId:$c}){id}}", json!({"c": customer})),
        ("mutation($id:ID!){deleteRecordTemplate(id:$id){id}}", json!({"id": template})),
        ("mutation($id:ID!){moveRecordTemplate(id:$id,position:0){id}}", json!({"id": template})),
        (
            "mutation($id:ID!,$f:ID!){updateRecordTemplate(id:$id,input:{name:\"x\",subjectKind:CUSTOMER,fields:[{fieldId:$f}]}){id}}",
            json!({"id": template, "f": field}),
        ),
    ];
    for (q, vars) in probes {
        let (code, _, _) = b.error(q, vars).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }
    // A's data is as it was.
    let v = a.data("query($id:ID!){customer(id:$id){mobile followUps{totalCount}}}", json!({"id": customer})).await;
    assert_eq!(v["customer"]["followUps"]["totalCount"], notes_before);
    assert_ne!(v["customer"]["mobile"], "1");
}

#[tokio::test]
async fn archive_rules_behaviours_and_alerts_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let rule = a.data("mutation{createSensitiveRule(input:{name:\"A-Rule\",words:\"A-Word\"}){id}}", json!({})).await
        ["createSensitiveRule"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.data("mutation($id:ID!){setSensitiveRuleEnabled(id:$id,enabled:true){id}}", json!({"id": rule})).await;
    let week: Vec<Value> = (0..7).map(|_| json!([{"start": "09:00", "end": "18:00"}])).collect();
    let cal = a.data("mutation($w:[[TimeSlotInput!]!]!){createWorkCalendar(input:{name:\"A-Cal\",week:$w}){id}}", json!({"w": week})).await
        ["createWorkCalendar"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    a.data(
        "mutation{setSensitiveMonitoring(input:{sendRedPacket:true,sendBusinessCard:false,sensitiveMessage:true,deleteFriend:false,auditedEmployeeIds:[],auditCustomerMessages:false,notifyGroupOwner:false,notifyTriggeringEmployee:true,notifyDepartmentLeaders:false,employeeIds:[],appMessage:false}){sendRedPacket}}",
        json!({}),
    )
    .await;
    let key = a.data("mutation{rotateArchiveIngestKey}", json!({})).await["rotateArchiveIngestKey"].as_str().unwrap().to_string();
    let msg = json!({"msgid": "same-id", "action": "send", "from": "admin", "tolist": ["wmA"], "roomid": "", "msgtime": 1_764_000_000_000i64,
                     "msgtype": "text", "text": {"content": "A-Secret A-Word"}});
    let res = app.http.post(app.url("/archive/acme/messages")).bearer_auth(&key).json(&json!({"messages": [msg]})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let behaviours =
        a.data("{sensitiveBehaviors{edges{node{id}}} archiveSearch(keyword:\"A-Secret\"){edges{node{chatKey}}}}", json!({})).await;
    let behaviour = behaviours["sensitiveBehaviors"]["edges"][0]["node"]["id"].as_str().expect("a behaviour in A").to_string();
    let chat_key = behaviours["archiveSearch"]["edges"][0]["node"]["chatKey"].as_str().unwrap().to_string();
    let a_admin = app.corp.admin.id.to_string();

    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b
        .data(
            "query($k:String!){archiveSearch(keyword:\"A-Secret\"){totalCount} archiveMessages(chatKey:$k){totalCount} archiveCustomers{totalCount} \
             chatConversations{totalCount} replyTimeouts{totalCount} sensitiveRules{totalCount} sensitiveBehaviors{totalCount} workCalendars{name} \
             alerts{totalCount} sensitiveMonitoring{sendRedPacket}}",
            json!({"k": chat_key}),
        )
        .await;
    for list in [
        "archiveSearch",
        "archiveMessages",
        "archiveCustomers",
        "chatConversations",
        "replyTimeouts",
        "sensitiveRules",
        "sensitiveBehaviors",
        "alerts",
    ] {
        assert_eq!(v[list]["totalCount"], 0, "{list}: {v}");
    }
    assert_eq!(v["workCalendars"], json!([]));
    assert_eq!(v["sensitiveMonitoring"]["sendRedPacket"], false, "B has its own settings");
    let probes: Vec<(&str, Value)> = vec![
        ("query($e:ID!){archiveChats(employeeId:$e){totalCount}}", json!({"e": a_admin})),
        ("mutation($id:ID!){updateSensitiveRule(id:$id,input:{name:\"x\",words:\"x\"}){id}}", json!({"id": rule})),
        ("mutation($id:ID!){setSensitiveRuleEnabled(id:$id,enabled:false){id}}", json!({"id": rule})),
        ("mutation($id:ID!){deleteSensitiveRule(id:$id){id}}", json!({"id": rule})),
        ("mutation($id:ID!){deleteWorkCalendar(id:$id){id}}", json!({"id": cal})),
        ("mutation($id:ID!){reviewSensitiveBehavior(id:$id,verdict:VIOLATION){id}}", json!({"id": behaviour})),
        (
            "mutation($c:ID!){setReplyRules(input:{enabled:true,calendarId:$c,single:[],group:[],appMessage:false}){enabled}}",
            json!({"c": cal}),
        ),
    ];
    for (q, vars) in probes {
        let (code, _, _) = b.error(q, vars).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }
    let (code, _, field) = b
        .error(
            "mutation($e:ID!){setRadarSettings(input:{enabled:true,behaviours:[],windowStart:\"00:00\",windowEnd:\"24:00\",notifyOwner:true,employeeIds:[$e],frequency:REALTIME,batchMinutes:1,appMessage:false}){enabled}}",
            json!({"e": a_admin}),
        )
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("employeeIds")));
    // A's key opens only A's archive; B's archive keeps its own copy of the same msgid.
    let b_key = b.data("mutation{rotateArchiveIngestKey}", json!({})).await["rotateArchiveIngestKey"].as_str().unwrap().to_string();
    let wrong = app.http.post(app.url("/archive/acme/messages")).bearer_auth(&b_key).json(&json!({"messages": []})).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let mine = app.http.post(app.url("/archive/beta/messages")).bearer_auth(&b_key).json(&json!({"messages": [msg]})).send().await.unwrap();
    let out: Value = mine.json().await.unwrap();
    assert_eq!(out["stored"], 1, "{out}");
    let v = a.data("{sensitiveRules{edges{node{hitCount}}}}", json!({})).await;
    assert_eq!(v["sensitiveRules"]["edges"][0]["node"]["hitCount"], 1, "B's message hit none of A's rules");
}

#[tokio::test]
async fn the_wecom_inbox_of_another_corp_is_neither_listed_nor_retryable() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let row = entity::wecom_inbox::ActiveModel {
        corp_id: Set(app.corp.corp.id),
        dedup_key: Set("k".into()),
        event: Set("change_external_contact".into()),
        change_type: Set("add_external_contact".into()),
        payload: Set("<xml/>".into()),
        status: Set("FAILED".into()),
        attempts: Set(5),
        last_error: Set(None),
        received_at: Set(chrono::Utc::now()),
        applied_at: Set(None),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let list = "{wecomInbox(status: FAILED){totalCount}}";
    assert_eq!(a.data(list, json!({})).await["wecomInbox"]["totalCount"], 1);
    assert_eq!(b.data(list, json!({})).await["wecomInbox"]["totalCount"], 0);
    let (code, _, _) = b.error("mutation($id:ID!){retryWecomInboxEvent(id:$id){status}}", json!({"id": row.id.to_string()})).await;
    assert_eq!(code, "NOT_FOUND");
    let v = a.data("{wecomInbox{edges{node{status}}}}", json!({})).await;
    assert_eq!(v["wecomInbox"]["edges"][0]["node"]["status"], "FAILED", "untouched by the other corp");
}

#[tokio::test]
async fn materials_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let category = a.data("mutation{createMaterialCategory(library:PUBLIC,kind:SCRIPT,name:\"A-Category\"){id}}", json!({})).await
        ["createMaterialCategory"]["id"]
        .clone();
    let item = a
        .data(
            "mutation($c:ID!){createKnowledgeItem(library:PUBLIC,kind:SCRIPT,input:{categoryId:$c,names:[\"A-Question\"],content:\"A-Answer\"}){id}}",
            json!({"c": category}),
        )
        .await["createKnowledgeItem"]["id"]
        .clone();
    let folder = a.data("mutation{createFolderCategory(name:\"A-Folder\"){id}}", json!({})).await["createFolderCategory"]["id"].clone();
    let link = a
        .data(
            "mutation($c:ID!){createFolderItem(input:{kind:WEB_LINK,title:\"A-Link\",url:\"https://a.example/secret\",categoryId:$c,radarEnabled:true}){id}}",
            json!({"c": folder}),
        )
        .await["createFolderItem"]["id"]
        .clone();
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("{folderCategories{name} folderItems{totalCount edges{node{title url}}}}", json!({})).await;
    let text = v.to_string();
    for secret in ["A-Folder", "A-Link", "a.example"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    for (q, vars) in [
        ("mutation($id:ID!){updateFolderItem(id:$id,title:\"x\"){id}}", json!({"id": link})),
        ("mutation($id:ID!){deleteFolderItem(id:$id){id}}", json!({"id": link})),
        ("mutation($id:ID!){shareFolderItem(id:$id){url}}", json!({"id": link})),
        ("mutation($id:ID!){createFolderCategory(parentId:$id,name:\"x\"){id}}", json!({"id": folder})),
        (
            "mutation($id:ID!){createFolderItem(input:{kind:WEB_LINK,title:\"x\",url:\"https://x.example\",categoryId:$id}){id}}",
            json!({"id": folder}),
        ),
        ("query($id:ID!){folderItems(categoryId:$id){totalCount}}", json!({"id": folder})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }

    let v = b
        .data(
            "query($c:ID!){materialCategories(library:PUBLIC,kind:SCRIPT){name} knowledgeItems(library:PUBLIC,kind:SCRIPT){totalCount edges{node{names}}} knowledgeItem(id:$c){id}}",
            json!({"c": item}),
        )
        .await;
    let text = v.to_string();
    for secret in ["A-Category", "A-Question", "A-Answer"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert!(v["knowledgeItem"].is_null());
    let (code, _, _) =
        b.error("query($c:ID!){knowledgeItems(library:PUBLIC,kind:SCRIPT,categoryId:$c){totalCount}}", json!({"c": category})).await;
    assert_eq!(code, "NOT_FOUND");
    let probes: Vec<(&str, Value)> = vec![
        ("mutation($id:ID!){renameMaterialCategory(id:$id,name:\"x\"){id}}", json!({"id": category})),
        ("mutation($id:ID!){setMaterialCategorySortIndex(id:$id,sortIndex:1){id}}", json!({"id": category})),
        ("mutation($id:ID!){deleteMaterialCategory(id:$id){id}}", json!({"id": category})),
        ("mutation($id:ID!){createMaterialCategory(library:PUBLIC,kind:SCRIPT,parentId:$id,name:\"x\"){id}}", json!({"id": category})),
        (
            "mutation($id:ID!){createKnowledgeItem(library:PUBLIC,kind:SCRIPT,input:{categoryId:$id,names:[\"x\"],content:\"x\"}){id}}",
            json!({"id": category}),
        ),
        ("mutation($id:ID!){updateKnowledgeItem(id:$id,input:{names:[\"x\"],content:\"x\"}){id}}", json!({"id": item})),
        ("mutation($id:ID!){deleteKnowledgeItem(id:$id){id}}", json!({"id": item})),
        ("mutation($id:ID!){recordKnowledgeItemUse(id:$id){id}}", json!({"id": item})),
    ];
    for (q, vars) in probes {
        let (code, _, _) = b.error(q, vars).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }
    let v = a.data("query($id:ID!){knowledgeItem(id:$id){names usageCount}}", json!({"id": item})).await;
    assert_eq!(v["knowledgeItem"], json!({"names": ["A-Question"], "usageCount": 0}));
}

#[tokio::test]
async fn marketing_materials_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let folder =
        a.data("mutation{createMarketingCategory(name:\"A-Shelf\"){id}}", json!({})).await["createMarketingCategory"]["id"].clone();
    let form = json!({"components": [{"id": "p", "type": "PHONE", "label": "A-Phone", "required": true}]});
    let create = "mutation($i:MarketingMaterialInput!){createMarketingMaterial(input:$i){id}}";
    let material = a.data(create, json!({"i": {"kind": "FORM", "title": "A-Form", "content": form, "categoryId": folder}})).await
        ["createMarketingMaterial"]["id"]
        .clone();
    a.data("mutation($id:ID!){publishMarketingMaterial(id:$id){id}}", json!({"id": material})).await;
    let dept = app.root_id();
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("{marketingCategories{name} marketingMaterials{totalCount edges{node{title content}}}}", json!({})).await;
    let text = v.to_string();
    for secret in ["A-Shelf", "A-Form", "A-Phone"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let article = |extra: Value| {
        let mut i = json!({"kind": "ARTICLE", "articleType": "NORMAL", "title": "x", "content": {"body": "x"}});
        i.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"i": i})
    };
    for (q, vars) in [
        ("query($id:ID!){marketingMaterial(id:$id){id}}", json!({"id": material})),
        ("query($id:ID!){marketingMaterials(categoryId:$id){totalCount}}", json!({"id": folder})),
        ("mutation($id:ID!){publishMarketingMaterial(id:$id){id}}", json!({"id": material})),
        ("mutation($id:ID!){withdrawMarketingMaterial(id:$id){id}}", json!({"id": material})),
        ("mutation($id:ID!){deleteMarketingMaterial(id:$id){id}}", json!({"id": material})),
        ("mutation($id:ID!){shareMarketingMaterial(id:$id){url}}", json!({"id": material})),
        ("mutation($id:ID!){createMarketingCategory(parentId:$id,name:\"x\"){id}}", json!({"id": folder})),
        (
            "mutation($id:ID!){updateMarketingMaterial(id:$id,input:{kind:FORM,title:\"x\",content:{components:[{id:\"a\",type:\"TEXT\",label:\"a\"}]}}){id}}",
            json!({"id": material}),
        ),
        (create, article(json!({"jumpMaterialId": material}))),
        (create, article(json!({"categoryId": folder}))),
        (create, article(json!({"visibleToAll": false, "departmentIds": [dept]}))),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    // A's material is untouched.
    let v = a.data("query($id:ID!){marketingMaterial(id:$id){title status}}", json!({"id": material})).await;
    assert_eq!(v["marketingMaterial"], json!({"title": "A-Form", "status": "PUBLISHED"}));
}

#[tokio::test]
async fn files_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let file = crate::uploads::uploaded(&a, "IMAGE", "A-logo.png", crate::uploads::PNG.to_vec()).await;
    let (id, link) = (file["id"].clone(), file["downloadUrl"].as_str().unwrap().to_string());
    let beta = app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    for (q, vars, field) in [
        ("mutation($f:ID!){wecomMedia(fileId:$f){mediaId}}", json!({"f": id}), "fileId"),
        ("mutation($f:ID!){createFolderItem(input:{kind:IMAGE,fileId:$f}){id}}", json!({"f": id}), "fileId"),
        (
            "mutation($f:ID!){createKnowledgeItem(library:PUBLIC,kind:SCRIPT,input:{names:[\"x\"],content:\"y\",attachmentIds:[$f]}){id}}",
            json!({"f": id}),
            "attachmentIds",
        ),
    ] {
        let (code, _, f) = b.error(q, vars).await;
        assert_eq!((code.as_str(), f.as_deref()), ("NOT_FOUND", Some(field)), "{q}");
    }
    let v = b.data("{folderItems{totalCount} knowledgeItems(library:PUBLIC,kind:SCRIPT){totalCount}}", json!({})).await;
    assert_eq!((&v["folderItems"]["totalCount"], &v["knowledgeItems"]["totalCount"]), (&json!(0), &json!(0)));
    let http = reqwest::Client::new();
    let by_id = app.url(&format!("/files/{}", id.as_str().unwrap()));
    assert_eq!(http.get(&by_id).bearer_auth(b.token.as_ref().unwrap()).send().await.unwrap().status(), 404);
    // A signed link re-pointed at another corp is not genuine.
    let path = link.splitn(4, '/').nth(3).unwrap();
    let alpha = format!("corp={}&", app.admin_scope().corp_id());
    assert!(path.contains(&alpha), "{path}");
    let moved = app.url(&format!("/{path}")).replace(&alpha, &format!("corp={}&", beta.corp.id));
    assert_eq!(http.get(&moved).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn leads_rules_and_transfers_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let lead = crate::leads::lead(&a, json!({"name": "A-Lead", "mobile": "13800000077", "company": "A-Company"})).await["id"].clone();
    let seller = app.employee(&a, "a-seller", &[app.root_id()], &[app.basic_role_id()]).await;
    let rule = a
        .data(
            "mutation($i:LeadRuleInput!){createLeadRule(input:$i){id}}",
            json!({"i": {"name": "A-Rule", "employeeIds": [seller], "conditions": {"items": [{"condition": {"field": "channel", "op": "EQ", "value": "A-Channel"}}]}}}),
        )
        .await["createLeadRule"]["id"]
        .clone();
    let file = crate::uploads::uploaded(&a, "FILE", "a.csv", "线索名称\nA-Imported\n".as_bytes().to_vec()).await;
    let transfer = a.data("mutation($f:ID!){importLeads(fileId:$f){id}}", json!({"f": file["id"]})).await["importLeads"]["id"].clone();

    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b
        .data(
            "{leads(first:100){totalCount edges{node{name}}} discarded: leads(filter:{status:DISCARDED}){totalCount} leadRules{name} \
             dataTransfers(direction:IMPORT){totalCount}}",
            json!({}),
        )
        .await;
    let text = v.to_string();
    for secret in ["A-Lead", "A-Rule", "A-Imported"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert_eq!(v["leads"]["totalCount"], 0);
    let b_seller = b.data("{me{id}}", json!({})).await["me"]["id"].clone();
    for (q, vars) in [
        ("query($id:ID!){lead(id:$id){name}}", json!({"id": lead})),
        ("mutation($id:ID!){updateLead(id:$id,input:{name:\"x\"}){id}}", json!({"id": lead})),
        ("mutation($id:ID!){discardLeads(ids:[$id]){id}}", json!({"id": lead})),
        ("mutation($id:ID!){restoreLeads(ids:[$id]){id}}", json!({"id": lead})),
        ("mutation($id:ID!){deleteLeads(ids:[$id]){id}}", json!({"id": lead})),
        ("mutation($id:ID!){tagLeads(ids:[$id],addTagIds:[],removeTagIds:[]){id}}", json!({"id": lead})),
        ("mutation($id:ID!,$e:ID!){assignLeads(input:{ids:[$id],employeeIds:[$e]}){id}}", json!({"id": lead, "e": b_seller})),
        ("mutation($id:ID!){updateLeadRule(id:$id,input:{name:\"x\",conditions:{items:[]},employeeIds:[]}){id}}", json!({"id": rule})),
        ("mutation($id:ID!){deleteLeadRule(id:$id){id}}", json!({"id": rule})),
        ("query($id:ID!){dataTransfer(id:$id){id}}", json!({"id": transfer})),
        ("mutation($id:ID!){importLeads(fileId:$id){id}}", json!({"id": file["id"]})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    // Another corp's employees are no targets.
    let own = crate::leads::lead(&b, json!({"name": "B-Lead"})).await["id"].clone();
    let (code, _, _) =
        b.error("mutation($id:ID!,$e:ID!){assignLeads(input:{ids:[$id],employeeIds:[$e]}){id}}", json!({"id": own, "e": seller})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    // The corp's own lead is untouched.
    let v = a.data("query($id:ID!){lead(id:$id){name status}}", json!({"id": lead})).await;
    assert_eq!(v["lead"], json!({"name": "A-Lead", "status": "ACTIVE"}));
}

#[tokio::test]
async fn pools_and_opportunities_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let seller = app.employee(&a, "a-seller", &[app.root_id()], &[app.basic_role_id()]).await;
    wecrm::customers::seed::customers(&app.state.db, &app.admin_scope(), 2, &[seller.parse().unwrap()], &[]).await.unwrap();
    let c0 = crate::pool::id_of(&app, "客户0").await;
    let c1 = crate::pool::id_of(&app, "客户1").await;
    let pool = a.data("mutation{createPoolGroup(input:{name:\"A-Pool\"}){id}}", json!({})).await["createPoolGroup"]["id"].clone();
    let reason = a.data("mutation{createPoolReason(name:\"A-Reason\"){id}}", json!({})).await["createPoolReason"]["id"].clone();
    a.data(
        "mutation($c:ID!,$p:ID!,$r:ID!){returnCustomersToPool(customerIds:[$c],poolId:$p,reasonId:$r){arrival}}",
        json!({"c": c1, "p": pool, "r": reason}),
    )
    .await;
    let stage = a.data("{opportunityStages{id}}", json!({})).await["opportunityStages"][0]["id"].clone();
    let lose = a.data("mutation{createLoseReason(name:\"A-Lose\"){id}}", json!({})).await["createLoseReason"]["id"].clone();
    let deal = a
        .data(
            "mutation($i:CreateOpportunityInput!){createOpportunity(input:$i){id}}",
            json!({"i": {"customerId": c0, "name": "A-Deal", "stageId": stage, "expectedAmount": "1", "expectedCloseOn": "2027-01-01"}}),
        )
        .await["createOpportunity"]["id"]
        .clone();

    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b
        .data("{poolGroups{name} myPools{name} poolReasons{name} poolCustomers{totalCount} opportunities{totalCount} loseReasons{name} opportunityStages{name}}", json!({}))
        .await;
    let text = v.to_string();
    for secret in ["A-Pool", "A-Reason", "A-Deal", "A-Lose", "客户0", "客户1"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let b_self = b.data("{me{id}}", json!({})).await["me"]["id"].clone();
    for (q, vars) in [
        ("mutation($id:ID!){updatePoolGroup(id:$id,input:{name:\"x\"}){id}}", json!({"id": pool})),
        ("mutation($id:ID!){deletePoolGroup(id:$id){id}}", json!({"id": pool})),
        ("mutation($id:ID!){renamePoolReason(id:$id,name:\"x\"){id}}", json!({"id": reason})),
        ("query($id:ID!){poolCustomers(filter:{poolId:$id}){totalCount}}", json!({"id": pool})),
        ("mutation($id:ID!){exportPoolCustomers(filter:{poolId:$id}){id}}", json!({"id": pool})),
        ("mutation($c:ID!){claimPoolCustomers(customerIds:[$c]){id}}", json!({"c": c1})),
        ("mutation($c:ID!,$e:ID!){assignPoolCustomers(input:{customerIds:[$c],employeeIds:[$e]}){id}}", json!({"c": c1, "e": b_self})),
        ("mutation($c:ID!){deletePoolCustomers(customerIds:[$c]){id}}", json!({"c": c1})),
        ("query($id:ID!){opportunity(id:$id){id}}", json!({"id": deal})),
        ("mutation($id:ID!){updateOpportunity(id:$id,input:{name:\"x\"}){id}}", json!({"id": deal})),
        ("mutation($id:ID!,$s:ID!){changeOpportunityStage(id:$id,stageId:$s){id}}", json!({"id": deal, "s": stage})),
        ("mutation($id:ID!){pinOpportunity(id:$id){id}}", json!({"id": deal})),
        ("mutation($id:ID!){deleteOpportunity(id:$id){id}}", json!({"id": deal})),
        ("mutation($id:ID!){updateOpportunityStage(id:$id,name:\"x\"){id}}", json!({"id": stage})),
        ("mutation($id:ID!){deleteOpportunityStage(id:$id){id}}", json!({"id": stage})),
        ("mutation($id:ID!){renameLoseReason(id:$id,name:\"x\"){id}}", json!({"id": lose})),
        ("mutation($id:ID!){deleteLoseReason(id:$id){id}}", json!({"id": lose})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    // Another corp's customers, pools and stages are not there to use.
    let own_pool = b.data("{myPools{id}}", json!({})).await["myPools"][0]["id"].clone();
    let own_reason = b.data("mutation{createPoolReason(name:\"B\"){id}}", json!({})).await["createPoolReason"]["id"].clone();
    let (code, _, _) = b
        .error(
            "mutation($c:ID!,$p:ID!,$r:ID!){returnCustomersToPool(customerIds:[$c],poolId:$p,reasonId:$r){arrival}}",
            json!({"c": c0, "p": own_pool, "r": own_reason}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _, _) = b
        .error(
            "mutation($i:CreateOpportunityInput!){createOpportunity(input:$i){id}}",
            json!({"i": {"customerId": c0, "name": "x", "stageId": stage, "expectedAmount": "1", "expectedCloseOn": "2027-01-01"}}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let v = a.data("query($id:ID!){opportunity(id:$id){name}}", json!({"id": deal})).await;
    assert_eq!(v["opportunity"]["name"], "A-Deal");
}

#[tokio::test]
async fn companies_and_industries_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let industry = a.data("mutation{createIndustry(name:\"A-Industry\"){id}}", json!({})).await["createIndustry"]["id"].clone();
    let company = a.data("mutation($i:ID!){createCompany(input:{name:\"A-Company\",industryId:$i}){id}}", json!({"i": industry})).await
        ["createCompany"]["id"]
        .clone();
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("{companies{totalCount edges{node{name}}} industries{name}}", json!({})).await;
    let text = v.to_string();
    assert!(!text.contains("A-Company") && !text.contains("A-Industry"), "{text}");
    let seller = app.employee(&a, "a-seller", &[app.root_id()], &[app.basic_role_id()]).await;
    wecrm::customers::seed::customers(&app.state.db, &app.admin_scope(), 1, &[seller.parse().unwrap()], &[]).await.unwrap();
    let customer = crate::pool::id_of(&app, "客户0").await;
    for (q, vars) in [
        ("query($id:ID!){company(id:$id){name}}", json!({"id": company})),
        ("mutation($id:ID!){updateCompany(id:$id,input:{name:\"x\"}){id}}", json!({"id": company})),
        ("mutation($id:ID!){deleteCompany(id:$id){id}}", json!({"id": company})),
        ("mutation($id:ID!){renameIndustry(id:$id,name:\"x\"){id}}", json!({"id": industry})),
        ("mutation($id:ID!){createCompany(input:{name:\"x\",industryId:$id}){id}}", json!({"id": industry})),
        ("mutation($c:ID!,$co:ID!){setCustomerCompany(customerId:$c,companyId:$co){id}}", json!({"c": customer, "co": company})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    let v = a.data("query($id:ID!){company(id:$id){name}}", json!({"id": company})).await;
    assert_eq!(v["company"]["name"], "A-Company");
}

#[tokio::test]
async fn smart_tag_rules_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let tag = a.data("mutation{createCorpTagGroup(input:{name:\"A-Group\",tags:[\"A-Tag\"]}){tags{id}}}", json!({})).await
        ["createCorpTagGroup"]["tags"][0]["id"]
        .clone();
    let conditions = json!({"items": [{"condition": {"field": "channel", "op": "EQ", "value": "A-Channel"}}]});
    let create = "mutation($i:SmartTagRuleInput!){createSmartTagRule(input:$i){id}}";
    let rule = a.data(create, json!({"i": {"name": "A-Rule", "tagIds": [tag], "conditions": conditions}})).await["createSmartTagRule"]
        ["id"]
        .clone();
    let group_tag = a.data("mutation{createGroupTagGroup(input:{name:\"A-GroupTags\",tags:[\"A-GroupTag\"]}){tags{id}}}", json!({})).await
        ["createGroupTagGroup"]["tags"][0]["id"]
        .clone();
    let of_groups = json!({"items": [{"condition": {"field": "tags", "op": "HAS_NONE", "value": [group_tag]}}]});
    let group_input = json!({"name": "A-GroupRule", "tagType": "GROUP", "tagIds": [group_tag], "conditions": of_groups});
    let group_rule = a.data(create, json!({"i": group_input})).await["createSmartTagRule"]["id"].clone();

    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("{smartTagRules{totalCount edges{node{name}}}}", json!({})).await;
    assert_eq!(v["smartTagRules"]["totalCount"], 0, "{v}");
    let own = b.data("mutation{createCorpTagGroup(input:{name:\"B-Group\",tags:[\"B-Tag\"]}){tags{id}}}", json!({})).await
        ["createCorpTagGroup"]["tags"][0]["id"]
        .clone();
    let input = |tag: &Value| json!({"name": "x", "tagIds": [tag], "conditions": conditions});
    for (q, vars) in [
        ("query($id:ID!){smartTagRule(id:$id){name}}", json!({"id": rule})),
        ("query($id:ID!){smartTagRule(id:$id){groupTags{name} coveredCount}}", json!({"id": group_rule})),
        (create, json!({"i": {"name": "B-GroupRule", "tagType": "GROUP", "tagIds": [group_tag], "conditions": of_groups}})),
        ("mutation($id:ID!,$i:SmartTagRuleInput!){updateSmartTagRule(id:$id,input:$i){id}}", json!({"id": rule, "i": input(&own)})),
        ("mutation($id:ID!){deleteSmartTagRule(id:$id){id}}", json!({"id": rule})),
        (create, json!({"i": input(&tag)})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    let v = a.data("query($id:ID!){smartTagRule(id:$id){name tags{name}}}", json!({"id": rule})).await;
    assert_eq!(v["smartTagRule"], json!({"name": "A-Rule", "tags": [{"name": "A-Tag"}]}));
    let v = a.data("query($id:ID!){smartTagRule(id:$id){tagType groupTags{name}}}", json!({"id": group_rule})).await;
    assert_eq!(v["smartTagRule"], json!({"tagType": "GROUP", "groupTags": [{"name": "A-GroupTag"}]}));
}

#[tokio::test]
async fn segments_and_crowd_packs_of_another_corp_answer_nothing() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    let seg = a.data("mutation{createCustomerSegment(name:\"A-Segment\"){id}}", json!({})).await["createCustomerSegment"]["id"].clone();
    let seller = app.employee(&a, "a-seller", &[app.root_id()], &[app.basic_role_id()]).await;
    wecrm::customers::seed::customers(&app.state.db, &app.admin_scope(), 2, &[seller.parse().unwrap()], &[]).await.unwrap();
    let conditions = json!({"items": [{"condition": {"field": "name", "op": "CONTAINS", "value": "客户"}}]});
    let create = "mutation($i:CrowdPackInput!){createCrowdPack(input:$i){id}}";
    let pack = a.data(create, json!({"i": {"segmentId": seg, "name": "A-Pack", "kind": "STATIC", "conditions": conditions}})).await
        ["createCrowdPack"]["id"]
        .clone();

    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("{customerSegments{name} crowdPacks{totalCount edges{node{name}}}}", json!({})).await;
    let text = v.to_string();
    assert!(!text.contains("A-Segment") && !text.contains("A-Pack"), "{text}");
    let own = b.data("mutation{createCustomerSegment(name:\"B-Segment\"){id}}", json!({})).await["createCustomerSegment"]["id"].clone();
    // The same conditions in b select none of a's customers, frozen or live.
    for kind in ["STATIC", "DYNAMIC"] {
        let v = b
            .data(
                create.replace("{id}", "{id customerCount}").as_str(),
                json!({"i": {"segmentId": own, "name": kind, "kind": kind, "conditions": conditions}}),
            )
            .await;
        assert_eq!(v["createCrowdPack"]["customerCount"], 0, "{kind}: {v}");
    }
    for (q, vars) in [
        ("query($id:ID!){crowdPack(id:$id){name customerCount}}", json!({"id": pack})),
        ("mutation($id:ID!){renameCustomerSegment(id:$id,name:\"x\"){id}}", json!({"id": seg})),
        ("mutation($id:ID!){deleteCustomerSegment(id:$id){id}}", json!({"id": seg})),
        ("mutation($id:ID!,$s:ID!){updateCrowdPack(id:$id,input:{segmentId:$s,name:\"x\"}){id}}", json!({"id": pack, "s": own})),
        ("mutation($id:ID!){deleteCrowdPack(id:$id){id}}", json!({"id": pack})),
        (create, json!({"i": {"segmentId": seg, "name": "x", "kind": "DYNAMIC", "conditions": conditions}})),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    let v = a.data("query($id:ID!){crowdPack(id:$id){name segment{name} customerCount}}", json!({"id": pack})).await;
    assert_eq!(v["crowdPack"], json!({"name": "A-Pack", "segment": {"name": "A-Segment"}, "customerCount": 2}));
}

#[tokio::test]
async fn official_accounts_and_fans_of_another_corp_answer_nothing() {
    let w = crate::wecom::world(1, 2).await;
    let appid = "wx00000000000000a1";
    w.sandbox.add_official_account(wecrm::sandbox::SandboxOa::new(appid, "a-secret", true).with_followers(2));
    let bind = "mutation($i:BindOfficialAccountInput!){bindOfficialAccount(input:$i){id}}";
    let input = json!({"i": {"appid": appid, "name": "A-OA", "kind": "SERVICE", "secret": "a-secret"}});
    let account = w.admin.data(bind, input).await["bindOfficialAccount"]["id"].clone();
    for _ in 0..200 {
        let v = w.admin.data("{officialAccountFans{totalCount}}", json!({})).await;
        if v["officialAccountFans"]["totalCount"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    w.app.provision("beta", 5).await;
    let b = w.app.login_as("beta", "admin", PASSWORD).await;
    let v = b.data("query($a:[ID!]){officialAccounts{id} officialAccountFans(accountIds:$a){totalCount}}", json!({"a": [account]})).await;
    assert_eq!(v, json!({"officialAccounts": [], "officialAccountFans": {"totalCount": 0}}));
    for (q, vars) in [
        ("mutation($id:ID!){unbindOfficialAccount(id:$id){id}}", json!({"id": account})),
        ("mutation($id:ID!){syncOfficialAccountFans(id:$id){id}}", json!({"id": account})),
        ("mutation($a:ID!){createOfficialAccountQrCode(accountId:$a,input:{scene:\"1\"}){ticket}}", json!({"a": account})),
        ("mutation($id:ID!,$d:[ID!]!){setOfficialAccountDepartments(id:$id,departmentIds:$d){id}}", json!({"id": account, "d": []})),
        (
            "mutation($a:ID!){sendOfficialAccountTemplateMessage(accountId:$a,input:{openid:\"o\",templateId:\"t\",data:[{key:\"first\",value:\"v\"}]}){msgId}}",
            json!({"a": account}),
        ),
    ] {
        assert_eq!(b.error(q, vars).await.0, "NOT_FOUND", "{q}");
    }
    // B's own account cannot be assigned to A's department.
    let b_appid = "wx00000000000000b1";
    w.sandbox.add_official_account(wecrm::sandbox::SandboxOa::new(b_appid, "b-secret", true));
    let b_input = json!({"i": {"appid": b_appid, "name": "B-OA", "kind": "SERVICE", "secret": "b-secret"}});
    let b_account = b.data(bind, b_input).await["bindOfficialAccount"]["id"].clone();
    let set = "mutation($id:ID!,$d:[ID!]!){setOfficialAccountDepartments(id:$id,departmentIds:$d){id}}";
    assert_eq!(b.error(set, json!({"id": b_account, "d": [w.app.root_id()]})).await.0, "NOT_FOUND");
    let v = w.admin.data("{officialAccounts{name status departments{name}} officialAccountFans{totalCount}}", json!({})).await;
    assert_eq!(
        v,
        json!({"officialAccounts": [{"name": "A-OA", "status": "BOUND", "departments": []}], "officialAccountFans": {"totalCount": 2}})
    );
}

#[tokio::test]
async fn lead_import_columns_name_only_the_callers_fields() {
    let app = TestApp::spawn().await;
    let a = app.admin().await;
    a.data("mutation{createCustomField(input:{entity:LEAD,name:\"A-LeadField\",fieldType:SINGLE_LINE_TEXT}){id}}", json!({})).await;
    assert!(a.data("{leadImportColumns}", json!({})).await["leadImportColumns"].as_array().unwrap().contains(&json!("A-LeadField")));
    app.provision("beta", 5).await;
    let b = app.login_as("beta", "admin", PASSWORD).await;
    let columns = b.data("{leadImportColumns}", json!({})).await["leadImportColumns"].clone();
    assert!(!columns.to_string().contains("A-LeadField"), "{columns}");
}
