//! Shared shapes of our tables, so every migration builds them the same way.
use sea_orm_migration::{prelude::*, schema::*};

pub fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// A tenant table: `id` key and `corp_id` first.
pub fn tenant_table(name: &str) -> TableCreateStatement {
    Table::create().table(a(name)).if_not_exists().col(big_pk_auto(a("id"))).col(big_integer(a("corp_id"))).to_owned()
}

pub fn timestamps(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(timestamp_with_time_zone(a("created_at"))).col(timestamp_with_time_zone(a("updated_at")))
}

/// `ix_<table>_<name>`; on tenant tables the first column is `corp_id`.
pub fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{table}_{name}")).table(a(table)).if_not_exists();
    for c in cols {
        idx.col(a(c));
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

/// `fk_<table>_<column>`: a key from `table.column` to `parent.id`, declared
/// with the table (SQLite cannot add one later).
pub fn foreign_key(table: &str, column: &str, parent: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(a(table), a(column))
        .to(a(parent), a("id"))
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}
