//! GraphQL surface of Official Accounts: the bound accounts, their fans,
//! binding and unbinding (tenant admins), fans sync and QR codes.

use std::collections::HashMap;

use async_graphql::{
    dataloader::{DataLoader, HashMapCache, Loader},
    Context, InputObject, Object, SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    graphql::{
        connection::{connection, fetch_page, parse_id, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        loader::{rows, LoadResult, RowById},
    },
    jobs::graphql::Job,
    official_accounts::{
        accounts::{self, AccountKind},
        channels, fans, qr_codes, templates,
    },
    org::graphql::department::Department,
    org::permissions as perm,
    tenancy::Scope,
};
use entity::{corp, oa_account, oa_follower};

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum OfficialAccountStatus {
    Bound,
    /// De-authorised and unbound: its fans are kept but no longer updated.
    Unbound,
}

/// An Official Account bound to the corp. Secrets are never readable back.
pub struct OfficialAccount(pub oa_account::Model);

#[Object]
impl OfficialAccount {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn appid(&self) -> &str {
        &self.0.appid
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AccountKind {
        AccountKind::of(&self.0.kind)
    }
    async fn status(&self) -> OfficialAccountStatus {
        if self.0.status == accounts::status::BOUND {
            OfficialAccountStatus::Bound
        } else {
            OfficialAccountStatus::Unbound
        }
    }
    /// The server URL to enter in the WeChat back office (基本配置 > 服务器地址).
    async fn callback_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let code = fan_loader(ctx).load_one(CorpCode).await?.unwrap_or_default();
        let base = ctx.state().config.public_base();
        Ok(format!("{}/callbacks/oa/{code}/{}", base.trim_end_matches('/'), self.0.appid))
    }
    async fn callback_token_set(&self) -> bool {
        self.0.callback_token.is_some()
    }
    /// Callbacks arrive encrypted (an EncodingAESKey is set).
    async fn safe_mode(&self) -> bool {
        self.0.encoding_aes_key.is_some()
    }
    /// The departments whose members work with it (OA-8; a parent's assignment does not reach children).
    async fn departments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        Ok(fan_loader(ctx).load_one(DepartmentsOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    async fn fans_synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.fans_synced_at
    }
    async fn unbound_at(&self) -> Option<DateTime<Utc>> {
        self.0.unbound_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A WeChat user as one account knows them; the row stays after an unfollow.
pub struct OfficialAccountFan(pub oa_follower::Model);

#[Object]
impl OfficialAccountFan {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OfficialAccount>> {
        Ok(rows(ctx).load_one(RowById::<oa_account::Entity>::new(self.0.account_id)).await?.map(OfficialAccount))
    }
    async fn openid(&self) -> &str {
        &self.0.openid
    }
    /// Links the person across accounts and WeCom (when the account is on an open-platform account).
    async fn unionid(&self) -> Option<&str> {
        self.0.unionid.as_deref()
    }
    async fn subscribed(&self) -> bool {
        self.0.subscribed
    }
    /// WeChat's `subscribe_scene`, e.g. `ADD_SCENE_QR_CODE`.
    async fn subscribe_scene(&self) -> Option<&str> {
        self.0.subscribe_scene.as_deref()
    }
    /// The parametric QR code's scene the follow came through.
    async fn qr_scene(&self) -> Option<&str> {
        self.0.qr_scene.as_deref()
    }
    async fn subscribed_at(&self) -> Option<DateTime<Utc>> {
        self.0.subscribed_at
    }
    async fn unsubscribed_at(&self) -> Option<DateTime<Utc>> {
        self.0.unsubscribed_at
    }
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }
    /// The account's fan tag ids.
    async fn tag_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.0.tag_ids).unwrap_or_default()
    }
}

#[derive(SimpleObject)]
pub struct OfficialAccountQrCode {
    pub ticket: String,
    /// What the code encodes (render it, or use `imageUrl`).
    pub url: String,
    pub image_url: String,
    /// Null for a permanent code.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Omitted optional fields keep their stored value on a rebind; an empty string clears one.
#[derive(InputObject)]
pub struct BindOfficialAccountInput {
    /// 18 characters starting with `wx`.
    pub appid: String,
    pub name: String,
    pub kind: AccountKind,
    /// Required on the first bind; checked against WeChat before anything is stored.
    pub secret: Option<String>,
    /// The server configuration's token (3–32 letters or digits).
    pub callback_token: Option<String>,
    /// 43 characters: callbacks in safe mode. Without it, plain mode.
    pub encoding_aes_key: Option<String>,
}

#[derive(InputObject)]
pub struct CreateOfficialAccountQrCodeInput {
    /// 1–64 characters; a number fitting WeChat's numeric range is sent as a numeric scene.
    pub scene: String,
    /// Temporary code's life in seconds (1 to 2,592,000); omitted: permanent.
    pub expire_seconds: Option<i64>,
}

#[derive(InputObject)]
pub struct TemplateKeywordInput {
    /// The template's keyword, e.g. `first`, `keyword1`, `remark`.
    pub key: String,
    pub value: String,
    /// `#RRGGBB`.
    pub color: Option<String>,
}

#[derive(InputObject)]
pub struct SendOfficialAccountTemplateMessageInput {
    /// A fan who follows the account now.
    pub openid: String,
    /// A template the account added in WeChat.
    pub template_id: String,
    /// Where tapping the message leads (http or https).
    pub url: Option<String>,
    /// Sending again with the same id within WeChat's window sends once.
    pub client_msg_id: Option<String>,
    pub data: Vec<TemplateKeywordInput>,
}

#[derive(SimpleObject)]
pub struct SendOfficialAccountTemplateMessagePayload {
    /// WeChat's message id (its TEMPLATESENDJOBFINISH event names it).
    pub msg_id: String,
}

/// Fans by unionid: the same person's follow rows across the corp's accounts.
pub struct FanLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
    /// The caller, for their department channels (OA-8).
    pub auth: Option<crate::tenancy::Auth>,
}

/// The accounts the caller works with, read once per request (None: all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Channels;

impl Loader<Channels> for FanLoader {
    type Value = Option<Vec<i64>>;
    type Error = async_graphql::Error;
    async fn load(&self, _: &[Channels]) -> LoadResult<Channels, Self::Value> {
        let Some(auth) = &self.auth else { return Ok(HashMap::new()) };
        // No channel: no follows to show, rather than an error on every customer.
        let accounts = match channels::accessible(&self.db, auth).await {
            Ok(accounts) => accounts,
            Err(e) if e.code == crate::error::Code::Forbidden => Some(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        Ok(HashMap::from([(Channels, accounts)]))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FansOfUnionid(pub String);

/// The caller's corp code (callback URLs name it), read once per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CorpCode;

/// An account's departments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DepartmentsOf(pub i64);

impl Loader<DepartmentsOf> for FanLoader {
    type Value = Vec<entity::department::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[DepartmentsOf]) -> LoadResult<DepartmentsOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let pairs = channels::departments_of(&self.db, scope, keys.iter().map(|k| k.0).collect()).await?;
        Ok(crate::graphql::loader::group(keys, pairs.into_iter().map(|(a, d)| (DepartmentsOf(a), d))))
    }
}

fn fan_loader<'a>(ctx: &'a Context<'_>) -> &'a DataLoader<FanLoader, HashMapCache> {
    ctx.data_unchecked()
}

impl Loader<CorpCode> for FanLoader {
    type Value = String;
    type Error = async_graphql::Error;
    async fn load(&self, _: &[CorpCode]) -> LoadResult<CorpCode, String> {
        use sea_orm::EntityTrait;
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let found = corp::Entity::find_by_id(scope.corp_id()).one(&self.db).await.map_err(crate::error::AppError::from)?;
        Ok(found.map(|c| (CorpCode, c.code)).into_iter().collect())
    }
}

impl Loader<FansOfUnionid> for FanLoader {
    type Value = Vec<oa_follower::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FansOfUnionid]) -> LoadResult<FansOfUnionid, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let found = fans::by_unionids(&self.db, scope, keys.iter().map(|k| k.0.clone()).collect()).await?;
        let mut out: HashMap<FansOfUnionid, Self::Value> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for f in found {
            if let Some(u) = f.unionid.clone() {
                out.entry(FansOfUnionid(u)).or_default().push(f);
            }
        }
        Ok(out)
    }
}

