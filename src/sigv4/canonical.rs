//! Stage 1: the canonical request.

/// Headers as signed: names lower case, values trimmed with inner runs of
/// spaces folded to one, repeated names joined with `,`, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalHeaders {
    entries: Vec<(String, String)>,
}

impl CanonicalHeaders {
    /// Canonicalises `headers` (every one of them is signed).
    pub fn new(headers: &[(String, String)]) -> Self {
        let mut entries: Vec<(String, String)> = Vec::with_capacity(headers.len());
        let mut sorted: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), fold_spaces(v)))
            .collect();
        // A stable sort keeps repeated headers in the order they were given.
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, value) in sorted {
            match entries.last_mut() {
                Some((last, joined)) if *last == name => {
                    joined.push(',');
                    joined.push_str(&value);
                }
                _ => entries.push((name, value)),
            }
        }
        CanonicalHeaders { entries }
    }

    /// `name;name;...`
    pub fn signed_headers(&self) -> String {
        let names: Vec<&str> = self.entries.iter().map(|(n, _)| n.as_str()).collect();
        names.join(";")
    }

    /// `name:value\n` for each header.
    pub fn canonical_block(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.entries {
            out.push_str(name);
            out.push(':');
            out.push_str(value);
            out.push('\n');
        }
        out
    }
}

/// Trims and folds runs of whitespace (including obs-fold newlines) to one space.
fn fold_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request: method, encoded path, canonical query, headers,
/// signed header list and payload hash, one per line.
pub fn canonical_request(
    method: &str,
    encoded_path: &str,
    canonical_query: &str,
    headers: &CanonicalHeaders,
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{encoded_path}\n{canonical_query}\n{}\n{}\n{payload_hash}",
        headers.canonical_block(),
        headers.signed_headers()
    )
}
