//! The source line of a diagnostic and the span under its caret: the token at a YAML
//! position, the cell of a CSV column, the whole row of a CSV row error.

use super::fields::Texts;
use super::{Diagnostic, Snippet};

/// Attaches the line `d` points into, when it points into a line of a file read.
pub fn attach(d: &mut Diagnostic, texts: &Texts) {
    let (Some(file), Some(line)) = (&d.location.file, d.location.line) else {
        return;
    };
    let Some(text) = texts.get(file) else {
        return;
    };
    let Some(row) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return;
    };
    let row = row.trim_end_matches('\r');
    let (start, end) = match d.location.column {
        None => (0, row.len()),
        Some(c) if file.ends_with(".csv") => cell_span(row, c.saturating_sub(1) as usize),
        Some(c) => token_span(row, c.saturating_sub(1) as usize),
    };
    d.snippet = Some(Snippet {
        text: row.to_string(),
        start,
        end,
    });
}

/// The byte span of the YAML token starting at character `col`: a quoted scalar to its
/// closing quote, otherwise up to the end of a key, a flow separator or a comment.
fn token_span(line: &str, col: usize) -> (usize, usize) {
    let start = line
        .char_indices()
        .nth(col)
        .map(|(i, _)| i)
        .unwrap_or(line.len());
    let rest = &line[start..];
    let len = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map(|i| i + 2).unwrap_or(rest.len()),
        Some(_) => {
            let stops = [": ", ",", "]", "}", " #"];
            let cut = stops
                .iter()
                .filter_map(|s| rest.find(s))
                .min()
                .unwrap_or(rest.len());
            let cut = if rest[..cut].ends_with(':') && cut == rest.len() {
                cut - 1
            } else {
                cut
            };
            rest[..cut].trim_end().len()
        }
        None => 0,
    };
    (start, start + len)
}

/// The byte span of cell `index` (0-based) of a CSV line, quotes respected; the end of
/// the line when the row has fewer cells.
fn cell_span(line: &str, index: usize) -> (usize, usize) {
    let mut cell = 0;
    let mut start = 0;
    let mut quoted = false;
    for (i, ch) in line.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                if cell == index {
                    return trimmed(line, start, i);
                }
                cell += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    if cell == index {
        trimmed(line, start, line.len())
    } else {
        (line.len(), line.len())
    }
}

fn trimmed(line: &str, start: usize, end: usize) -> (usize, usize) {
    let cell = &line[start..end];
    let lead = cell.len() - cell.trim_start().len();
    (start + lead, start + lead + cell.trim().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_tokens_end_at_keys_separators_and_comments() {
        assert_eq!(token_span("emial: a@b.c", 0), (0, 5));
        assert_eq!(token_span("email: not-an-email  # x", 7), (7, 19));
        assert_eq!(token_span("  - { email: a@b.c, type: gold }", 26), (26, 30));
        assert_eq!(token_span("name: \"a, b\"", 6), (6, 12));
    }

    #[test]
    fn csv_cells_respect_quotes_and_missing_cells_point_at_the_end() {
        assert_eq!(cell_span("a,\"b, c\",d", 1), (2, 8));
        assert_eq!(cell_span("a, b ,c", 1), (3, 4));
        assert_eq!(cell_span("a,b", 4), (3, 3));
    }
}
