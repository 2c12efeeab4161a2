//! The full-text index over patients: one FTS5 row per patient (its rowid is the patient's),
//! with names, identifiers and the current text of their narratives in three columns ranked
//! by bm25 with falling weights. The tokenizer folds accents (José finds Jose) and every
//! typed word is matched as a prefix, served by FTS5's prefix indexes.
//!
//! A search matches only the columns the searcher may read: someone who may not read
//! narratives must not learn which patients' narratives hold a word by finding them with it.
//! Private narratives are not indexed at all: the index has no notion of who wrote what.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::patients::human_id;
use crate::patients::profile::phone_digits;
use crate::policy::{self, Action, Principal};

/// bm25 weights of the columns: names, identifiers, narratives.
const RANK: &str = "bm25(patient_search, 10.0, 5.0, 1.0)";

/// Rebuilds the index row of one patient from its current data.
pub(crate) fn reindex(conn: &Connection, rowid: i64) -> Result<()> {
    let row = conn
        .prepare_cached(
            "SELECT given_name, family_name, json_extract(profile_json, '$.preferred_name'), \
             phone, human_id FROM patients WHERE rowid = ?1 AND deleted_at IS NULL",
        )?
        .query_row([rowid], |r| {
            let (given, family, preferred): (String, String, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let (phone, human_id): (Option<String>, String) = (r.get(3)?, r.get(4)?);
            Ok((
                indexed_names(&given, &family, preferred.as_deref()),
                identifier_terms(&human_id, phone.as_deref()),
            ))
        })
        .optional()?;
    unindex(conn, rowid)?;
    let Some((names, identifiers)) = row else {
        return Ok(());
    };
    let narratives: String = conn
        .prepare_cached(
            "SELECT coalesce(group_concat(coalesce(title, '') || ' ' || body, ' '), '') \
             FROM narratives n JOIN patients p ON p.id = n.patient_id \
             WHERE p.rowid = ?1 AND n.private = 0",
        )?
        .query_row([rowid], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO patient_search (rowid, names, identifiers, narratives) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![rowid, names, identifiers, narratives])?;
    Ok(())
}

/// Drops a patient from the index (moved to the bin).
pub(crate) fn unindex(conn: &Connection, rowid: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM patient_search WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// The names column of a patient's index row.
fn indexed_names(given: &str, family: &str, preferred: Option<&str>) -> String {
    match preferred {
        Some(preferred) => format!("{given} {family} {preferred}"),
        None => format!("{given} {family}"),
    }
}

/// Tells whether a search could have found one patient by their names or identifiers, with
/// the index's own tokenizer, folding and query syntax: the query runs against a copy of the
/// patient's index row in a temporary in-memory table, dropped when this is.
pub(crate) struct CouldHaveFound<'c> {
    conn: &'c Connection,
}

impl<'c> CouldHaveFound<'c> {
    pub(crate) fn new(
        conn: &'c Connection,
        human_id: &str,
        profile: &crate::patients::Profile,
    ) -> Result<Self> {
        conn.execute_batch(
            "DROP TABLE IF EXISTS temp.erased_search; \
             CREATE VIRTUAL TABLE temp.erased_search USING fts5 (names, identifiers, \
             narratives, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');",
        )?;
        let finder = CouldHaveFound { conn };
        conn.execute(
            "INSERT INTO temp.erased_search (names, identifiers, narratives) VALUES (?1, ?2, '')",
            params![
                indexed_names(
                    &profile.given_name,
                    &profile.family_name,
                    profile.preferred_name.as_deref()
                ),
                identifier_terms(human_id, profile.phone.as_deref()),
            ],
        )?;
        Ok(finder)
    }

    /// Whether `query`, typed into the search box by anyone, matches the patient.
    pub(crate) fn matches(&self, query: &str) -> Result<bool> {
        let Some(expression) = match_expression(Principal::Staff(policy::Role::Admin), query)
        else {
            return Ok(false);
        };
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM temp.erased_search WHERE erased_search MATCH ?1)",
            [expression],
            |r| r.get(0),
        )?)
    }
}

impl Drop for CouldHaveFound<'_> {
    fn drop(&mut self) {
        let _ = self
            .conn
            .execute_batch("DROP TABLE IF EXISTS temp.erased_search;");
    }
}

