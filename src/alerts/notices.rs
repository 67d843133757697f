//! Telling employees things (the "Notify" of SPEC §0): a live NOTICE alert
//! to their subscriptions and a WeCom app message, for the jobs that send
//! reminders and progress notices.

use serde_json::{json, Value};

use crate::{jobs::JobError, state::AppState, wecom_sync::app_message::send_text};

/// The subject of a notice, for the data-scope check on its recipients.
pub enum About {
    Customer(i64),
    Group(i64),
    /// Leads have no alert subject: the recipients are the author and those they chose.
    Lead(i64),
}

async fn leads_seen_by(state: &AppState, corp_id: i64, lead: i64, employees: &[i64]) -> crate::error::AppResult<Vec<i64>> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let mut out = Vec::new();
    for &e in employees {
        let Some(scope) = crate::tenancy::scope_of(&state.db, corp_id, e).await? else { continue };
        if scope.select_visible::<entity::lead::Entity>().filter(entity::lead::Column::Id.eq(lead)).count(&state.db).await? > 0 {
            out.push(e);
        }
    }
    Ok(out)
}

/// Pushes a NOTICE alert (once per `dedup_key`) to those of `employees` who
/// may see the subject, then sends the app message to all of them, as the
/// job that calls it always did.
pub async fn tell(
    state: &AppState,
    corp_id: i64,
    kind: &str,
    about: About,
    employees: &[i64],
    text: String,
    dedup_key: String,
) -> Result<Value, JobError> {
    let (customer_id, group_id) = match about {
        About::Customer(c) => (Some(c), None),
        About::Group(g) => (None, Some(g)),
        About::Lead(_) => (None, None),
    };
    // A lead is no alert subject: keep only those whose data scope sees it.
    let seeing;
    let employees = match about {
        About::Lead(lead) => {
            seeing = leads_seen_by(state, corp_id, lead, employees).await.map_err(JobError::from_app)?;
            &seeing[..]
        }
        _ => employees,
    };
    let scope = crate::tenancy::Scope::system(corp_id);
    super::delivery::raise(
        state,
        &scope,
        super::delivery::NewAlert {
            category: super::delivery::AlertCategory::Notice,
            kind: kind.to_string(),
            customer_id,
            group_id,
            employee_id: None,
            text: text.clone(),
            payload: json!({}),
            occurred_at: state.clock.now(),
            dedup_key,
            recipients: employees.to_vec(),
            deliver_now: true,
            app_message: false,
        },
    )
    .await
    .map_err(JobError::from_app)?;
    let userids = super::delivery::userids_of(&state.db, corp_id, employees).await.map_err(JobError::from_app)?;
    send_text(state, corp_id, &userids, text).await
}
