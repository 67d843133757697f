//! Live alerts and the chat archive (#5): corp settings documents, alerts and
//! their recipients, archived messages with their chats and conversations,
//! reply timeouts, working calendars, sensitive words and behaviours.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table, timestamps};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000012_live_alerts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("corp_settings")
                .col(string(a("key")))
                .col(text(a("value")))
                .col(big_integer_null(a("updated_by")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("corp_settings", "key", &["corp_id", "key"], true)).await?;

        m.create_table(
            tenant_table("alerts")
                .col(string(a("category")))
                .col(string(a("kind")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(big_integer_null(a("employee_id")))
                .col(text(a("text")))
                .col(text(a("payload")))
                .col(timestamp_with_time_zone(a("occurred_at")))
                .col(string(a("dedup_key")))
                .col(timestamp_with_time_zone_null(a("delivered_at")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("alerts", "dedup", &["corp_id", "dedup_key"], true)).await?;
        m.create_index(index("alerts", "undelivered", &["corp_id", "category", "delivered_at"], false)).await?;
        m.create_table(
            tenant_table("alert_recipients")
                .col(big_integer(a("alert_id")))
                .col(big_integer(a("employee_id")))
                .col(timestamp_with_time_zone_null(a("read_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("alert_recipients", "employee", &["corp_id", "employee_id", "alert_id"], true)).await?;

        m.create_table(
            tenant_table("chat_messages")
                .col(string(a("msgid")))
                .col(string(a("action")))
                .col(string(a("msgtype")))
                .col(string(a("from_id")))
                .col(boolean(a("from_customer")))
                .col(text(a("tolist")))
                .col(string_null(a("roomid")))
                .col(string(a("chat_kind")))
                .col(string(a("chat_key")))
                .col(big_integer_null(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(text(a("content")))
                .col(text(a("body")))
                .col(string_null(a("media_kind")))
                .col(big_integer_null(a("conversation_id")))
                .col(timestamp_with_time_zone(a("msgtime")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("chat_messages", "msgid", &["corp_id", "msgid"], true)).await?;
        m.create_index(index("chat_messages", "chat", &["corp_id", "chat_key", "msgtime"], false)).await?;
        m.create_index(index("chat_messages", "customer", &["corp_id", "customer_id", "msgtime"], false)).await?;
        m.create_index(index("chat_messages", "group", &["corp_id", "group_id", "msgtime"], false)).await?;
        m.create_index(index("chat_messages", "media", &["corp_id", "media_kind", "msgtime"], false)).await?;

        m.create_table(
            tenant_table("chat_threads")
                .col(string(a("chat_key")))
                .col(string(a("chat_kind")))
                .col(big_integer_null(a("employee_id")))
                .col(string_null(a("peer_userid")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(string_null(a("roomid")))
                .col(big_integer(a("message_count")))
                .col(timestamp_with_time_zone(a("last_message_at")))
                .col(text(a("last_content")))
                .col(big_integer_null(a("last_sent_id")))
                .col(timestamp_with_time_zone_null(a("last_sent_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("chat_threads", "key", &["corp_id", "chat_key"], true)).await?;
        m.create_index(index("chat_threads", "employee", &["corp_id", "employee_id", "last_message_at"], false)).await?;

        m.create_table(
            tenant_table("chat_conversations")
                .col(string(a("chat_key")))
                .col(string(a("chat_kind")))
                .col(big_integer_null(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(timestamp_with_time_zone(a("started_at")))
                .col(timestamp_with_time_zone(a("last_message_at")))
                .col(timestamp_with_time_zone_null(a("ended_at")))
                .col(string_null(a("end_reason")))
                .col(big_integer(a("message_count")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("chat_conversations", "chat", &["corp_id", "chat_key", "started_at"], false)).await?;

        m.create_table(
            tenant_table("reply_timeouts")
                .col(string(a("chat_kind")))
                .col(string(a("chat_key")))
                .col(big_integer(a("message_id")))
                .col(integer(a("level")))
                .col(integer(a("limit_minutes")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("employee_id")))
                .col(big_integer_null(a("group_id")))
                .col(text(a("employee_ids")))
                .col(timestamp_with_time_zone(a("customer_message_at")))
                .col(timestamp_with_time_zone(a("deadline_at")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("reply_timeouts", "once", &["corp_id", "message_id", "level"], true)).await?;
        m.create_index(index("reply_timeouts", "time", &["corp_id", "created_at"], false)).await?;

        let mut cal = tenant_table("work_calendars");
        cal.col(string(a("name")))
            .col(string_null(a("note")))
            .col(text(a("week")))
            .col(text(a("holidays")))
            .col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut cal).to_owned()).await?;

        let mut rules = tenant_table("sensitive_rules");
        rules
            .col(string(a("name")))
            .col(text(a("words")))
            .col(string(a("category")))
            .col(boolean(a("enabled")))
            .col(big_integer(a("hit_count")))
            .col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut rules).to_owned()).await?;
        m.create_index(index("sensitive_rules", "created", &["corp_id", "created_at"], false)).await?;
        m.create_table(
            tenant_table("sensitive_hits")
                .col(big_integer(a("rule_id")))
                .col(big_integer(a("message_id")))
                .col(string(a("word")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sensitive_hits", "once", &["corp_id", "rule_id", "message_id"], true)).await?;
        m.create_table(
            tenant_table("sensitive_behaviors")
                .col(string(a("kind")))
                .col(big_integer_null(a("message_id")))
                .col(big_integer_null(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(text(a("detail")))
                .col(timestamp_with_time_zone(a("occurred_at")))
                .col(string(a("status")))
                .col(string_null(a("verdict")))
                .col(text_null(a("remark")))
                .col(big_integer_null(a("reviewer_id")))
                .col(timestamp_with_time_zone_null(a("reviewed_at")))
                .col(string(a("dedup_key")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("sensitive_behaviors", "dedup", &["corp_id", "dedup_key"], true)).await?;
        m.create_index(index("sensitive_behaviors", "time", &["corp_id", "occurred_at"], false)).await?;

        // ARC-1: whether the customer agreed to archiving.
        let mut agreed = boolean(a("archive_agreed")).default(false).to_owned();
        m.alter_table(Table::alter().table(a("customers")).add_column(&mut agreed).to_owned()).await?;
        // Department leaders as WeCom reports them (reply-timeout escalation).
        let mut leaders = text(a("leader_userids")).default("[]").to_owned();
        m.alter_table(Table::alter().table(a("departments")).add_column(&mut leaders).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "corp_settings",
            "alerts",
            "alert_recipients",
            "chat_messages",
            "chat_threads",
            "chat_conversations",
            "reply_timeouts",
            "work_calendars",
            "sensitive_rules",
            "sensitive_hits",
            "sensitive_behaviors",
        ] {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        m.alter_table(Table::alter().table(a("customers")).drop_column(a("archive_agreed")).to_owned()).await?;
        m.alter_table(Table::alter().table(a("departments")).drop_column(a("leader_userids")).to_owned()).await?;
        Ok(())
    }
}
