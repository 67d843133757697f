//! Radar tracking of shared folder items (MAT-7, EMP-2), first part: a
//! radar-enabled web link is shared as `/r/{token}`, a token bound to the
//! item, the sharing employee and the customer or group it was sent to.
//! Opening it counts a view (a viewer once, however often one link is
//! replayed), adds a MATERIAL_VIEWED entry to the customer's timeline
//! credited to the sharing employee — which raises the MATERIAL radar alert
//! through the radar settings, in the same transaction — and redirects to
//! the link. The token grants nothing else; an unknown one records nothing.
//! (Heartbeats, reached-bottom, re-shares, forms and viewer OAuth come with
//! the H5 pages in later parts of issue #13.)

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde_json::json;

use super::folder::WEB_LINK;
use crate::{
    customers::timeline::{self, EventKind, NewEvent},
    error::{AppError, AppResult},
    tenancy::Scope,
};
use entity::{customer, customer_group, folder_item, material_share, material_view};

/// Hex characters of a token (24 random bytes).
const TOKEN_LEN: usize = 48;

/// What the sidebar sends for one share.
pub struct Shared {
    pub item: folder_item::Model,
    /// The tracked link when the radar is on, else the item's own URL
    /// (`None` for a mini program, which is sent as a card).
    pub url: Option<String>,
    pub tracked: bool,
}

fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_LEN / 2];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Shares an item to a customer or group the caller's data scope sees (or
/// to no one in particular). Without the radar, nothing is recorded.
pub async fn share(
    db: &DatabaseConnection,
    scope: &Scope,
    public_base: &str,
    item_id: i64,
    customer_id: Option<i64>,
    group_id: Option<i64>,
) -> AppResult<Shared> {
    let employee_id = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let item = scope.get::<folder_item::Entity>(db, item_id).await?;
    if let Some(c) = customer_id {
        scope.get_visible::<customer::Entity>(db, c).await.map_err(|e| e.with_field("customerId"))?;
    }
    if let Some(g) = group_id {
        scope.get_visible::<customer_group::Entity>(db, g).await.map_err(|e| e.with_field("groupId"))?;
    }
    if !item.radar_enabled || item.kind != WEB_LINK {
        let url = item.url.clone();
        return Ok(Shared { item, url, tracked: false });
    }
    let token = new_token();
    scope
        .insert(
            db,
            material_share::ActiveModel {
                token: Set(token.clone()),
                folder_item_id: Set(item.id),
                employee_id: Set(employee_id),
                customer_id: Set(customer_id),
                group_id: Set(group_id),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await?;
    let url = format!("{}/r/{token}", public_base.trim_end_matches('/'));
    Ok(Shared { item, url: Some(url), tracked: true })
}

/// Records one open of a tracked link; the URL to send the viewer on to,
/// or `None` for a token that names nothing (forged, or its item deleted).
pub async fn open(db: &DatabaseConnection, token: &str, now: DateTime<Utc>) -> AppResult<Option<String>> {
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    // The token is the only key a viewer has: found before the corp is known.
    let Some(share) =
        crate::tenancy::across_corps::<material_share::Entity>().filter(material_share::Column::Token.eq(token)).one(db).await?
    else {
        return Ok(None);
    };
    let scope = Scope::system(share.corp_id);
    let txn = crate::db::write_txn(db).await?;
    let Some(item) = scope.find::<folder_item::Entity>(&txn, Some(share.folder_item_id)).await? else { return Ok(None) };
    // Until the viewer is identified (H5 OAuth, later), the share's customer is the viewer.
    let viewer_key = match share.customer_id {
        Some(c) => format!("customer:{c}"),
        None => format!("share:{}", share.id),
    };
    let view = material_view::ActiveModel {
        corp_id: Set(share.corp_id),
        folder_item_id: Set(item.id),
        share_id: Set(share.id),
        customer_id: Set(share.customer_id),
        viewer_key: Set(viewer_key),
        first_viewed_at: Set(now),
        ..Default::default()
    };
    let on_conflict =
        OnConflict::columns([material_view::Column::CorpId, material_view::Column::FolderItemId, material_view::Column::ViewerKey])
            .do_nothing()
            .to_owned();
    let new_viewer = match material_view::Entity::insert(view).on_conflict(on_conflict).exec_without_returning(&txn).await {
        Ok(rows) => rows > 0,
        Err(DbErr::RecordNotInserted) => false,
        Err(e) => return Err(e.into()),
    };
    use sea_orm::sea_query::{Expr, ExprTrait};
    scope
        .update_many::<folder_item::Entity>()
        .col_expr(folder_item::Column::ViewCount, Expr::col(folder_item::Column::ViewCount).add(1))
        .col_expr(folder_item::Column::ViewerCount, Expr::col(folder_item::Column::ViewerCount).add(i64::from(new_viewer)))
        .filter(folder_item::Column::Id.eq(item.id))
        .exec(&txn)
        .await?;
    if let Some(customer_id) = share.customer_id {
        let mut event = NewEvent::new(customer_id, EventKind::MaterialViewed, now).by(Some(share.employee_id)).with(json!({
            "materialId": item.id,
            "materialTitle": item.title,
            "materialKind": item.kind,
            "action": "VIEW",
            "shareId": share.id,
        }));
        if let Some(g) = share.group_id {
            event = event.in_group(g);
        }
        timeline::append(&txn, &scope, vec![event]).await?;
    }
    txn.commit().await?;
    Ok(item.url)
}
