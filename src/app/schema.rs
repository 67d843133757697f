//! The schema roots: every area's queries, mutations and subscriptions,
//! merged; and the per-request data each execution gets.

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Data, MergedObject, MergedSubscription, Schema,
};

use crate::graphql::context::RequestCtx;
use crate::{
    auth::graphql::{AuthMutation, AuthQuery},
    config::Config,
    custom_fields::graphql::{CustomFieldMutation, CustomFieldQuery},
    customers::{
        graphql::loaders::CrmLoader,
        graphql::{
            groups::{CustomerGroupQuery, GroupTagMutation, GroupTagQuery},
            inheritance::{InheritanceMutation, InheritanceQuery},
            records::{RecordMutation, RecordQuery},
            CustomerMutation, CustomerQueryRoot,
        },
    },
    jobs::graphql::JobQuery,
    ops::graphql::{ServerQuery, ServerSubscription},
    org::{
        graphql::loaders::OrgLoader,
        graphql::{
            department::{DepartmentMutation, DepartmentQuery},
            employee::{EmployeeMutation, EmployeeQueryRoot},
            employee_tag::{EmployeeTagMutation, EmployeeTagQuery},
            role::{RoleMutation, RoleQuery},
        },
    },
    state::AppState,
};
use crate::{
    corp_tags::graphql::{CorpTagMutation, CorpTagQuery},
    org::graphql::internal_group::{InternalGroupMutation, InternalGroupQuery},
    wecom_sync::graphql::{WecomMutation, WecomQuery},
};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    ServerQuery,
    AuthQuery,
    DepartmentQuery,
    EmployeeQueryRoot,
    RoleQuery,
    EmployeeTagQuery,
    CustomFieldQuery,
    JobQuery,
    WecomQuery,
    InternalGroupQuery,
    CorpTagQuery,
    CustomerQueryRoot,
    CustomerGroupQuery,
    RecordQuery,
    InheritanceQuery,
    GroupTagQuery,
    crate::alerts::graphql::AlertQuery,
    crate::archive::graphql::ArchiveQuery,
    crate::materials::graphql::knowledge::KnowledgeQuery,
    crate::materials::graphql::folder::FolderQuery,
    crate::materials::graphql::marketing::MarketingQuery,
    crate::materials::graphql::radar::RadarQuery,
    crate::materials::graphql::toolbox::ToolboxQuery,
    crate::conditions::graphql::ConditionQuery,
    crate::data_centre::graphql::DataCentreQuery,
    crate::leads::graphql::LeadQuery,
    crate::pool::graphql::PoolQuery,
    crate::opportunities::graphql::OpportunityQuery,
    crate::companies::graphql::CompanyQuery,
    crate::smart_tags::graphql::SmartTagQuery,
    crate::segments::graphql::SegmentQuery,
    crate::official_accounts::graphql::OfficialAccountQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AuthMutation,
    DepartmentMutation,
    EmployeeMutation,
    RoleMutation,
    EmployeeTagMutation,
    CustomFieldMutation,
    WecomMutation,
    InternalGroupMutation,
    CorpTagMutation,
    CustomerMutation,
    RecordMutation,
    InheritanceMutation,
    GroupTagMutation,
    crate::alerts::graphql::AlertMutation,
    crate::archive::graphql::ArchiveMutation,
    crate::materials::graphql::knowledge::KnowledgeMutation,
    crate::materials::graphql::folder::FolderMutation,
    crate::materials::graphql::marketing::MarketingMutation,
    crate::materials::graphql::radar::RadarMutation,
    crate::materials::graphql::toolbox::ToolboxMutation,
    crate::files::graphql::FilesMutation,
    crate::leads::graphql::LeadMutation,
    crate::customers::graphql::export::CustomerExportMutation,
    crate::pool::graphql::PoolMutation,
    crate::opportunities::graphql::OpportunityMutation,
    crate::companies::graphql::CompanyMutation,
    crate::smart_tags::graphql::SmartTagMutation,
    crate::segments::graphql::SegmentMutation,
    crate::official_accounts::graphql::OfficialAccountMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(ServerSubscription, crate::alerts::graphql::AlertSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub fn build_schema(config: &Config) -> AppSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(config.max_query_depth)
        .limit_complexity(config.max_query_complexity)
        .finish()
}

/// The SDL that `schema.graphql` must equal.
pub fn sdl() -> String {
    build_schema(&Config::default()).sdl()
}

/// Per-request data: the request context and fresh loaders bound to the
/// caller's tenant (never shared across requests).
pub fn insert_request_data(data: &mut Data, app: &AppState, rctx: RequestCtx) {
    // Each loader holds the caller's scope (none for anonymous requests).
    let bound = || {
        let scope = std::sync::OnceLock::new();
        if let Some(a) = &rctx.auth {
            let _ = scope.set(a.scope.clone());
        }
        scope
    };
    let db = || app.db.clone();
    data.insert(DataLoader::with_cache(OrgLoader { db: db(), scope: bound() }, tokio::spawn, HashMapCache::default()));
    data.insert(DataLoader::with_cache(CrmLoader { db: db(), scope: bound() }, tokio::spawn, HashMapCache::default()));
    data.insert(DataLoader::with_cache(
        crate::materials::graphql::loaders::MaterialLoader { db: db(), scope: bound() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(DataLoader::with_cache(
        crate::leads::graphql::loaders::LeadLoader { db: db(), scope: bound() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(DataLoader::with_cache(
        crate::smart_tags::graphql::SmartTagLoader { db: db(), scope: bound(), clock: app.clock.clone() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(DataLoader::with_cache(
        crate::segments::graphql::SegmentLoader { db: db(), scope: bound(), clock: app.clock.clone() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(DataLoader::with_cache(
        crate::official_accounts::graphql::FanLoader { db: db(), scope: bound(), auth: rctx.auth.clone() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(DataLoader::with_cache(
        crate::graphql::loader::RowLoader { db: db(), scope: bound() },
        tokio::spawn,
        HashMapCache::default(),
    ));
    data.insert(app.clone());
    data.insert(rctx);
}

pub fn with_request_data(mut req: async_graphql::Request, app: &AppState, rctx: RequestCtx) -> async_graphql::Request {
    let mut data = Data::default();
    insert_request_data(&mut data, app, rctx);
    req.data = data;
    req
}
