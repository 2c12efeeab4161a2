//! Printing results: JSON on stdout with `--json`, otherwise plain aligned text.

use anyhow::Result;
use serde::Serialize;

/// Prints `value` as JSON when `json`, otherwise calls `human`.
pub fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T)) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        human(value);
    }
    Ok(())
}

/// Prints rows as columns padded to their widest cell, under a header row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
}

/// Prints `label value` lines with the values aligned; the further lines of a value with
/// several (a list) are indented under the first. Rows without values are left out.
pub fn fields(rows: &[(&str, Vec<String>)]) {
    let width = rows
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    for (label, values) in rows {
        for (i, value) in values.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            println!("{label:<width$}  {value}");
        }
    }
}

/// The name of one of the core's enums as its JSON spells it (`home_visit`, `AB+`).
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// An RFC 3339 time shortened for tables: the date alone at midnight, else to the minute.
pub fn when(rfc3339: &str) -> String {
    match rfc3339.strip_suffix("T00:00:00Z") {
        Some(date) => date.to_owned(),
        None => match rfc3339.get(..16) {
            Some(minutes) => format!("{} UTC", minutes.replace('T', " ")),
            None => rfc3339.to_owned(),
        },
    }
}
