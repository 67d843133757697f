//! Reading WeCom's directory as WeCom allows it in 2026.
//!
//! Since 2022-08-15 the contacts-sync secret, used from a server IP added
//! after that date, reads ids only (`department/simplelist`, `user/list_id`;
//! details answer 48009), and since 2022-06-20 apps read names and
//! departments but no mobile, gender, email, avatar or address. So details
//! are read with the first secret that may (contacts sync on deployments
//! WeCom still treats the old way, else the self-built app), ids with the
//! contacts secret, and whoever has customer contact through
//! `get_follow_user_list`, so customer sync never depends on the directory.

use std::collections::{BTreeMap, BTreeSet};

use crate::integrations::wecom::{types, SecretKind, WecomError};

use super::link::WecomLink;

/// Refusals that mean "this secret may not read that", not "something broke".
pub fn refused_by_policy(e: &WecomError) -> Option<i64> {
    e.errcode().filter(|c| [48002, 48009, 60011, 45029].contains(c)).or(match e {
        WecomError::MissingSecret(_) => Some(0),
        _ => None,
    })
}

/// The secrets that may read directory details, in the order to try them.
fn detail_readers(link: &WecomLink) -> Vec<SecretKind> {
    let mut kinds = Vec::new();
    if link.creds.contact_secret.is_some() {
        kinds.push(SecretKind::Contacts);
    }
    if link.creds.agent_secret.is_some() {
        kinds.push(SecretKind::Agent);
    }
    kinds
}

/// Runs `read` with each detail reader until one is allowed; the last
/// policy refusal when none is.
/// (`read` returns an owned future: job futures must be `Send`.)
pub async fn read_details<T, Fut>(link: &WecomLink, read: impl Fn(SecretKind) -> Fut) -> Result<(T, SecretKind), WecomError>
where
    Fut: std::future::Future<Output = Result<T, WecomError>> + Send,
{
    let mut refusal = WecomError::MissingSecret(SecretKind::Agent);
    for kind in detail_readers(link) {
        match read(kind).await {
            Ok(v) => return Ok((v, kind)),
            Err(e) if refused_by_policy(&e).is_some() => refusal = e,
            Err(e) => return Err(e),
        }
    }
    Err(refusal)
}

/// What one directory read found.
#[derive(Default)]
pub struct Directory {
    /// Departments with names; `None` when no secret may read them.
    pub departments: Option<Vec<types::Department>>,
    /// Members; those WeCom names only by userid have an empty `name`.
    /// `None` when neither details nor ids could be read.
    pub members: Option<Vec<types::User>>,
    /// Members with customer contact (may include ones outside `members`).
    pub follow_users: Vec<String>,
    /// Parts WeCom refused, as "<part>: <errcode>".
    pub refused: Vec<String>,
}

fn refusal(part: &str, e: &WecomError) -> String {
    format!("{part}: {}", e.errcode().unwrap_or(0))
}

/// Reads departments, members and customer-contact members with the secrets the corp has.
pub async fn read(link: &WecomLink) -> Result<Directory, WecomError> {
    let mut dir = Directory::default();
    let client = &link.client;
    let creds = &link.creds;
    // Departments with names, and which secret was allowed to read them.
    let reader = match read_details(link, |kind| {
        let link = link.clone();
        async move { link.client.department_list(&link.creds, kind, None).await }
    })
    .await
    {
        Ok((departments, kind)) => {
            dir.departments = Some(departments);
            Some(kind)
        }
        Err(e) if refused_by_policy(&e).is_some() => {
            dir.refused.push(refusal("departments", &e));
            // Ids and the tree are still readable: keep links to departments known by id.
            match client.department_simplelist(creds, SecretKind::Contacts).await {
                Ok(ids) => {
                    dir.departments = Some(
                        ids.into_iter()
                            .map(|d| types::Department {
                                id: d.id,
                                name: String::new(),
                                parentid: d.parentid,
                                order: d.order,
                                name_en: None,
                                department_leader: vec![],
                            })
                            .collect(),
                    )
                }
                Err(e) if refused_by_policy(&e).is_some() => {}
                Err(e) => return Err(e),
            }
            None
        }
        Err(e) => return Err(e),
    };
    // Members: details per department with the same reader, else ids only.
    let mut members: BTreeMap<String, types::User> = BTreeMap::new();
    let mut complete = false;
    if let (Some(kind), Some(depts)) = (reader, &dir.departments) {
        let mut refused = None;
        for d in depts {
            match client.user_list(creds, kind, d.id).await {
                Ok(users) => {
                    for u in users {
                        members.entry(u.userid.clone()).or_insert(u);
                    }
                }
                Err(e) if refused_by_policy(&e).is_some() => {
                    refused = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        match refused {
            Some(e) => dir.refused.push(refusal("members", &e)),
            None => complete = true,
        }
    }
    if !complete {
        match list_ids(link).await {
            Ok(ids) => {
                for (userid, departments) in ids {
                    let m = members.entry(userid.clone()).or_insert_with(|| named_by_id(&userid));
                    if m.department.is_empty() {
                        m.department = departments.into_iter().collect();
                    }
                }
                complete = true;
            }
            Err(e) if refused_by_policy(&e).is_some() => dir.refused.push(refusal("member ids", &e)),
            Err(e) => return Err(e),
        }
    }
    if complete {
        dir.members = Some(members.into_values().collect());
    }
    if creds.external_secret.is_some() || creds.agent_secret.is_some() {
        match client.follow_user_list(creds).await {
            Ok(users) => dir.follow_users = users,
            Err(e) if refused_by_policy(&e).is_some() => dir.refused.push(refusal("customer-contact members", &e)),
            Err(e) => return Err(e),
        }
    }
    Ok(dir)
}

/// userid → departments, from `user/list_id` pages.
async fn list_ids(link: &WecomLink) -> Result<BTreeMap<String, BTreeSet<i64>>, WecomError> {
    let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page = link.client.user_list_id(&link.creds, &cursor, 10_000).await?;
        for row in page.dept_user {
            out.entry(row.userid).or_default().insert(row.department);
        }
        if page.next_cursor.is_empty() {
            return Ok(out);
        }
        cursor = page.next_cursor;
    }
}

/// A member WeCom names only by userid (filled in later by an admin or OAuth).
pub fn named_by_id(userid: &str) -> types::User {
    types::User { userid: userid.to_string(), ..Default::default() }
}
