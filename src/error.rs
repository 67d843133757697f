//! Errors as clients see them: a stable `extensions.code`, the offending field,
//! and SPEC's message in Chinese (English when the client prefers it).
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts
//! every `Display` type into an error whose message is that text, which is how
//! database and HTTP errors leak. Services return `AppError`; internal causes
//! only reach the log.

use std::borrow::Cow;

use async_graphql::ErrorExtensions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Upstream,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::Upstream => "UPSTREAM",
            Code::Internal => "INTERNAL",
        }
    }
}

/// A user-facing message in both languages, with the stable reason clients
/// branch on (`extensions.reason`, SCREAMING_SNAKE; the README lists them
/// and `tests/reasons.rs` keeps that list and the code in step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub reason: &'static str,
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Msg {
    pub const fn new(reason: &'static str, zh: &'static str, en: &'static str) -> Self {
        Msg { reason, zh: Cow::Borrowed(zh), en: Cow::Borrowed(en) }
    }
    pub fn owned(reason: &'static str, zh: String, en: String) -> Self {
        Msg { reason, zh: Cow::Owned(zh), en: Cow::Owned(en) }
    }
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Messages quoted from SPEC, and our own where SPEC gives none.
pub mod msg {
    use super::Msg;
    pub const NO_PERMISSION: Msg =
        Msg::new("NO_PERMISSION", "您无此操作权限，请联系管理员", "You have no permission for this action, contact the admin");
    pub const LOGIN_REQUIRED: Msg = Msg::new("LOGIN_REQUIRED", "请先登录", "Please log in first");
    pub const LOGIN_FAILED: Msg = Msg::new("LOGIN_FAILED", "账号或密码错误", "Wrong account or password");
    pub const SYSTEM_CLOSED: Msg =
        Msg::new("SYSTEM_CLOSED", "该账号未开启系统使用权限，请联系管理员", "System access is closed for this account, contact the admin");
    pub const LOGIN_THROTTLED: Msg = Msg::new("LOGIN_THROTTLED", "登录失败次数过多，请稍后再试", "Too many failed logins, try again later");
    pub const SESSION_INVALID: Msg = Msg::new("SESSION_INVALID", "登录已失效，请重新登录", "Your session has expired, log in again");
    pub const DEPT_HAS_DATA: Msg =
        Msg::new("DEPT_HAS_DATA", "该部门下还有数据存在，请先清除数据再删除", "The department still has data; clear it before deleting");
    pub const DEPT_NAME_INVALID: Msg = Msg::new(
        "DEPT_NAME_INVALID",
        "部门名称为1-32个字符，且不能包含\\:\"<>|",
        "Department name must be 1-32 characters without \\:\"<>|",
    );
    pub const SEATS_EXHAUSTED: Msg =
        Msg::new("SEATS_EXHAUSTED", "可使用数量已用完，请联系商务", "The seat quota is used up, contact sales");
    pub const EMPLOYEE_HAS_CUSTOMERS: Msg = Msg::new(
        "EMPLOYEE_HAS_CUSTOMERS",
        "该员工下有跟进的客户，请先分配客户至其他员工在进行删除",
        "This employee still owns customers; reassign them first",
    );
    pub const SUPER_ROLE_IMMUTABLE: Msg =
        Msg::new("SUPER_ROLE_IMMUTABLE", "超级管理员角色不可编辑或删除", "The super admin role cannot be edited or deleted");
    pub const SUPER_ADMIN_IMMUTABLE: Msg =
        Msg::new("SUPER_ADMIN_IMMUTABLE", "超级管理员不可删除或关闭系统", "The super admin cannot be deleted or closed");
    pub const ROLE_NAME_INVALID: Msg =
        Msg::new("ROLE_NAME_INVALID", "角色名称不能为空，且不超过30个字", "Role name is required and at most 30 characters");
    pub const ROLE_IN_USE: Msg =
        Msg::new("ROLE_IN_USE", "该角色下还有员工，请先移除员工再删除", "The role is still assigned to employees; remove them first");
    pub const NOT_FOUND: Msg = Msg::new("NOT_FOUND", "数据不存在或无权查看", "Not found, or not visible to you");
    pub const INTERNAL: Msg = Msg::new("INTERNAL", "服务器内部错误", "Internal server error");
    pub const REQUIRED: Msg = Msg::new("REQUIRED", "必填项不能为空", "This field is required");
    pub const PAGE_TOO_LARGE: Msg = Msg::new("PAGE_TOO_LARGE", "每页最多100条", "At most 100 items per page");
    pub const BAD_CURSOR: Msg = Msg::new("BAD_CURSOR", "分页游标无效", "Invalid pagination cursor");
    pub const BAD_ID: Msg = Msg::new("BAD_ID", "ID格式无效", "Invalid id");
    pub const DUPLICATE_USERID: Msg = Msg::new("DUPLICATE_USERID", "账号已存在", "This account already exists");
    pub const DUPLICATE_NAME: Msg = Msg::new("DUPLICATE_NAME", "名称已存在", "This name already exists");
    pub const DEPT_CYCLE: Msg =
        Msg::new("DEPT_CYCLE", "不能移动到自身或其下级部门", "A department cannot move under itself or its descendants");
    pub const DUPLICATE: Msg = Msg::new("DUPLICATE", "数据已存在，请勿重复添加", "This already exists");
    pub const REFERENCE_MISSING: Msg =
        Msg::new("REFERENCE_MISSING", "关联的数据不存在或已被删除", "A referenced item does not exist or was deleted");
    pub const STILL_REFERENCED: Msg = Msg::new(
        "STILL_REFERENCED",
        "该数据仍被其他数据引用，请先移除引用再删除",
        "It is still referenced elsewhere; remove those references before deleting",
    );
    pub const PASSWORD_WEAK: Msg = Msg::new("PASSWORD_WEAK", "密码至少8位", "Password must be at least 8 characters");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks English only when `Accept-Language` ranks an English tag above every Chinese one.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else { return Lang::Zh };
        let (mut zh, mut en) = (-1.0f32, -1.0f32);
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            if tag.starts_with("zh") {
                zh = zh.max(q);
            } else if tag.starts_with("en") {
                en = en.max(q);
            }
        }
        if en > zh {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// The one error type of services.
#[derive(Debug)]
pub struct AppError {
    pub code: Code,
    pub msg: Msg,
    /// Boxed, not `String`: the error travels in every `Result`, so it is kept small.
    pub field: Option<Box<str>>,
    pub extra: Vec<(&'static str, serde_json::Value)>,
    /// Internal cause; logged, never sent.
    pub source: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: Code, msg: Msg) -> Self {
        AppError { code, msg, field: None, extra: Vec::new(), source: None }
    }
    pub fn bad_input(field: impl Into<String>, msg: Msg) -> Self {
        AppError::new(Code::BadUserInput, msg).with_field(field)
    }
    pub fn forbidden() -> Self {
        AppError::new(Code::Forbidden, msg::NO_PERMISSION)
    }
    pub fn unauthenticated() -> Self {
        AppError::new(Code::Unauthenticated, msg::LOGIN_REQUIRED)
    }
    pub fn not_found() -> Self {
        AppError::new(Code::NotFound, msg::NOT_FOUND)
    }
    pub fn conflict(msg: Msg) -> Self {
        AppError::new(Code::Conflict, msg)
    }
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let mut e = AppError::new(Code::Internal, msg::INTERNAL);
        e.source = Some(err.into());
        e
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into().into_boxed_str());
        self
    }
    pub fn with_extra(mut self, key: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.push((key, value.into()));
        self
    }
}

