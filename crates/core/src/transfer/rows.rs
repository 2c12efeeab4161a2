//! Records as they travel: each a table row as a JSON object of its columns, so the vault
//! receiving it holds exactly what the sender held (the same ids, times, versions and
//! authors), and the columns that only mean something in the sender's vault (its staff
//! ids, its keyed photo fingerprints, its cached previews) stay behind.
//!
//! A row's *state* is its content without bookkeeping (version counters and the time and
//! user of the last save): two vaults holding the same state hold the same record, however
//! each got there. Its SHA-256 over canonical JSON (keys sorted, as `serde_json` keeps them)
//! is what [`super::apply`] compares.

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value};

use crate::crypto;
use crate::error::{Error, Result};

/// A table whose rows travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Table {
    /// The SQL table.
    pub(crate) name: &'static str,
    /// The resource type its audit entries name.
    pub(crate) resource: &'static str,
    /// The columns that identify a row.
    pub(crate) key: &'static [&'static str],
    /// Columns that stay in the sender's vault (written as NULL, or recomputed, here).
    local: &'static [&'static str],
    /// Columns that travel but are not part of the row's state.
    bookkeeping: &'static [&'static str],
}

pub(crate) const PATIENTS: Table = Table {
    name: "patients",
    resource: "patient",
    key: &["id"],
    local: &[],
    bookkeeping: &["version", "updated_at", "updated_by"],
};
pub(crate) const ENCOUNTERS: Table = Table {
    name: "encounters",
    resource: "encounter",
    key: &["id"],
    local: &["staff_id"],
    bookkeeping: &["version", "updated_at"],
};
pub(crate) const ENCOUNTER_REVISIONS: Table = Table {
    name: "encounter_revisions",
    resource: "encounter",
    key: &["encounter_id", "version"],
    local: &[],
    bookkeeping: &[],
};
pub(crate) const NARRATIVES: Table = Table {
    name: "narratives",
    resource: "narrative",
    key: &["id"],
    local: &["author_id"],
    // The current text follows the revisions, which are merged as a set.
    bookkeeping: &["revision", "title", "body", "photo_id", "updated_at"],
};
pub(crate) const NARRATIVE_REVISIONS: Table = Table {
    name: "narrative_revisions",
    resource: "narrative",
    key: &["narrative_id", "revision"],
    local: &["edited_by"],
    // A revision is told apart by what it says, who wrote it and when, not its number:
    // two vaults may number the same revisions differently once both have added some.
    bookkeeping: &["revision"],
};
pub(crate) const CONSENTS: Table = Table {
    name: "consents",
    resource: "consent",
    key: &["id"],
    local: &["recorded_by"],
    bookkeeping: &[],
};
pub(crate) const PHOTOS: Table = Table {
    name: "photos",
    resource: "photo",
    key: &["id"],
    local: &["content_mac", "preview_id", "imported_by"],
    bookkeeping: &[],
};

/// One row, column name to value.
pub(crate) type Row = Map<String, Value>;

impl Table {
    /// The rows `filter` (an SQL condition with `?1` = `value`) selects, without the local
    /// columns, in key order.
    pub(crate) fn select(&self, conn: &Connection, filter: &str, value: &str) -> Result<Vec<Row>> {
        let sql = format!(
            "SELECT * FROM {} WHERE {filter} ORDER BY {}",
            self.name,
            self.key.join(", ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query([value])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Row::new();
            for (i, name) in names.iter().enumerate() {
                if self.local.contains(&name.as_str()) {
                    continue;
                }
                row.insert(name.clone(), to_json(r.get_ref(i)?, self.name, name)?);
            }
            out.push(row);
        }
        Ok(out)
    }

    /// The row with `row`'s key, if this vault has it.
    pub(crate) fn find(&self, conn: &Connection, row: &Row) -> Result<Option<Row>> {
        let (filter, values) = self.key_filter(row)?;
        let sql = format!("SELECT * FROM {} WHERE {filter}", self.name);
        let mut stmt = conn.prepare_cached(&sql)?;
        let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query(params_from_iter(values))?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let mut found = Row::new();
        for (i, name) in names.iter().enumerate() {
            if !self.local.contains(&name.as_str()) {
                found.insert(name.clone(), to_json(r.get_ref(i)?, self.name, name)?);
            }
        }
        Ok(Some(found))
    }

    /// The row's state hash.
    pub(crate) fn state_hash(&self, row: &Row) -> [u8; 32] {
        let state: Row = row
            .iter()
            .filter(|(k, _)| !self.bookkeeping.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        crypto::sha256(&[
            self.name.as_bytes(),
            b"\0",
            Value::Object(state).to_string().as_bytes(),
        ])
    }

    /// The row's resource id (its first key column).
    pub(crate) fn id_of(&self, row: &Row) -> Result<String> {
        text(row, self.key[0], self.name)
    }

    /// Inserts an incoming row; `extra` sets columns this vault computes (a fingerprint).
    pub(crate) fn insert(
        &self,
        conn: &Connection,
        row: &Row,
        extra: &[(&str, SqlValue)],
    ) -> Result<()> {
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for (name, value) in row {
            columns.push(self.known_column(name)?);
            values.push(to_sql(value, self.name, name)?);
        }
        for (name, value) in extra {
            columns.push(*name);
            values.push(value.clone());
        }
        let marks: Vec<String> = (1..=columns.len()).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            columns.join(", "),
            marks.join(", ")
        );
        conn.prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok(())
    }

    /// Replaces the travelling columns of the row with `row`'s key by `row`'s.
    pub(crate) fn update(&self, conn: &Connection, row: &Row) -> Result<()> {
        let (filter, mut values) = self.key_filter(row)?;
        let mut sets = Vec::new();
        for (name, value) in row.iter().filter(|(k, _)| !self.key.contains(&k.as_str())) {
            values.push(to_sql(value, self.name, name)?);
            sets.push(format!("{} = ?{}", self.known_column(name)?, values.len()));
        }
        if sets.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE {filter}",
            self.name,
            sets.join(", ")
        );
        conn.prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok(())
    }

