//! The fixed catalogue of function permissions (ORG-8): pages, each with its
//! actions. A role editor renders it from the `permissionCatalogue` query;
//! resolvers name these codes in their guards.

pub const ORG_DEPARTMENT_VIEW: &str = "org.department.view";
pub const ORG_DEPARTMENT_MANAGE: &str = "org.department.manage";
pub const ORG_EMPLOYEE_VIEW: &str = "org.employee.view";
pub const ORG_EMPLOYEE_MANAGE: &str = "org.employee.manage";
pub const ORG_EMPLOYEE_SYSTEM: &str = "org.employee.system";
pub const ORG_EMPLOYEE_BATCH: &str = "org.employee.batch";
pub const ORG_ROLE_VIEW: &str = "org.role.view";
pub const ORG_ROLE_MANAGE: &str = "org.role.manage";
pub const ORG_EMPLOYEE_TAG_VIEW: &str = "org.employee_tag.view";
pub const ORG_EMPLOYEE_TAG_MANAGE: &str = "org.employee_tag.manage";
pub const ORG_INTERNAL_GROUP_VIEW: &str = "org.internal_group.view";
pub const ORG_INTERNAL_GROUP_MANAGE: &str = "org.internal_group.manage";
pub const CFG_CUSTOM_FIELD_MANAGE: &str = "cfg.custom_field.manage";
pub const SYS_WECOM_MANAGE: &str = "sys.wecom.manage";
pub const TAG_CORP_VIEW: &str = "tag.corp.view";
pub const TAG_CORP_MANAGE: &str = "tag.corp.manage";
pub const CUSTOMER_VIEW: &str = "customer.view";
pub const CUSTOMER_EDIT: &str = "customer.edit";
pub const CUSTOMER_TAG: &str = "customer.tag";
pub const CUSTOMER_TRANSFER: &str = "customer.transfer";
pub const CUSTOMER_INHERIT: &str = "customer.inherit";
pub const CUSTOMER_RECYCLE_VIEW: &str = "customer.recycle.view";
pub const GROUP_VIEW: &str = "group.view";
pub const GROUP_TAG_MANAGE: &str = "group.tag.manage";
pub const GROUP_EDIT: &str = "group.edit";
pub const CFG_FOLLOW_UP_TYPE_MANAGE: &str = "cfg.follow_up_type.manage";
pub const CFG_RECORD_TEMPLATE_MANAGE: &str = "cfg.record_template.manage";
pub const CFG_RADAR_MANAGE: &str = "cfg.radar.manage";
pub const CFG_SIDEBAR_MANAGE: &str = "cfg.sidebar.manage";
pub const CFG_REPLY_RULE_MANAGE: &str = "cfg.reply_rule.manage";
pub const CFG_SENSITIVE_MONITOR_MANAGE: &str = "cfg.sensitive_monitor.manage";
pub const CFG_CONVERSATION_MANAGE: &str = "cfg.conversation.manage";
pub const SYS_CALENDAR_MANAGE: &str = "sys.calendar.manage";
pub const ARCHIVE_VIEW: &str = "archive.view";
pub const ARCHIVE_MANAGE: &str = "archive.manage";
pub const RISK_WORD_MANAGE: &str = "risk.word.manage";
pub const RISK_BEHAVIOR_VIEW: &str = "risk.behavior.view";
pub const RISK_BEHAVIOR_REVIEW: &str = "risk.behavior.review";
pub const MATERIAL_KNOWLEDGE_MANAGE: &str = "material.knowledge.manage";
pub const MATERIAL_FOLDER_MANAGE: &str = "material.folder.manage";
pub const MATERIAL_MARKETING_MANAGE: &str = "material.marketing.manage";
pub const LEAD_VIEW: &str = "crm.lead.view";
pub const LEAD_MANAGE: &str = "crm.lead.manage";
pub const LEAD_ASSIGN: &str = "crm.lead.assign";
pub const LEAD_IMPORT: &str = "crm.lead.import";
pub const CFG_LEAD_RULE_MANAGE: &str = "cfg.lead_rule.manage";
pub const POOL_VIEW: &str = "crm.pool.view";
pub const POOL_CLAIM: &str = "crm.pool.claim";
pub const POOL_MANAGE: &str = "crm.pool.manage";
pub const CUSTOMER_RETURN: &str = "customer.return";
pub const OPPORTUNITY_VIEW: &str = "crm.opportunity.view";
pub const OPPORTUNITY_MANAGE: &str = "crm.opportunity.manage";
pub const CFG_POOL_MANAGE: &str = "cfg.pool.manage";
pub const CFG_OPPORTUNITY_MANAGE: &str = "cfg.opportunity.manage";
pub const COMPANY_VIEW: &str = "crm.company.view";
pub const COMPANY_MANAGE: &str = "crm.company.manage";
pub const CFG_INDUSTRY_MANAGE: &str = "cfg.industry.manage";
pub const TAG_SMART_VIEW: &str = "tag.smart.view";
pub const TAG_SMART_MANAGE: &str = "tag.smart.manage";
pub const OPS_SEGMENT_VIEW: &str = "ops.segment.view";
pub const OPS_SEGMENT_MANAGE: &str = "ops.segment.manage";
pub const OA_VIEW: &str = "oa.account.view";
pub const OA_QR_MANAGE: &str = "oa.qr.manage";
pub const OA_MESSAGE_SEND: &str = "oa.message.send";

