use sea_orm::entity::prelude::*;

/// One archived chat message (会话存档), as WeCom's archive reports it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub msgid: String,
    /// send, recall or switch.
    pub action: String,
    /// WeCom's msgtype: text, image, voice, video, file, link, card, redpacket, chatrecord, revoke…
    pub msgtype: String,
    pub from_id: String,
    /// The sender is a customer (external contact).
    pub from_customer: bool,
    /// JSON array of receivers.
    pub tolist: String,
    pub roomid: Option<String>,
    /// SINGLE (employee and customer), GROUP (customer group) or INTERNAL.
    pub chat_kind: String,
    /// The thread the message belongs to.
    pub chat_key: String,
    /// The employee side of a single chat; the owner of a group chat.
    pub employee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    /// Searchable text: the text, a link's title, a file's name…
    pub content: String,
    /// JSON: the typed body as received.
    pub body: String,
    /// VOICE, VIDEO or another media kind for audio/video lists; null otherwise.
    pub media_kind: Option<String>,
    pub conversation_id: Option<i64>,
    pub msgtime: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