    fn key_filter(&self, row: &Row) -> Result<(String, Vec<SqlValue>)> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        for (i, column) in self.key.iter().enumerate() {
            let value = row
                .get(*column)
                .ok_or_else(|| damaged(self.name, column, "is missing"))?;
            conditions.push(format!("{column} = ?{}", i + 1));
            values.push(to_sql(value, self.name, column)?);
        }
        Ok((conditions.join(" AND "), values))
    }

    /// A column name from a bundle, as one of this table's own static names: names are
    /// spliced into SQL, so only those the schema knows pass.
    fn known_column(&self, name: &str) -> Result<&'static str> {
        COLUMNS
            .iter()
            .find(|(table, _)| *table == self.name)
            .and_then(|(_, columns)| columns.iter().find(|c| **c == name))
            .copied()
            .filter(|c| !self.local.contains(c))
            .ok_or_else(|| damaged(self.name, name, "is not a column this vault has"))
    }
}

/// Every travelling table's columns, as the schema has them (checked against the database
/// by a test, so a migration that adds a column must add it here).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "patients",
        &[
            "id",
            "human_id",
            "version",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "phone",
            "status",
            "profile_json",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
            "deleted_at",
            "deleted_by",
        ],
    ),
    (
        "encounters",
        &[
            "id",
            "patient_id",
            "version",
            "occurred_at",
            "kind",
            "staff_id",
            "reason",
            "notes",
            "diagnoses",
            "treatments",
            "bp_systolic",
            "bp_diastolic",
            "pulse",
            "temperature_c",
            "spo2",
            "weight_kg",
            "height_cm",
            "pain",
            "created_at",
            "created_by",
            "updated_at",
            "voided_at",
            "voided_by",
            "void_reason",
        ],
    ),
    (
        "encounter_revisions",
        &[
            "encounter_id",
            "version",
            "content",
            "replaced_at",
            "replaced_by",
            "reason",
        ],
    ),
    (
        "narratives",
        &[
            "id",
            "patient_id",
            "photo_id",
            "author_id",
            "author_name",
            "author_type",
            "title",
            "body",
            "revision",
            "created_at",
            "updated_at",
            "private",
            "author_role",
        ],
    ),
    (
        "narrative_revisions",
        &[
            "narrative_id",
            "revision",
            "title",
            "body",
            "photo_id",
            "edited_by",
            "editor_name",
            "edited_at",
        ],
    ),
    (
        "consents",
        &[
            "id",
            "patient_id",
            "purpose",
            "status",
            "recorded_by",
            "recorder",
            "recorded_at",
            "evidence_id",
            "notes",
        ],
    ),
    (
        "photos",
        &[
            "id",
            "patient_id",
            "content_mac",
            "format",
            "byte_size",
            "width",
            "height",
            "orientation",
            "thumb_id",
            "thumb_width",
            "thumb_height",
            "preview_id",
            "taken_at",
            "camera_make",
            "camera_model",
            "latitude",
            "longitude",
            "caption",
            "source_name",
            "privacy",
            "imported_by",
            "importer_name",
            "imported_at",
            "deleted_at",
            "deleted_by",
        ],
    ),
];

/// A text column of a row.
pub(crate) fn text(row: &Row, column: &str, table: &str) -> Result<String> {
    row.get(column)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| damaged(table, column, "is not text"))
}

fn to_json(value: ValueRef<'_>, table: &str, column: &str) -> Result<Value> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(x) => serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| damaged(table, column, "holds a number JSON cannot carry"))?,
        ValueRef::Text(t) => Value::String(
            std::str::from_utf8(t)
                .map_err(|_| damaged(table, column, "holds text that is not UTF-8"))?
                .to_owned(),
        ),
        ValueRef::Blob(_) => {
            return Err(damaged(table, column, "holds bytes, which do not travel"));
        }
    })
}

fn to_sql(value: &Value, table: &str, column: &str) -> Result<SqlValue> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(
                n.as_f64()
                    .ok_or_else(|| damaged(table, column, "is out of range"))?,
            ),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        _ => return Err(damaged(table, column, "is not a plain value")),
    })
}

fn damaged(table: &str, column: &str, what: &str) -> Error {
    Error::BundleDamaged(format!("{table}.{column} {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column lists above are the schema's: a migration that adds a column to a table
    /// that travels must say whether it travels.
    #[test]
    fn the_travelling_columns_are_the_schemas() {
        let conn = Connection::open_in_memory().unwrap();
        for (_, sql) in crate::store::database::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        for (table, columns) in COLUMNS {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let names: Vec<&str> = stmt.column_names();
            assert_eq!(&names, columns, "{table}");
            let _ = stmt.query([]).unwrap();
        }
    }

    #[test]
    fn a_real_and_an_integer_keep_their_kinds_through_json() {
        for (sql, json) in [
            (SqlValue::Real(36.0), "36.0"),
            (SqlValue::Integer(36), "36"),
        ] {
            let value = match &sql {
                SqlValue::Real(x) => to_json(ValueRef::Real(*x), "t", "c").unwrap(),
                SqlValue::Integer(i) => to_json(ValueRef::Integer(*i), "t", "c").unwrap(),
                _ => unreachable!(),
            };
            assert_eq!(value.to_string(), json);
            let back: Value = serde_json::from_str(json).unwrap();
            assert_eq!(to_sql(&back, "t", "c").unwrap(), sql);
        }
    }
}
