//! Likely duplicates: a patient being registered who may already have a record. Two records
//! are likely the same person when their folded names and dates of birth match, or when
//! their phone numbers end in the same eight digits (with or without a country code).
//!
//! A match is a warning, never a refusal a person cannot overrule: twins share a birthday and
//! a family shares a phone.

use rusqlite::{Connection, params};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::Result;
use crate::patients::profile::{Profile, phone_digits};
use crate::patients::{PatientSummary, SELECT_SUMMARY, summary_from_row};

/// Digits of two phone numbers that must agree (from the end) to count as the same number:
/// enough to tell numbers apart, few enough to ignore a country or area code.
const PHONE_DIGITS_COMPARED: usize = 8;
/// Fewer digits than this is not a phone number worth matching on.
const PHONE_DIGITS_MIN: usize = 6;
/// Most matches reported; a person reads them.
const MAX_MATCHES: usize = 10;

/// A name as compared: accents and case folded, only letters and digits kept, so "José
/// Marie-Claire" and "jose marie claire" are the same.
pub(crate) fn folded_name(given: &str, family: &str) -> String {
    format!("{given} {family}")
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The digits of a phone number that identify it, when it has enough of them.
fn phone_key(phone: Option<&str>) -> Option<String> {
    let digits = phone_digits(phone?);
    if digits.len() < PHONE_DIGITS_MIN {
        return None;
    }
    let start = digits.len().saturating_sub(PHONE_DIGITS_COMPARED);
    Some(digits[start..].to_owned())
}

/// Patients not in the bin (other than `except`) who are likely the same person as
/// `profile`, by name and date of birth or by phone. Reads the rows only; the caller audits.
pub(crate) fn likely_duplicates(
    conn: &Connection,
    profile: &Profile,
    except: Option<&str>,
) -> Result<Vec<PatientSummary>> {
    let name = folded_name(&profile.given_name, &profile.family_name);
    let phone = phone_key(profile.phone.as_deref());
    // Candidates come from two indexes, each asked on its own (an OR of the two would scan
    // every patient): birth dates, and the phone's digit runs in the search index. The exact
    // comparison is made here.
    let mut candidates: Vec<(PatientSummary, Option<String>)> = Vec::new();
    let row = |r: &rusqlite::Row<'_>| Ok((summary_from_row(r)?, r.get::<_, Option<String>>(7)?));
    if let Some(born) = &profile.date_of_birth {
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_SUMMARY} WHERE date_of_birth = ?1 AND deleted_at IS NULL AND id IS NOT ?2"
        ))?;
        for found in stmt.query_map(params![born, except], row)? {
            candidates.push(found?);
        }
    }
    if let Some(digits) = &phone {
        // Digits only, so the phrase needs no escaping.
        let expression = format!("{{identifiers}} : \"{digits}\"");
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_SUMMARY} WHERE rowid IN (SELECT rowid FROM patient_search \
             WHERE patient_search MATCH ?1) AND deleted_at IS NULL AND id IS NOT ?2"
        ))?;
        for found in stmt.query_map(params![expression, except], row)? {
            candidates.push(found?);
        }
    }
    candidates.sort_by(|(a, _), (b, _)| {
        (
            a.family_name.to_lowercase(),
            a.given_name.to_lowercase(),
            &a.id,
        )
            .cmp(&(
                b.family_name.to_lowercase(),
                b.given_name.to_lowercase(),
                &b.id,
            ))
    });
    candidates.dedup_by(|(a, _), (b, _)| a.id == b.id);
    let mut matches = Vec::new();
    for (summary, their_phone) in candidates {
        let same_person = profile.date_of_birth.is_some()
            && summary.date_of_birth == profile.date_of_birth
            && folded_name(&summary.given_name, &summary.family_name) == name;
        let same_phone = match (&phone, phone_key(their_phone.as_deref())) {
            (Some(ours), Some(theirs)) => ours.ends_with(&theirs) || theirs.ends_with(ours),
            _ => false,
        };
        if same_person || same_phone {
            matches.push(summary);
            if matches.len() == MAX_MATCHES {
                break;
            }
        }
    }
    Ok(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_accents_case_spaces_and_hyphens() {
        assert_eq!(
            folded_name("José", "Marie-Claire"),
            folded_name("jose", "marie claire")
        );
        assert_eq!(folded_name("Zoë", "O'Neil"), "zoeoneil");
        assert_ne!(folded_name("Ana", "Souza"), folded_name("Anna", "Souza"));
    }

    #[test]
    fn phones_compare_by_their_last_eight_digits() {
        assert_eq!(
            phone_key(Some("+33 6 12 34 56 78")),
            phone_key(Some("06.12.34.56.78"))
        );
        assert_eq!(phone_key(Some("12-34")), None);
        assert_eq!(phone_key(None), None);
    }
}