/// One node of the catalogue tree.
pub struct Node {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub children: &'static [Node],
}

const fn leaf(code: &'static str, zh: &'static str, en: &'static str) -> Node {
    Node { code, zh, en, children: &[] }
}

/// Modules → pages → actions. Later areas add their pages here.
pub static CATALOGUE: &[Node] = &[
    Node {
        code: "org",
        zh: "组织架构",
        en: "Organisation",
        children: &[
            Node {
                code: ORG_DEPARTMENT_VIEW,
                zh: "部门",
                en: "Departments",
                children: &[leaf(ORG_DEPARTMENT_MANAGE, "新建/编辑/删除部门", "Create, edit and delete departments")],
            },
            Node {
                code: ORG_EMPLOYEE_VIEW,
                zh: "员工管理",
                en: "Employees",
                children: &[
                    leaf(ORG_EMPLOYEE_MANAGE, "新建/编辑/删除员工", "Create, edit and delete employees"),
                    leaf(ORG_EMPLOYEE_SYSTEM, "开启/关闭系统", "Enable or disable system access"),
                    leaf(ORG_EMPLOYEE_BATCH, "批量操作", "Bulk operations"),
                ],
            },
            Node {
                code: ORG_ROLE_VIEW,
                zh: "角色权限",
                en: "Roles",
                children: &[leaf(ORG_ROLE_MANAGE, "新建/编辑/删除角色", "Create, edit and delete roles")],
            },
            Node {
                code: ORG_EMPLOYEE_TAG_VIEW,
                zh: "员工标签",
                en: "Employee tags",
                children: &[leaf(ORG_EMPLOYEE_TAG_MANAGE, "管理员工标签", "Manage employee tags")],
            },
            Node {
                code: ORG_INTERNAL_GROUP_VIEW,
                zh: "内部群",
                en: "Internal groups",
                children: &[leaf(ORG_INTERNAL_GROUP_MANAGE, "创建内部群", "Create internal groups")],
            },
        ],
    },
    Node {
        code: "customer",
        zh: "客户管理",
        en: "Customers",
        children: &[
            Node {
                code: CUSTOMER_VIEW,
                zh: "客户列表",
                en: "Customer list",
                children: &[
                    leaf(CUSTOMER_EDIT, "编辑客户信息", "Edit customer details"),
                    leaf(CUSTOMER_TAG, "批量打标签", "Tag customers"),
                    leaf(CUSTOMER_TRANSFER, "在职继承", "On-job transfer"),
                    leaf(CUSTOMER_RETURN, "退回公海", "Return to the public pool"),
                ],
            },
            leaf(CUSTOMER_RECYCLE_VIEW, "客户回收站", "Customer recycle bin"),
            leaf(CUSTOMER_INHERIT, "离职继承", "Resigned inheritance"),
            Node {
                code: GROUP_VIEW,
                zh: "客户群列表",
                en: "Customer groups",
                children: &[
                    leaf(GROUP_EDIT, "编辑群信息", "Edit group details"),
                    leaf(GROUP_TAG_MANAGE, "群标签管理", "Manage group tags"),
                ],
            },
        ],
    },
    Node {
        code: "crm",
        zh: "销售管理",
        en: "Sales",
        children: &[
            Node {
                code: LEAD_VIEW,
                zh: "线索列表",
                en: "Leads",
                children: &[
                    leaf(LEAD_MANAGE, "新建/编辑/废弃/删除线索", "Create, edit, discard and delete leads"),
                    leaf(LEAD_ASSIGN, "分配线索", "Assign leads"),
                    leaf(LEAD_IMPORT, "导入线索", "Import leads"),
                ],
            },
            Node {
                code: POOL_VIEW,
                zh: "公海",
                en: "Public pool",
                children: &[
                    leaf(POOL_CLAIM, "领取公海客户", "Claim pool customers"),
                    leaf(POOL_MANAGE, "分配/删除公海客户", "Assign and delete pool customers"),
                ],
            },
            Node {
                code: OPPORTUNITY_VIEW,
                zh: "商机",
                en: "Opportunities",
                children: &[leaf(OPPORTUNITY_MANAGE, "新建/编辑/推进/删除商机", "Create, edit, advance and delete opportunities")],
            },
            Node {
                code: COMPANY_VIEW,
                zh: "企业",
                en: "Companies",
                children: &[leaf(COMPANY_MANAGE, "新建/编辑/删除企业", "Create, edit and delete companies")],
            },
        ],
    },
    Node {
        code: "cfg",
        zh: "业务配置",
        en: "Business configuration",
        children: &[
            leaf(CFG_CUSTOM_FIELD_MANAGE, "自定义字段", "Custom fields"),
            leaf(CFG_LEAD_RULE_MANAGE, "线索自动分配规则", "Lead auto-assignment rules"),
            leaf(CFG_POOL_MANAGE, "公海分组与退回原因", "Pool groups and return reasons"),
            leaf(CFG_OPPORTUNITY_MANAGE, "商机阶段与输单原因", "Opportunity stages and lose reasons"),
            leaf(CFG_INDUSTRY_MANAGE, "行业类型", "Industry types"),
            leaf(CFG_FOLLOW_UP_TYPE_MANAGE, "跟进记录类型", "Follow-up types"),
            leaf(CFG_RECORD_TEMPLATE_MANAGE, "业务记录模板", "Business record templates"),
            leaf(CFG_RADAR_MANAGE, "雷达设置", "Radar settings"),
            leaf(CFG_SIDEBAR_MANAGE, "侧边栏工具", "Sidebar tools"),
            leaf(CFG_REPLY_RULE_MANAGE, "消息回复规则", "Message reply rules"),
            leaf(CFG_SENSITIVE_MONITOR_MANAGE, "敏感行为监控", "Sensitive behaviour monitoring"),
            leaf(CFG_CONVERSATION_MANAGE, "会话结束规则与结束语", "Conversation end rules and closing phrases"),
        ],
    },
    Node {
        code: "ops",
        zh: "客户运营",
        en: "Customer operations",
        children: &[Node {
            code: OPS_SEGMENT_VIEW,
            zh: "客户分组与人群组包",
            en: "Segments and crowd packs",
            children: &[leaf(OPS_SEGMENT_MANAGE, "新建/编辑/删除分组与组包", "Create, edit and delete segments and packs")],
        }],
    },
    Node {
        code: "tag",
        zh: "标签管理",
        en: "Tags",
        children: &[
            Node {
                code: TAG_CORP_VIEW,
                zh: "企业微信标签",
                en: "Corp tags",
                children: &[leaf(TAG_CORP_MANAGE, "新建/编辑/删除标签", "Create, edit and delete tags")],
            },
            Node {
                code: TAG_SMART_VIEW,
                zh: "智能标签",
                en: "Smart tags",
                children: &[leaf(TAG_SMART_MANAGE, "新建/编辑/删除智能标签规则", "Create, edit and delete smart tag rules")],
            },
        ],
    },
    Node {
        code: "archive",
        zh: "会话存档",
        en: "Chat archive",
        children: &[
            Node {
                code: ARCHIVE_VIEW,
                zh: "聊天记录",
                en: "Chat records",
                children: &[leaf(ARCHIVE_MANAGE, "存档接入", "Archive ingestion")],
            },
            leaf(RISK_WORD_MANAGE, "敏感词", "Sensitive words"),
            Node {
                code: RISK_BEHAVIOR_VIEW,
                zh: "敏感行为",
                en: "Sensitive behaviours",
                children: &[leaf(RISK_BEHAVIOR_REVIEW, "审核", "Review")],
            },
        ],
    },
    Node {
        code: "material",
        zh: "素材中心",
        en: "Materials",
        children: &[
            leaf(MATERIAL_KNOWLEDGE_MANAGE, "管理公共知识库", "Manage the public knowledge base"),
            leaf(MATERIAL_FOLDER_MANAGE, "管理企业文件夹", "Manage the corp folder"),
            leaf(MATERIAL_MARKETING_MANAGE, "管理营销素材", "Manage marketing materials"),
        ],
    },
    Node {
        code: "oa",
        zh: "公众号",
        en: "Official Accounts",
        children: &[Node {
            code: OA_VIEW,
            zh: "公众号与粉丝",
            en: "Accounts and fans",
            children: &[
                leaf(OA_QR_MANAGE, "生成带参数二维码、同步粉丝", "Create parametric QR codes and sync fans"),
                leaf(OA_MESSAGE_SEND, "发送模板消息", "Send template messages"),
            ],
        }],
    },
    Node {
        code: "sys",
        zh: "系统设置",
        en: "System settings",
        children: &[
            leaf(SYS_WECOM_MANAGE, "企业微信配置与同步", "WeCom binding and sync"),
            leaf(SYS_CALENDAR_MANAGE, "工作日历", "Working calendars"),
        ],
    },
];

/// Every permission code (every node, pages and actions alike).
pub fn all_codes() -> Vec<&'static str> {
    fn walk(nodes: &'static [Node], out: &mut Vec<&'static str>) {
        for n in nodes {
            out.push(n.code);
            walk(n.children, out);
        }
    }
    let mut out = Vec::new();
    walk(CATALOGUE, &mut out);
    out
}

pub fn is_known(code: &str) -> bool {
    all_codes().contains(&code)
}

/// What the default basic role (基础角色) may do: see the organisation and
/// work with the customers in its data scope (the sidebar needs no more).
pub fn basic_role_codes() -> Vec<&'static str> {
    vec!["org", ORG_DEPARTMENT_VIEW, ORG_EMPLOYEE_VIEW, "customer", CUSTOMER_VIEW, CUSTOMER_TAG]
}
