//! Radar tracking of shared materials (MAT-7, SIDE-6, EMP-2). Sharing a
//! radar-enabled folder link or any marketing material mints `/r/{token}`,
//! a token bound to the material, the sharing employee and the customer or
//! group it was sent to. Opening it counts a view (a viewer once, however
//! often one link is replayed), adds a MATERIAL_VIEWED entry to the
//! customer's timeline credited to the sharing employee — which raises the
//! MATERIAL radar alert in the same transaction — and sends the viewer on:
//! to a folder link's target, or to the H5 page of a marketing material with
//! a fresh visit key that the page's tracking calls carry
//! ([`super::behaviour`]). The token grants nothing else; an unknown one, or
//! one whose material was deleted or withdrawn, records nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
};
use serde_json::json;

use super::{folder, marketing};
use crate::{
    customers::timeline::{self, EventKind, NewEvent},
    db::group_commit::{BatchFuture, GroupCommit},
    error::{AppError, AppResult},
    tenancy::Scope,
};
use entity::{customer, customer_group, folder_item, marketing_material, radar_share, radar_viewer, radar_visit};

/// Hex characters of a token or visit key (24 random bytes).
pub const TOKEN_LEN: usize = 48;

/// What is shared.
#[derive(Clone, Debug)]
pub enum Material {
    Folder(folder_item::Model),
    Marketing(marketing_material::Model),
}

impl Material {
    pub fn key(&self) -> String {
        match self {
            Material::Folder(i) => format!("folder:{}", i.id),
            Material::Marketing(m) => format!("marketing:{}", m.id),
        }
    }
}

/// Who a share is for and who passes it on.
#[derive(Clone, Debug, Default)]
pub struct Recipient {
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    /// A viewer's re-share: the share they opened and who they are.
    pub parent_share_id: Option<i64>,
    pub by_customer_id: Option<i64>,
    pub by_visitor_id: Option<i64>,
    /// A re-share's "<parent>:<viewer>", unique per corp.
    pub reshare_key: Option<String>,
}

pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_LEN / 2];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` could be a token or visit key at all (checked before any lookup).
pub fn well_formed(s: &str) -> bool {
    s.len() == TOKEN_LEN && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks that the caller's data scope sees the customer and group a share is for.
pub async fn check_recipient(db: &impl ConnectionTrait, scope: &Scope, to: &Recipient) -> AppResult<()> {
    if let Some(c) = to.customer_id {
        scope.get_visible::<customer::Entity>(db, c).await.map_err(|e| e.with_field("customerId"))?;
    }
    if let Some(g) = to.group_id {
        scope.get_visible::<customer_group::Entity>(db, g).await.map_err(|e| e.with_field("groupId"))?;
    }
    Ok(())
}

/// Mints a tracked link for `material`, credited to `employee_id`.
pub async fn mint(
    db: &impl ConnectionTrait,
    scope: &Scope,
    public_base: &str,
    material: &Material,
    employee_id: i64,
    to: Recipient,
) -> AppResult<String> {
    let token = new_token();
    let (folder_item_id, marketing_material_id) = match material {
        Material::Folder(i) => (Some(i.id), None),
        Material::Marketing(m) => (None, Some(m.id)),
    };
    scope
        .insert(
            db,
            radar_share::ActiveModel {
                token: Set(token.clone()),
                material_key: Set(material.key()),
                folder_item_id: Set(folder_item_id),
                marketing_material_id: Set(marketing_material_id),
                employee_id: Set(employee_id),
                customer_id: Set(to.customer_id),
                group_id: Set(to.group_id),
                parent_share_id: Set(to.parent_share_id),
                shared_by_customer_id: Set(to.by_customer_id),
                shared_by_visitor_id: Set(to.by_visitor_id),
                reshare_key: Set(to.reshare_key),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await?;
    Ok(format!("{}/r/{token}", public_base.trim_end_matches('/')))
}

/// What the sidebar sends for one share of a folder item.
pub struct Shared {
    pub item: folder_item::Model,
    /// The tracked link when the radar is on, else the item's own URL
    /// (`None` for a mini program, which is sent as a card).
    pub url: Option<String>,
    pub tracked: bool,
}

/// Shares a folder item to a customer or group the caller's data scope sees
/// (or to no one in particular). Without the radar, nothing is recorded.
pub async fn share(db: &DatabaseConnection, scope: &Scope, public_base: &str, item_id: i64, to: Recipient) -> AppResult<Shared> {
    let employee_id = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let item = scope.get::<folder_item::Entity>(db, item_id).await?;
    check_recipient(db, scope, &to).await?;
    if !item.radar_enabled || !folder::trackable(&item.kind) {
        let url = item.url.clone();
        return Ok(Shared { item, url, tracked: false });
    }
    let url = mint(db, scope, public_base, &Material::Folder(item.clone()), employee_id, to).await?;
    Ok(Shared { item, url: Some(url), tracked: true })
}

pub use crate::state::RadarLanding as Landing;

/// One open of a tracked link, for [`record_opens`].
pub type Open = (radar_share::Model, DateTime<Utc>);

/// The share a token names, if any (the token is the only key a viewer has:
/// found before the corp is known).
pub async fn find_share(db: &DatabaseConnection, token: &str) -> AppResult<Option<radar_share::Model>> {
    if !well_formed(token) {
        return Ok(None);
    }
    Ok(crate::tenancy::across_corps::<radar_share::Entity>().filter(radar_share::Column::Token.eq(token)).one(db).await?)
}

/// Records one open of a tracked link; the URL to send the viewer on to,
/// or `None` for a token that names nothing. Opens arriving together share
/// one transaction (`AppState::radar_opens`): a viral article is opened by
/// thousands at once.
pub async fn open(
    db: &DatabaseConnection,
    commits: &GroupCommit<Open, Option<Landing>>,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Landing>> {
    let Some(share) = find_share(db, token).await? else { return Ok(None) };
    Ok(commits.run((share, now)).await?)
}

/// The materials a batch of shares names that can still be opened (a
/// withdrawn marketing material cannot), by material key.
async fn live_materials(db: &impl ConnectionTrait, shares: &[&radar_share::Model]) -> Result<HashMap<String, Material>, DbErr> {
    let folder_ids: HashSet<i64> = shares.iter().filter_map(|s| s.folder_item_id).collect();
    let marketing_ids: HashSet<i64> = shares.iter().filter_map(|s| s.marketing_material_id).collect();
    let mut out = HashMap::new();
    if !folder_ids.is_empty() {
        let items = crate::tenancy::across_corps::<folder_item::Entity>().filter(folder_item::Column::Id.is_in(folder_ids)).all(db).await?;
        out.extend(items.into_iter().map(|i| (format!("folder:{}", i.id), Material::Folder(i))));
    }
    if !marketing_ids.is_empty() {
        let found = crate::tenancy::across_corps::<marketing_material::Entity>()
            .filter(marketing_material::Column::Id.is_in(marketing_ids))
            .filter(marketing_material::Column::Status.eq(marketing::PUBLISHED))
            .all(db)
            .await?;
        out.extend(found.into_iter().map(|m| (format!("marketing:{}", m.id), Material::Marketing(m))));
    }
    Ok(out)
}

/// Until the viewer is identified (the H5 page's OAuth), a share's customer is its viewer.
pub fn guessed_viewer_key(s: &radar_share::Model) -> String {
    match s.customer_id {
        Some(c) => format!("customer:{c}"),
        None => format!("share:{}", s.id),
    }
}

/// Adds new viewers to the view and viewer counts of their materials (in
/// key order, so concurrent batches lock the rows in one order).
pub async fn bump_counts(txn: &impl ConnectionTrait, counts: BTreeMap<(i64, String), (i64, i64)>) -> Result<(), DbErr> {
    for ((corp_id, key), (views, viewers)) in counts {
        let scope = Scope::system(corp_id);
        // Keys are written by `Material::key`: "folder:<id>" or "marketing:<id>".
        let Some((kind, id)) = key.split_once(':').and_then(|(k, id)| Some((k, id.parse::<i64>().ok()?))) else { continue };
        if kind == "folder" {
            scope
                .update_many::<folder_item::Entity>()
                .col_expr(folder_item::Column::ViewCount, Expr::col(folder_item::Column::ViewCount).add(views))
                .col_expr(folder_item::Column::ViewerCount, Expr::col(folder_item::Column::ViewerCount).add(viewers))
                .filter(folder_item::Column::Id.eq(id))
                .exec(txn)
                .await?;
        } else {
            scope
                .update_many::<marketing_material::Entity>()
                .col_expr(marketing_material::Column::ViewCount, Expr::col(marketing_material::Column::ViewCount).add(views))
                .col_expr(marketing_material::Column::ViewerCount, Expr::col(marketing_material::Column::ViewerCount).add(viewers))
                .filter(marketing_material::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Inserts viewers not seen before; the ones that were new.
pub async fn insert_viewers(txn: &impl ConnectionTrait, views: Vec<radar_viewer::ActiveModel>) -> Result<Vec<radar_viewer::Model>, DbErr> {
    if views.is_empty() {
        return Ok(Vec::new());
    }
    let on_conflict =
        OnConflict::columns([radar_viewer::Column::CorpId, radar_viewer::Column::MaterialKey, radar_viewer::Column::ViewerKey])
            .do_nothing()
            .to_owned();
    match radar_viewer::Entity::insert_many(views).on_conflict(on_conflict).exec_with_returning(txn).await {
        Ok(v) => Ok(v),
        Err(DbErr::RecordNotInserted) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// A material's timeline entry: who did what with it, credited to the sharer.
pub fn material_event(s: &radar_share::Model, customer_id: i64, m: &Material, action: &str, at: DateTime<Utc>) -> NewEvent {
    let (id, title, kind) = match m {
        Material::Folder(i) => (i.id, i.title.clone(), i.kind.clone()),
        Material::Marketing(x) => (x.id, x.title.clone(), x.kind.clone()),
    };
    let event = NewEvent::new(customer_id, EventKind::MaterialViewed, at).by(Some(s.employee_id)).with(json!({
        "materialId": id,
        "materialTitle": title,
        "materialKind": kind,
        "action": action,
        "shareId": s.id,
    }));
    match s.group_id {
        Some(g) => event.in_group(g),
        None => event,
    }
}

/// Writes a batch of opens (the writer of `AppState::radar_opens`): one
/// insert of the new viewers (a viewer once, replays and repeats in the
/// batch included), one of the visits of marketing pages, per material one
/// count update, per corp one timeline append (which queues the radar
/// dispatch and the ENTER_PAGE tag rules). Answers each open's redirect:
/// `page` is the H5 page template, `{visit}` inside.
pub fn record_opens<'t>(txn: &'t DatabaseTransaction, opens: &'t [Open], page: std::sync::Arc<str>) -> BatchFuture<'t, Option<Landing>> {
    Box::pin(async move {
        let internal = |e: AppError| DbErr::Custom(format!("{e:?}"));
        let materials = live_materials(txn, &opens.iter().map(|(s, _)| s).collect::<Vec<_>>()).await?;
        let live: Vec<&Open> = opens.iter().filter(|(s, _)| materials.contains_key(&s.material_key)).collect();
        let mut seen = HashSet::new();
        let views: Vec<radar_viewer::ActiveModel> = live
            .iter()
            .map(|(s, at)| (s, at, guessed_viewer_key(s)))
            .filter(|(s, _, viewer)| seen.insert((s.corp_id, s.material_key.clone(), viewer.clone())))
            .map(|(s, at, viewer)| radar_viewer::ActiveModel {
                corp_id: Set(s.corp_id),
                material_key: Set(s.material_key.clone()),
                folder_item_id: Set(s.folder_item_id),
                marketing_material_id: Set(s.marketing_material_id),
                share_id: Set(s.id),
                customer_id: Set(s.customer_id),
                visitor_id: Set(None),
                viewer_key: Set(viewer),
                first_viewed_at: Set(*at),
                ..Default::default()
            })
            .collect();
        let new_viewers = insert_viewers(txn, views).await?;
        let mut counts: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
        for (s, _) in &live {
            counts.entry((s.corp_id, s.material_key.clone())).or_default().0 += 1;
        }
        for v in &new_viewers {
            counts.entry((v.corp_id, v.material_key.clone())).or_default().1 += 1;
        }
        bump_counts(txn, counts).await?;

        let mut landings: HashMap<usize, Landing> = HashMap::new();
        let mut visits = Vec::new();
        for (i, (s, at)) in opens.iter().enumerate() {
            match materials.get(&s.material_key) {
                Some(Material::Folder(item)) => {
                    if let Some(url) = &item.url {
                        landings.insert(i, Landing::Url(url.clone()));
                    } else if let Some(file_id) = item.file_id {
                        landings.insert(i, Landing::File { corp_id: item.corp_id, file_id });
                    }
                }
                Some(Material::Marketing(_)) => {
                    let key = new_token();
                    landings.insert(i, Landing::Url(page.replace("{visit}", &key)));
                    visits.push(radar_visit::ActiveModel {
                        corp_id: Set(s.corp_id),
                        visit_key: Set(key),
                        share_id: Set(s.id),
                        customer_id: Set(s.customer_id),
                        visitor_id: Set(None),
                        opened_at: Set(*at),
                        last_beat_at: Set(*at),
                        stay_seconds: Set(0),
                        reached_bottom: Set(false),
                        ..Default::default()
                    });
                }
                None => {}
            }
        }
        if !visits.is_empty() {
            radar_visit::Entity::insert_many(visits).exec_without_returning(txn).await?;
        }

        let mut events: BTreeMap<i64, Vec<NewEvent>> = BTreeMap::new();
        let mut tagged: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
        for (s, at) in &live {
            let (Some(m), Some(customer_id)) = (materials.get(&s.material_key), s.customer_id) else { continue };
            events.entry(s.corp_id).or_default().push(material_event(s, customer_id, m, "VIEW", *at));
            if let Some(id) = s.marketing_material_id {
                tagged.entry(s.corp_id).or_default().push((id, customer_id));
            }
        }
        for (corp_id, events) in events {
            timeline::append(txn, &Scope::system(corp_id), events).await.map_err(internal)?;
        }
        for (corp_id, hits) in tagged {
            super::tag_rules::queue_tag_rules(txn, &Scope::system(corp_id), "ENTER_PAGE", &hits).await.map_err(internal)?;
        }
        Ok((0..opens.len()).map(|i| landings.remove(&i)).collect())
    })
}
