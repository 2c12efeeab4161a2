//! CSV exports: one RFC 4180 table per list in the record (the `csv` crate), UTF-8,
//! optionally with a byte-order mark so spreadsheet programs read the accents right. One
//! table is written as a `.csv` file; several go in a zip, one member each.
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return as a formula, so a patient named `=HYPERLINK(...)` could make a programme
//! officer's spreadsheet call out. Such a cell is written with a leading apostrophe, as
//! OWASP recommends: spreadsheets show it as text, and [`restore_cell`] gives the original
//! back.

use std::io::Write;

use super::record::{Record, spelled};
use crate::error::{Error, Result};

/// One table: its file name (without `.csv`), its column names and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// File name without the extension.
    pub name: &'static str,
    /// Column names.
    pub header: Vec<&'static str>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

fn join(items: &[String]) -> String {
    items.join("; ")
}

fn text<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The tables of `record`, in a fixed order; a section the record does not hold gives
/// no table.
pub fn tables(record: &Record) -> Vec<Table> {
    let p = &record.patient;
    let mut patient_header = vec![
        "id",
        "human_id",
        "given_name",
        "family_name",
        "preferred_name",
        "date_of_birth",
    ];
    let mut patient_row = vec![
        p.id.clone(),
        p.human_id.clone(),
        p.given_name.clone(),
        p.family_name.clone(),
        text(&p.preferred_name),
        text(&p.date_of_birth),
    ];
    let mut tables = Vec::new();
    if let Some(e) = &record.emergency {
        patient_header.extend(["blood_type", "organ_donor"]);
        patient_row.extend([
            e.blood_type.as_ref().map(spelled).unwrap_or_default(),
            text(&e.organ_donor),
        ]);
        tables.push(Table {
            name: "medical_alerts",
            header: vec!["alert"],
            rows: e.medical_alerts.iter().map(|a| vec![a.clone()]).collect(),
        });
        tables.push(Table {
            name: "emergency_contacts",
            header: vec!["name", "phone", "relationship", "primary"],
            rows: e
                .emergency_contacts
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.phone.clone(),
                        text(&c.relationship),
                        c.primary.to_string(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(d) = &record.profile {
        patient_header.extend([
            "sex",
            "phone",
            "location",
            "preferred_language",
            "status",
            "insurance_provider",
            "insurance_policy_number",
        ]);
        patient_row.extend([
            d.sex.as_ref().map(spelled).unwrap_or_default(),
            text(&d.phone),
            text(&d.location),
            text(&d.preferred_language),
            spelled(&d.status),
            d.insurance
                .as_ref()
                .map(|i| i.provider.clone())
                .unwrap_or_default(),
            d.insurance
                .as_ref()
                .and_then(|i| i.policy_number.clone())
                .unwrap_or_default(),
        ]);
    }
    if let Some(m) = &record.medications {
        tables.push(Table {
            name: "allergies",
            header: vec!["substance", "reaction", "severity"],
            rows: m
                .allergies
                .iter()
                .map(|a| {
                    vec![
                        a.substance.clone(),
                        text(&a.reaction),
                        a.severity.as_ref().map(spelled).unwrap_or_default(),
                    ]
                })
                .collect(),
        });
        tables.push(Table {
            name: "medications",
            header: vec!["name", "dose", "frequency", "prescriber"],
            rows: m
                .medications
                .iter()
                .map(|md| {
                    vec![
                        md.name.clone(),
                        text(&md.dose),
                        text(&md.frequency),
                        text(&md.prescriber),
                    ]
                })
                .collect(),
        });
        tables.push(Table {
            name: "chronic_conditions",
            header: vec!["condition"],
            rows: m
                .chronic_conditions
                .iter()
                .map(|c| vec![c.clone()])
                .collect(),
        });
    }
    tables.insert(
        0,
        Table {
            name: "patient",
            header: patient_header,
            rows: vec![patient_row],
        },
    );
    if let Some(encounters) = &record.encounters {
        tables.push(Table {
            name: "encounters",
            header: vec![
                "id",
                "occurred_at",
                "kind",
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
                "recorded_by",
                "created_at",
            ],
            rows: encounters
                .iter()
                .map(|e| {
                    let v = &e.vitals;
                    vec![
                        e.id.clone(),
                        e.occurred_at.clone(),
                        spelled(&e.kind),
                        e.reason.clone(),
                        text(&e.notes),
                        join(&e.diagnoses),
                        join(&e.treatments),
                        text(&v.bp_systolic),
                        text(&v.bp_diastolic),
                        text(&v.pulse),
                        text(&v.temperature_c),
                        text(&v.spo2),
                        text(&v.weight_kg),
                        text(&v.height_cm),
                        text(&v.pain),
                        e.recorded_by.clone(),
                        e.created_at.clone(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(narratives) = &record.narratives {
        tables.push(Table {
            name: "narratives",
            header: vec![
                "id",
                "created_at",
                "updated_at",
                "author",
                "author_type",
                "title",
                "body",
                "revision",
                "photo_id",
            ],
            rows: narratives
                .iter()
                .map(|entry| {
                    let n = &entry.narrative;
                    vec![
                        n.id.clone(),
                        n.created_at.clone(),
                        n.updated_at.clone(),
                        n.author.clone(),
                        spelled(&n.author_type),
                        text(&n.title),
                        n.body.clone(),
                        n.revision.to_string(),
                        text(&n.photo_id),
                    ]
                })
                .collect(),
        });
        let revisions: Vec<Vec<String>> = narratives
            .iter()
            .flat_map(|entry| entry.revisions.iter())
            .map(|r| {
                vec![
                    r.narrative_id.clone(),
                    r.revision.to_string(),
                    r.edited_at.clone(),
                    r.edited_by.clone(),
                    text(&r.title),
                    r.body.clone(),
                ]
            })
            .collect();
        if !revisions.is_empty() {
            tables.push(Table {
                name: "narrative_revisions",
                header: vec![
                    "narrative_id",
                    "revision",
                    "edited_at",
                    "edited_by",
                    "title",
                    "body",
                ],
                rows: revisions,
            });
        }
    }
    if let Some(photos) = &record.photos {
        tables.push(Table {
            name: "photos",
            header: vec![
                "id",
                "taken_at",
                "imported_at",
                "caption",
                "format",
                "width",
                "height",
                "privacy",
                "imported_by",
            ],
            rows: photos
                .iter()
                .map(|entry| {
                    let ph = &entry.photo;
                    vec![
                        ph.id.clone(),
                        text(&ph.taken_at),
                        ph.imported_at.clone(),
                        text(&ph.caption),
                        ph.format.clone(),
                        ph.width.to_string(),
                        ph.height.to_string(),
                        spelled(&ph.privacy),
                        ph.imported_by.clone(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(consents) = &record.consents {
        tables.push(Table {
            name: "consents",
            header: vec![
                "id",
                "recorded_at",
                "purpose",
                "status",
                "recorded_by",
                "notes",
                "current",
            ],
            rows: consents
                .iter()
                .map(|c| {
                    vec![
                        c.id.clone(),
                        c.recorded_at.clone(),
                        c.purpose.clone(),
                        spelled(&c.status),
                        c.recorded_by.clone(),
                        text(&c.notes),
                        c.current.to_string(),
                    ]
                })
                .collect(),
        });
    }
    tables
}

/// Whether a spreadsheet would run `cell`, or it is one a neutralised cell could be
/// mistaken for (apostrophes before such a cell).
fn needs_apostrophe(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => true,
        Some('\'') => needs_apostrophe(&cell[1..]),
        _ => false,
    }
}

/// A cell as written: with a leading apostrophe when a spreadsheet would run it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match needs_apostrophe(cell) {
        true => format!("'{cell}").into(),
        false => cell.into(),
    }
}

/// The original of a cell [`neutralise`] wrote.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => rest,
        _ => cell,
    }
}

const BOM: &[u8] = "\u{feff}".as_bytes();

fn write_table(out: &mut dyn Write, table: &Table, bom: bool) -> Result<()> {
    let failed = |_| Error::Internal("cannot write a CSV table");
    if bom {
        out.write_all(BOM)
            .map_err(Error::io("cannot write the CSV file"))?;
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(&table.header).map_err(failed)?;
    for row in &table.rows {
        writer
            .write_record(row.iter().map(|cell| neutralise(cell).into_owned()))
            .map_err(failed)?;
    }
    writer
        .flush()
        .map_err(Error::io("cannot write the CSV file"))
}

/// Whether `tables` are written as a zip (more than one) or a single CSV file.
pub fn zipped(tables: &[Table]) -> bool {
    tables.len() > 1
}

/// Writes `tables` to `out`: one CSV, or a zip of them.
pub(crate) fn write(out: &mut dyn Write, tables: &[Table], bom: bool) -> Result<()> {
    if !zipped(tables) {
        return match tables.first() {
            Some(table) => write_table(out, table, bom),
            None => Ok(()),
        };
    }
    let failed = |_| Error::Internal("cannot write the zip file");
    let mut zip = zip::ZipWriter::new_stream(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    for table in tables {
        zip.start_file(format!("{}.csv", table.name), options)
            .map_err(failed)?;
        write_table(&mut zip, table, bom)?;
    }
    zip.finish().map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_formula_in_a_name_is_written_as_text() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for trigger in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(trigger).starts_with('\''), "{trigger:?}");
        }
        assert_eq!(neutralise("Amina"), "Amina");
        assert_eq!(neutralise("'quoted"), "'quoted");
        assert_eq!(neutralise("'=1"), "''=1");
    }

    proptest! {
        #[test]
        fn a_neutralised_cell_restores_to_itself(cell in any::<String>()) {
            let written = neutralise(&cell);
            prop_assert_eq!(restore_cell(&written), cell.as_str());
        }

        #[test]
        fn a_written_table_parses_back_to_its_cells(
            rows in proptest::collection::vec(proptest::collection::vec(any::<String>(), 3), 0..20),
            bom in any::<bool>(),
        ) {
            let table = Table { name: "t", header: vec!["a", "b", "c"], rows: rows.clone() };
            let mut bytes = Vec::new();
            write_table(&mut bytes, &table, bom).unwrap();
            let body = if bom { bytes.strip_prefix(BOM).unwrap() } else { &bytes[..] };
            let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
            let back: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.unwrap().iter().map(|c| restore_cell(c).to_owned()).collect())
                .collect();
            prop_assert_eq!(back, rows);
        }
    }
}
