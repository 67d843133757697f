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

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::folder::WEB_LINK;
use crate::{
    customers::timeline::{self, EventKind, NewEvent},
    db::group_commit::{BatchFuture, GroupCommit},
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

/// One open of a tracked link, for [`record_opens`].
pub type Open = (material_share::Model, DateTime<Utc>);

/// The share a token names, if any (the token is the only key a viewer has:
/// found before the corp is known).
pub async fn find_share(db: &DatabaseConnection, token: &str) -> AppResult<Option<material_share::Model>> {
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(crate::tenancy::across_corps::<material_share::Entity>().filter(material_share::Column::Token.eq(token)).one(db).await?)
}

/// Records one open of a tracked link; the URL to send the viewer on to,
/// or `None` for a token that names nothing (forged, or its item deleted).
/// Opens arriving together share one transaction (`AppState::radar_opens`):
/// a viral article is opened by thousands at once.
pub async fn open(
    db: &DatabaseConnection,
    commits: &GroupCommit<Open, Option<String>>,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let Some(share) = find_share(db, token).await? else { return Ok(None) };
    Ok(commits.run((share, now)).await?)
}

/// Writes a batch of opens (the writer of `AppState::radar_opens`): per
/// item, one count update; one insert of the new viewers (a viewer once,
/// replays and repeats in the batch included); per corp, one timeline
/// append, which queues the radar dispatch. Answers each open's redirect.
pub fn record_opens<'t>(txn: &'t DatabaseTransaction, opens: &'t [Open]) -> BatchFuture<'t, Option<String>> {
    Box::pin(async move {
        let internal = |e: AppError| DbErr::Custom(format!("{e:?}"));
        let item_ids: Vec<i64> = opens.iter().map(|(s, _)| s.folder_item_id).collect::<HashSet<_>>().into_iter().collect();
        let items: HashMap<i64, folder_item::Model> = crate::tenancy::across_corps::<folder_item::Entity>()
            .filter(folder_item::Column::Id.is_in(item_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        // Until the viewer is identified (H5 OAuth, later), the share's customer is the viewer.
        let viewer_key = |s: &material_share::Model| match s.customer_id {
            Some(c) => format!("customer:{c}"),
            None => format!("share:{}", s.id),
        };
        let mut seen = HashSet::new();
        let views: Vec<material_view::ActiveModel> = opens
            .iter()
            .filter(|(s, _)| items.contains_key(&s.folder_item_id) && seen.insert((s.corp_id, s.folder_item_id, viewer_key(s))))
            .map(|(s, at)| material_view::ActiveModel {
                corp_id: Set(s.corp_id),
                folder_item_id: Set(s.folder_item_id),
                share_id: Set(s.id),
                customer_id: Set(s.customer_id),
                viewer_key: Set(viewer_key(s)),
                first_viewed_at: Set(*at),
                ..Default::default()
            })
            .collect();
        let on_conflict =
            OnConflict::columns([material_view::Column::CorpId, material_view::Column::FolderItemId, material_view::Column::ViewerKey])
                .do_nothing()
                .to_owned();
        let new_viewers = if views.is_empty() {
            Vec::new()
        } else {
            match material_view::Entity::insert_many(views).on_conflict(on_conflict).exec_with_returning(txn).await {
                Ok(v) => v,
                Err(DbErr::RecordNotInserted) => Vec::new(),
                Err(e) => return Err(e),
            }
        };
        let mut counts: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
        for (s, _) in opens.iter().filter(|(s, _)| items.contains_key(&s.folder_item_id)) {
            counts.entry((s.corp_id, s.folder_item_id)).or_default().0 += 1;
        }
        for v in &new_viewers {
            counts.entry((v.corp_id, v.folder_item_id)).or_default().1 += 1;
        }
        // In key order, so concurrent batches lock the item rows in one order.
        for ((corp_id, item_id), (views, viewers)) in counts {
            Scope::system(corp_id)
                .update_many::<folder_item::Entity>()
                .col_expr(folder_item::Column::ViewCount, Expr::col(folder_item::Column::ViewCount).add(views))
                .col_expr(folder_item::Column::ViewerCount, Expr::col(folder_item::Column::ViewerCount).add(viewers))
                .filter(folder_item::Column::Id.eq(item_id))
                .exec(txn)
                .await?;
        }
        let mut events: BTreeMap<i64, Vec<NewEvent>> = BTreeMap::new();
        for (s, at) in opens {
            let (Some(item), Some(customer_id)) = (items.get(&s.folder_item_id), s.customer_id) else { continue };
            let mut event = NewEvent::new(customer_id, EventKind::MaterialViewed, *at).by(Some(s.employee_id)).with(json!({
                "materialId": item.id,
                "materialTitle": item.title,
                "materialKind": item.kind,
                "action": "VIEW",
                "shareId": s.id,
            }));
            if let Some(g) = s.group_id {
                event = event.in_group(g);
            }
            events.entry(s.corp_id).or_default().push(event);
        }
        for (corp_id, events) in events {
            timeline::append(txn, &Scope::system(corp_id), events).await.map_err(internal)?;
        }
        Ok(opens.iter().map(|(s, _)| items.get(&s.folder_item_id).and_then(|i| i.url.clone())).collect())
    })
}