/// A customer's follow rows: every account's fan with the customer's unionid (OA-6).
pub async fn follows_of(ctx: &Context<'_>, unionid: Option<&str>) -> async_graphql::Result<Vec<OfficialAccountFan>> {
    let Some(u) = unionid.filter(|u| !u.is_empty()) else { return Ok(Vec::new()) };
    let loader = fan_loader(ctx);
    let (follows, mine) = futures_util::try_join!(loader.load_one(FansOfUnionid(u.to_string())), loader.load_one(Channels))?;
    let mine = mine.unwrap_or(Some(Vec::new()));
    Ok(follows
        .unwrap_or_default()
        .into_iter()
        .filter(|f| mine.as_ref().is_none_or(|ids| ids.contains(&f.account_id)))
        .map(OfficialAccountFan)
        .collect())
}

#[derive(Default)]
pub struct OfficialAccountQuery;

#[Object]
impl OfficialAccountQuery {
    /// The corp's Official Accounts, bound and unbound (a small catalogue, not paged).
    #[graphql(guard = "Perm(perm::OA_VIEW)")]
    async fn official_accounts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OfficialAccount>> {
        Ok(channels::visible_accounts(ctx.db(), ctx.auth()?).await?.into_iter().map(OfficialAccount).collect())
    }

    /// Fans of the chosen accounts (all when `accountIds` is omitted; OA-5's
    /// union), newest first; `subscribed` keeps only current or former followers.
    #[graphql(guard = "Perm(perm::OA_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn official_account_fans(
        &self,
        ctx: &Context<'_>,
        account_ids: Option<Vec<ID>>,
        subscribed: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<OfficialAccountFan>> {
        let page = Page::new(first, after)?;
        let accounts = account_ids.map(|ids| ids.iter().map(|i| parse_id(i, "accountIds")).collect::<Result<Vec<_>, _>>()).transpose()?;
        let accounts = channels::narrow(ctx.db(), ctx.auth()?, accounts).await?;
        let (rows, total) = fetch_page(ctx.db(), fans::list(ctx.scope()?, accounts, subscribed), page).await?;
        Ok(connection(page, total, rows.into_iter().map(OfficialAccountFan).collect()))
    }
}