/// The database's own refusals become answers a client can act on, so a race
/// past a service's check still ends in CONFLICT or NOT_FOUND, not INTERNAL.
/// A key violation here is a write naming a missing row; deletes that may be
/// refused map theirs with [`AppError::from_delete`].
impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(msg::DUPLICATE),
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::new(Code::NotFound, msg::REFERENCE_MISSING),
            _ if is_restrict_refusal(&e) => AppError::new(Code::NotFound, msg::REFERENCE_MISSING),
            _ => AppError::internal(e),
        }
    }
}

/// SQLite enforces `ON DELETE RESTRICT` through an internal trigger, so the
/// refusal arrives as SQLITE_CONSTRAINT_TRIGGER (1811), which sea-orm's
/// `sql_err` does not classify; its text is still SQLite's foreign-key one.
fn is_restrict_refusal(e: &sea_orm::DbErr) -> bool {
    e.to_string().contains("(code: 1811) FOREIGN KEY constraint failed")
}

impl AppError {
    /// For a write that may break a unique index: the area's own CONFLICT
    /// reason on `field`, also when a concurrent write won the race.
    pub fn on_unique(e: sea_orm::DbErr, taken: Msg, field: &str) -> AppError {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(taken).with_field(field),
            _ => AppError::from(e),
        }
    }

    /// For a delete: a foreign-key refusal means rows still point at the
    /// target, answered as CONFLICT with `refused` (the area's own reason).
    pub fn from_delete(e: sea_orm::DbErr, refused: Msg) -> AppError {
        match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::conflict(refused),
            _ if is_restrict_refusal(&e) => AppError::conflict(refused),
            _ => AppError::from(e),
        }
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => AppError::from(db),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// Extension key carrying the English text until the HTTP layer picks the language.
pub const EN_MESSAGE_KEY: &str = "__messageEn";

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        if let Some(source) = &e.source {
            // Inside the request span, so the log line carries the request id.
            tracing::error!(error = ?source, "internal error");
        }
        let AppError { code, msg, field, extra, .. } = e;
        async_graphql::Error::new(msg.zh.into_owned()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            ext.set("reason", msg.reason);
            ext.set(EN_MESSAGE_KEY, msg.en.into_owned());
            if let Some(field) = field {
                ext.set("field", String::from(field));
            }
            for (k, v) in extra {
                if let Ok(v) = async_graphql::Value::from_json(v) {
                    ext.set(k, v);
                }
            }
        })
    }
}
