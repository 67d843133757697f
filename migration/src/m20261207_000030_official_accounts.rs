//! Official Accounts (OA-1…4): the accounts a corp binds (credentials sealed
//! with the master key like WeCom's), their followers ("fans", one row per
//! account and openid, kept after an unfollow with the flag cleared), and
//! the account's verified callbacks, which are both the durable inbox and
//! the record of what each follower did (subscribe, unsubscribe, scans,
//! menu clicks, messages). Accounts are assigned to departments (OA-8's
//! 渠道分配): an employee works with the accounts of the departments they
//! are directly in.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table, timestamps};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000030_official_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut accounts = tenant_table("oa_accounts");
        accounts
            .col(string(a("appid")))
            .col(string(a("name")))
            .col(string(a("kind")))
            .col(string(a("secret")))
            .col(string_null(a("callback_token")))
            .col(string_null(a("encoding_aes_key")))
            .col(string(a("status")))
            .col(timestamp_with_time_zone_null(a("fans_synced_at")))
            .col(timestamp_with_time_zone_null(a("unbound_at")));
        timestamps(&mut accounts);
        accounts.foreign_key(&mut key("oa_accounts", "corp_id", "corps", ForeignKeyAction::Cascade));
        m.create_table(accounts.to_owned()).await?;
        m.create_index(index("oa_accounts", "appid", &["corp_id", "appid"], true)).await?;

        m.create_table(
            tenant_table("oa_account_departments")
                .col(big_integer(a("account_id")))
                .col(big_integer(a("department_id")))
                .foreign_key(&mut key("oa_account_departments", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("oa_account_departments", "account_id", "oa_accounts", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("oa_account_departments", "department_id", "departments", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("oa_account_departments", "account", &["account_id", "department_id"], true)).await?;
        m.create_index(index("oa_account_departments", "department", &["department_id"], false)).await?;

        let mut followers = tenant_table("oa_followers");
        followers
            .col(big_integer(a("account_id")))
            .col(string(a("openid")))
            .col(string_null(a("unionid")))
            .col(boolean(a("subscribed")))
            .col(string_null(a("subscribe_scene")))
            .col(string_null(a("qr_scene")))
            .col(timestamp_with_time_zone_null(a("subscribed_at")))
            .col(timestamp_with_time_zone_null(a("unsubscribed_at")))
            .col(string_null(a("remark")))
            .col(string_null(a("language")))
            .col(string(a("tag_ids")).default("[]"));
        timestamps(&mut followers);
        followers.foreign_key(&mut key("oa_followers", "corp_id", "corps", ForeignKeyAction::Cascade)).foreign_key(&mut key(
            "oa_followers",
            "account_id",
            "oa_accounts",
            ForeignKeyAction::Cascade,
        ));
        m.create_table(followers.to_owned()).await?;
        m.create_index(index("oa_followers", "openid", &["account_id", "openid"], true)).await?;
        m.create_index(index("oa_followers", "listing", &["corp_id", "account_id", "subscribed", "id"], false)).await?;
        m.create_index(index("oa_followers", "unionid", &["corp_id", "unionid"], false)).await?;

        m.create_table(
            tenant_table("oa_events")
                .col(big_integer(a("account_id")))
                .col(string(a("dedup_key")))
                .col(string(a("openid")))
                .col(string(a("event")))
                .col(string_null(a("event_key")))
                .col(text_null(a("content")))
                .col(text(a("payload")))
                .col(string(a("status")))
                .col(integer(a("attempts")).default(0))
                .col(timestamp_with_time_zone(a("occurred_at")))
                .col(timestamp_with_time_zone(a("received_at")))
                .col(timestamp_with_time_zone_null(a("applied_at")))
                .foreign_key(&mut key("oa_events", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("oa_events", "account_id", "oa_accounts", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("oa_events", "dedup", &["account_id", "dedup_key"], true)).await?;
        m.create_index(index("oa_events", "follower", &["corp_id", "account_id", "openid", "id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["oa_events", "oa_followers", "oa_account_departments", "oa_accounts"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