/// The human id as printed and compact, and the phone's digits with every trailing run of
/// six or more, so a number is found with or without its country or area code.
fn identifier_terms(human_id: &str, phone: Option<&str>) -> String {
    let mut terms = vec![human_id.to_owned(), human_id.replace('-', "")];
    if let Some(phone) = phone {
        let digits = phone_digits(phone);
        terms.push(phone.to_owned());
        for start in 0..digits.len().saturating_sub(5) {
            terms.push(digits[start..].to_owned());
        }
    }
    terms.join(" ")
}

/// Every column of the index, and the action that reading what it holds needs (beyond
/// searching at all). A new column must say who may search it.
const COLUMNS: [(&str, Option<Action>); 3] = [
    ("names", None),
    ("identifiers", None),
    ("narratives", Some(Action::NarrativeView)),
];

/// The columns `principal` may search, as an FTS5 column filter (`{names identifiers}`).
fn searchable_columns(principal: Principal) -> String {
    let columns: Vec<&str> = COLUMNS
        .iter()
        .filter(|(_, needs)| needs.is_none_or(|action| policy::allows(principal, action)))
        .map(|(column, _)| *column)
        .collect();
    format!("{{{}}}", columns.join(" "))
}

/// Turns what a user typed into an FTS5 query over the columns `principal` may read: every
/// word required, as a whole word or as a prefix; the whole word counts twice, so "jose"
/// ranks José above Josefina. `None` when nothing searchable was typed. A typed human id is
/// matched whole.
pub(crate) fn match_expression(principal: Principal, typed: &str) -> Option<String> {
    if let Ok(hid) = human_id::parse(typed) {
        return Some(format!("identifiers : \"{}\"", hid.replace('-', "")));
    }
    let terms: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("(\"{w}\" OR \"{w}\"*)"))
        .collect();
    (!terms.is_empty()).then(|| {
        format!(
            "{} : ({})",
            searchable_columns(principal),
            terms.join(" AND ")
        )
    })
}

/// Rowids of the best matches, best first.
pub(crate) fn matching_rowids(conn: &Connection, expression: &str, limit: u32) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid FROM patient_search WHERE patient_search MATCH ?1 ORDER BY {RANK} LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![expression, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Role;

    #[test]
    fn typed_words_become_prefix_terms_and_quotes_cannot_escape() {
        let clinician = Principal::Staff(Role::Clinician);
        assert_eq!(
            match_expression(clinician, "jos sil").as_deref(),
            Some(
                "{names identifiers narratives} : \
                 ((\"jos\" OR \"jos\"*) AND (\"sil\" OR \"sil\"*))"
            )
        );
        assert_eq!(
            match_expression(clinician, "o\"neil OR").as_deref(),
            Some(
                "{names identifiers narratives} : \
                 ((\"o\" OR \"o\"*) AND (\"neil\" OR \"neil\"*) AND (\"OR\" OR \"OR\"*))"
            )
        );
        assert_eq!(match_expression(clinician, "  -- ").as_deref(), None);
    }

    #[test]
    fn roles_that_may_not_read_narratives_search_names_and_identifiers_only() {
        let desk = match_expression(Principal::Staff(Role::FrontDesk), "hepatitis").unwrap();
        assert!(desk.starts_with("{names identifiers} : "), "{desk}");
        let admin = match_expression(Principal::Staff(Role::Admin), "hepatitis").unwrap();
        assert!(
            admin.starts_with("{names identifiers narratives} : "),
            "{admin}"
        );
    }

    #[test]
    fn a_typed_human_id_is_matched_whole() {
        let hid = human_id::generate().unwrap();
        let expr =
            match_expression(Principal::Staff(Role::FrontDesk), &hid.to_lowercase()).unwrap();
        assert_eq!(expr, format!("identifiers : \"{}\"", hid.replace('-', "")));
    }

    #[test]
    fn phone_numbers_are_indexed_by_every_long_tail() {
        let terms = identifier_terms("TS-0000-0000", Some("+351 912 345 678"));
        for expected in ["351912345678", "912345678", "345678", "TS00000000"] {
            assert!(
                terms.split(' ').any(|t| t == expected),
                "{expected} in {terms}"
            );
        }
        assert!(!terms.split(' ').any(|t| t == "45678"));
    }
}
