//! Short patient ids to read aloud, print and type: `TS-7K3M-9Q2X`.
//!
//! Seven random symbols of Crockford's base32 (no I, L, O or U, so nothing reads as a digit
//! it is not) and one check symbol. The check is Luhn mod N over the 32 symbols: it rejects
//! every single mistyped symbol and almost every swap of two neighbours. Hand-written because
//! no maintained crate offers a Luhn mod N check over an arbitrary alphabet; it is ten lines.

use crate::crypto;
use crate::error::{Error, Result};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "TS";
const RANDOM_SYMBOLS: usize = 7;

/// A fresh random human id.
pub fn generate() -> Result<String> {
    let bytes = crypto::random_bytes::<RANDOM_SYMBOLS>()?;
    let symbols: Vec<u8> = bytes.iter().map(|b| b % 32).collect();
    Ok(format_symbols(&symbols))
}

/// Parses a typed human id (any case, dashes and spaces optional, `TS` optional; `I`/`L`
/// read as 1 and `O` as 0) into its canonical form, or says what is wrong.
pub fn parse(text: &str) -> Result<String> {
    let mut compact: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.len() == PREFIX.len() + RANDOM_SYMBOLS + 1 && compact.starts_with(PREFIX) {
        compact.drain(..PREFIX.len());
    }
    if compact.chars().count() != RANDOM_SYMBOLS + 1 {
        return Err(invalid(text, "it should look like TS-7K3M-9Q2X"));
    }
    let mut symbols = Vec::with_capacity(RANDOM_SYMBOLS + 1);
    for c in compact.chars() {
        let c = match c {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        };
        let value = ALPHABET
            .iter()
            .position(|&a| char::from(a) == c)
            .ok_or_else(|| invalid(text, &format!("{c:?} is not a symbol of a patient id")))?;
        symbols.push(value as u8);
    }
    let (body, check) = symbols.split_at(RANDOM_SYMBOLS);
    if check[0] != check_symbol(body) {
        return Err(invalid(
            text,
            "its check symbol does not match; a character was probably mistyped",
        ));
    }
    Ok(format_symbols(body))
}

fn format_symbols(body: &[u8]) -> String {
    let check = check_symbol(body);
    let chars: String = body
        .iter()
        .chain(std::iter::once(&check))
        .map(|&v| char::from(ALPHABET[usize::from(v)]))
        .collect();
    format!("{PREFIX}-{}-{}", &chars[..4], &chars[4..])
}

/// Luhn mod 32: doubling every second symbol from the right, folding back into base 32.
fn check_symbol(body: &[u8]) -> u8 {
    const N: u32 = 32;
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| {
            let addend = u32::from(v) * if i % 2 == 0 { 2 } else { 1 };
            addend / N + addend % N
        })
        .sum();
    ((N - sum % N) % N) as u8
}

fn invalid(text: &str, why: &str) -> Error {
    Error::invalid("patient id", format!("{text:?} is not a patient id: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_have_the_documented_shape_and_parse_back() {
        for _ in 0..200 {
            let id = generate().unwrap();
            assert_eq!(id.len(), "TS-7K3M-9Q2X".len());
            assert!(id.starts_with("TS-"));
            assert_eq!(parse(&id).unwrap(), id);
        }
    }

    #[test]
    fn typing_variants_are_accepted() {
        let id = format_symbols(&[1, 2, 3, 4, 5, 6, 7]);
        let compact = id.replace('-', "").to_lowercase();
        assert_eq!(parse(&compact).unwrap(), id);
        assert_eq!(parse(&compact[2..]).unwrap(), id);
        assert_eq!(parse(&id.replace('1', "l")).unwrap(), id);
        assert_eq!(parse(&id.replace('0', "o")).unwrap(), id);
    }

    #[test]
    fn wrong_shapes_are_refused_with_reasons() {
        for bad in ["", "TS-1234", "TS-7K3M-9Q2X-1", "TS-7K3M-9Q2U", "patient"] {
            assert!(
                matches!(
                    parse(bad),
                    Err(Error::Invalid {
                        field: "patient id",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_single_symbol_typo_is_caught(body in proptest::collection::vec(0u8..32, RANDOM_SYMBOLS), pos in 0usize..8, delta in 1u8..32) {
            let id = format_symbols(&body);
            let mut compact: Vec<u8> = id.replace('-', "").into_bytes();
            let at = PREFIX.len() + pos;
            let old = ALPHABET.iter().position(|&a| a == compact[at]).unwrap() as u8;
            compact[at] = ALPHABET[usize::from((old + delta) % 32)];
            let typo = String::from_utf8(compact).unwrap();
            prop_assert!(parse(&typo).is_err(), "{} accepted for {}", typo, id);
        }
    }
}
