//! Internal groups (ORG-11): employee-only WeCom group chats created from a
//! selection of employees, split into numbered groups past the size limit.

use chrono::Utc;
use rand::seq::SliceRandom;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::employees::EmployeeQuery;
use crate::{
    error::{AppError, AppResult, Code, Msg},
    integrations::wecom::types::{AppChatCreate, AppChatSend, MediaRef, TextContent},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    tenancy::Scope,
};
use entity::{employee, internal_group};

const NAME_REQUIRED: Msg = Msg::new("INTERNAL_GROUP_NAME_REQUIRED", "请填写群名称", "The group name is required");
const FILTER_REQUIRED: Msg = Msg::new(
    "INTERNAL_GROUP_FILTER_REQUIRED",
    "请至少选择部门、员工标签或字段条件中的一项",
    "Choose departments, employee tags or field conditions",
);
const SIZE_RANGE: Msg = Msg::new("INTERNAL_GROUP_SIZE_RANGE", "群人数上限为2-2000", "The size limit must be 2-2000");
const MESSAGE_TOO_LONG: Msg =
    Msg::new("INTERNAL_GROUP_MESSAGE_TOO_LONG", "入群引导语不超过300字", "The entry message is at most 300 characters");
const MESSAGE_REQUIRED: Msg = Msg::new("INTERNAL_GROUP_MESSAGE_REQUIRED", "请填写入群引导语", "The entry message is required");
const TOO_FEW: Msg =
    Msg::new("INTERNAL_GROUP_TOO_FEW", "符合条件的员工不足2人，无法建群", "Fewer than 2 employees match; no group can be created");
const TOO_MANY: Msg = Msg::new(
    "INTERNAL_GROUP_TOO_MANY",
    "符合条件的员工超过群人数上限，请开启自动拆分或缩小范围",
    "More employees match than the size limit; turn on auto-split or narrow the filter",
);
const NOT_BOUND: Msg = Msg::new("WECOM_NOT_BOUND", "企业尚未绑定企业微信", "The corp is not bound to WeCom");

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreateRequest {
    pub name: String,
    pub filter: EmployeeQuery,
    pub size_limit: usize,
    pub auto_split: bool,
    pub owner_id: Option<i64>,
    pub message: String,
    pub image_media_id: Option<String>,
    pub video_media_id: Option<String>,
}

/// Validation that fails the request rather than the job.
pub fn validate(req: &CreateRequest) -> AppResult<()> {
    if req.name.trim().is_empty() {
        return Err(AppError::bad_input("name", NAME_REQUIRED));
    }
    let f = &req.filter;
    if f.department_ids.is_empty() && f.tag_ids.is_empty() && f.conditions.is_empty() {
        return Err(AppError::bad_input("filter", FILTER_REQUIRED));
    }
    if !(2..=2000).contains(&req.size_limit) {
        return Err(AppError::bad_input("sizeLimit", SIZE_RANGE));
    }
    if req.message.trim().is_empty() {
        return Err(AppError::bad_input("entryMessage", MESSAGE_REQUIRED));
    }
    if req.message.chars().count() > 300 {
        return Err(AppError::bad_input("entryMessage", MESSAGE_TOO_LONG));
    }
    Ok(())
}

/// Splits members into groups of at most `limit`, keeping every group ≥ 2.
pub fn split(members: &[String], limit: usize) -> Vec<Vec<String>> {
    let n = members.len().div_ceil(limit).max(1);
    // Even sizes, so no trailing group of one.
    let base = members.len() / n;
    let extra = members.len() % n;
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    for g in 0..n {
        let size = base + usize::from(g < extra);
        out.push(members[i..i + size].to_vec());
        i += size;
    }
    out
}

pub fn list(
    scope: &Scope,
    name: Option<&str>,
    owner_id: Option<i64>,
    from: Option<chrono::DateTime<Utc>>,
    to: Option<chrono::DateTime<Utc>>,
) -> Select<internal_group::Entity> {
    let mut q =
        scope.select::<internal_group::Entity>().order_by_desc(internal_group::Column::CreatedAt).order_by_desc(internal_group::Column::Id);
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        q = q.filter(internal_group::Column::Name.contains(n));
    }
    if let Some(o) = owner_id {
        q = q.filter(internal_group::Column::OwnerId.eq(o));
    }
    if let Some(f) = from {
        q = q.filter(internal_group::Column::CreatedAt.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(internal_group::Column::CreatedAt.lte(t));
    }
    q
}

pub struct CreateInternalGroupsJob;

impl JobKind for CreateInternalGroupsJob {
    const KIND: &'static str = "org.internal_groups";
    type Payload = CreateRequest;
}

