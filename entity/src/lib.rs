//! Table models. Entities own data only: every rule lives in the server's services.
//!
//! Every tenant table carries `corp_id`; the server's `tenancy` module is the only
//! place that turns that column into filters.

pub mod alert;
pub mod alert_recipient;
pub mod allocation_rule;
pub mod business_record;
pub mod chat_conversation;
pub mod chat_message;
pub mod chat_thread;
pub mod corp;
pub mod corp_setting;
pub mod corp_tag;
pub mod corp_tag_group;
pub mod custom_field;
pub mod custom_field_value;
pub mod customer;
pub mod customer_event;
pub mod customer_follow;
pub mod customer_group;
pub mod customer_group_tag;
pub mod customer_loss;
pub mod department;
pub mod employee;
pub mod employee_department;
pub mod employee_preference;
pub mod employee_role;
pub mod employee_tag;
pub mod employee_tag_member;
pub mod follow_tag;
pub mod follow_up;
pub mod follow_up_type;
pub mod group_activity_rule;
pub mod group_member;
pub mod group_tag;
pub mod group_tag_group;
pub mod inheritance;
pub mod internal_group;
pub mod job;
pub mod record_template;
pub mod record_template_field;
pub mod record_template_scope;
pub mod reply_timeout;
pub mod role;
pub mod role_department;
pub mod sensitive_behavior;
pub mod sensitive_hit;
pub mod sensitive_rule;
pub mod session;
pub mod stored_file;
pub mod unassigned_customer;
pub mod wecom_binding;
pub mod wecom_inbox;
pub mod work_calendar;
pub mod work_order;