#[derive(Default)]
pub struct OfficialAccountMutation;

#[Object]
impl OfficialAccountMutation {
    /// Binds an account (or rebinds it) after WeChat accepted its AppID and
    /// AppSecret, and starts its first fans sync. Tenant admins only.
    #[graphql(guard = "LoggedIn")]
    async fn bind_official_account(&self, ctx: &Context<'_>, input: BindOfficialAccountInput) -> async_graphql::Result<OfficialAccount> {
        let state = ctx.state();
        let bound = accounts::bind(
            ctx.db(),
            ctx.auth()?,
            &state.master_key,
            &state.oa,
            &state.jobs,
            accounts::BindInput {
                appid: input.appid,
                name: input.name,
                kind: input.kind,
                secret: input.secret,
                callback_token: input.callback_token,
                encoding_aes_key: input.encoding_aes_key,
            },
        )
        .await?;
        Ok(OfficialAccount(bound))
    }

    /// Unbinds an account WeChat no longer authorises (`CONFLICT` while it
    /// still does). Its fans are kept. Tenant admins only.
    #[graphql(guard = "LoggedIn")]
    async fn unbind_official_account(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OfficialAccount> {
        let state = ctx.state();
        Ok(OfficialAccount(accounts::unbind(ctx.db(), ctx.auth()?, &state.master_key, &state.oa, parse_id(&id, "id")?).await?))
    }

    /// Assigns the account to departments (OA-8), replacing its previous
    /// ones; their own members work with it. Tenant admins only.
    #[graphql(guard = "LoggedIn")]
    async fn set_official_account_departments(
        &self,
        ctx: &Context<'_>,
        id: ID,
        department_ids: Vec<ID>,
    ) -> async_graphql::Result<OfficialAccount> {
        let ids = department_ids.iter().map(|d| parse_id(d, "departmentIds")).collect::<Result<Vec<_>, _>>()?;
        Ok(OfficialAccount(channels::set_departments(ctx.db(), ctx.auth()?, parse_id(&id, "id")?, ids).await?))
    }

    /// Re-pulls the account's followers as a background job (OA-4); a sync
    /// already waiting or running is answered instead of a second one.
    #[graphql(guard = "Perm(perm::OA_QR_MANAGE)")]
    async fn sync_official_account_fans(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        Ok(Job(accounts::start_sync(ctx.db(), ctx.auth()?, &ctx.state().jobs, parse_id(&id, "id")?).await?))
    }

    /// Sends a template message of a service account to one of its current followers (OA-5).
    #[graphql(guard = "Perm(perm::OA_MESSAGE_SEND)")]
    async fn send_official_account_template_message(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        input: SendOfficialAccountTemplateMessageInput,
    ) -> async_graphql::Result<SendOfficialAccountTemplateMessagePayload> {
        let state = ctx.state();
        let msg_id = templates::send(
            ctx.db(),
            ctx.auth()?,
            &state.master_key,
            &state.oa,
            parse_id(&account_id, "accountId")?,
            templates::NewTemplateMessage {
                openid: input.openid,
                template_id: input.template_id,
                url: input.url,
                client_msg_id: input.client_msg_id,
                data: input.data.into_iter().map(|k| (k.key, k.value, k.color)).collect(),
            },
        )
        .await?;
        Ok(SendOfficialAccountTemplateMessagePayload { msg_id: msg_id.to_string() })
    }

    /// A parametric QR code of a service account; its scene comes back on
    /// the follower's subscribe or scan.
    #[graphql(guard = "Perm(perm::OA_QR_MANAGE)")]
    async fn create_official_account_qr_code(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        input: CreateOfficialAccountQrCodeInput,
    ) -> async_graphql::Result<OfficialAccountQrCode> {
        let state = ctx.state();
        let code = qr_codes::create(
            ctx.db(),
            ctx.auth()?,
            &state.master_key,
            &state.oa,
            parse_id(&account_id, "accountId")?,
            qr_codes::NewQrCode { scene: input.scene, expire_seconds: input.expire_seconds },
        )
        .await?;
        Ok(OfficialAccountQrCode { ticket: code.ticket, url: code.url, image_url: code.image_url, expires_at: code.expires_at })
    }
}