#[async_trait::async_trait]
impl JobHandler for CreateInternalGroupsJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, req: CreateRequest) -> Result<Value, JobError> {
        let scope = ctx.starter_scope().await?;
        let state = &ctx.state;
        let Some(link) = crate::wecom_sync::link::link(state, scope.corp_id()).await? else {
            return Err(JobError::Permanent { code: Code::BadUserInput, msg: NOT_BOUND });
        };
        let cond = req.filter.condition(&state.db, &scope).await?;
        let members: Vec<(i64, String)> = scope
            .select_visible::<employee::Entity>()
            .filter(cond)
            .select_only()
            .column(employee::Column::Id)
            .column(employee::Column::Userid)
            .order_by_asc(employee::Column::Id)
            .into_tuple()
            .all(&state.db)
            .await
            .map_err(AppError::from)?;
        if members.len() < 2 {
            return Err(JobError::Permanent { code: Code::BadUserInput, msg: TOO_FEW });
        }
        if members.len() > req.size_limit && !req.auto_split {
            return Err(JobError::Permanent { code: Code::BadUserInput, msg: TOO_MANY });
        }
        let owner = match req.owner_id {
            Some(o) => Some(scope.get::<employee::Entity>(&state.db, o).await?),
            None => None,
        };
        // A chosen owner joins every group: it takes one seat of each.
        let userids: Vec<String> = members.iter().map(|m| m.1.clone()).filter(|u| owner.as_ref().is_none_or(|o| &o.userid != u)).collect();
        if userids.is_empty() {
            return Err(JobError::Permanent { code: Code::BadUserInput, msg: TOO_FEW });
        }
        let groups = split(&userids, req.size_limit - usize::from(owner.is_some()));
        let numbered = groups.len() > 1;
        let mut created = Vec::new();
        for (i, chunk) in groups.iter().enumerate() {
            let mut chunk = chunk.clone();
            // The chosen owner joins every group; otherwise a random member owns it.
            let owner_userid = match &owner {
                Some(o) => {
                    if !chunk.contains(&o.userid) {
                        chunk.push(o.userid.clone());
                    }
                    o.userid.clone()
                }
                None => match chunk.choose(&mut rand::thread_rng()) {
                    Some(u) => u.clone(),
                    None => continue,
                },
            };
            let name = if numbered { format!("{}{}", req.name.trim(), i + 1) } else { req.name.trim().to_string() };
            let chatid = link
                .client
                .appchat_create(
                    &link.creds,
                    &AppChatCreate { name: name.clone(), owner: owner_userid.clone(), userlist: chunk.clone(), chatid: None },
                )
                .await
                .map_err(|e| JobError::from_app(e.into()))?;
            let text = AppChatSend {
                chatid: chatid.clone(),
                msgtype: "text".into(),
                text: Some(TextContent { content: req.message.clone() }),
                ..Default::default()
            };
            link.client.appchat_send(&link.creds, &text).await.map_err(|e| JobError::from_app(e.into()))?;
            for (msgtype, media) in [("image", &req.image_media_id), ("video", &req.video_media_id)] {
                if let Some(m) = media {
                    let mut body = AppChatSend { chatid: chatid.clone(), msgtype: msgtype.into(), ..Default::default() };
                    let r = Some(MediaRef { media_id: m.clone() });
                    if msgtype == "image" {
                        body.image = r
                    } else {
                        body.video = r
                    }
                    link.client.appchat_send(&link.creds, &body).await.map_err(|e| JobError::from_app(e.into()))?;
                }
            }
            let ids: Vec<i64> = chunk
                .iter()
                .filter_map(|u| members.iter().find(|m| &m.1 == u).map(|m| m.0).or(owner.as_ref().filter(|o| &o.userid == u).map(|o| o.id)))
                .collect();
            // The owner was picked from this chunk's members, or is the chosen owner.
            let Some(owner_id) = owner.as_ref().map(|o| o.id).or_else(|| members.iter().find(|m| m.1 == owner_userid).map(|m| m.0)) else {
                continue;
            };
            scope
                .insert(
                    &state.db,
                    internal_group::ActiveModel {
                        name: Set(name.clone()),
                        chat_id: Set(chatid.clone()),
                        owner_id: Set(owner_id),
                        member_ids: Set(crate::json::text(&ids)),
                        member_count: Set(ids.len() as i32),
                        created_by: Set(scope.employee_id()),
                        created_at: Set(Utc::now()),
                        ..Default::default()
                    },
                )
                .await?;
            created.push(json!({"name": name, "chatId": chatid, "members": ids.len()}));
            ctx.progress(((i + 1) * 100 / groups.len()) as i32, "groups").await?;
        }
        Ok(json!({"groups": created}))
    }
}

pub async fn members(db: &DatabaseConnection, scope: &Scope, group: &internal_group::Model) -> AppResult<Vec<employee::Model>> {
    let ids: Vec<i64> = serde_json::from_str(&group.member_ids).unwrap_or_default();
    Ok(scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(ids)).all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splitting_keeps_groups_even_and_never_leaves_one_alone() {
        let m: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(split(&m, 4).iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(split(&m, 5).len(), 1);
        let m: Vec<String> = (0..4001).map(|i| i.to_string()).collect();
        assert_eq!(split(&m, 2000).iter().map(Vec::len).collect::<Vec<_>>(), [1334, 1334, 1333]);
    }
}
