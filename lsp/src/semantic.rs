//! Semantic tokens across requests: the last result sent for each open document, kept as the
//! encoded integers LSP sends (five `u32` per token), so that `semanticTokens/full/delta` answers
//! with the tokens that changed instead of the whole file.

use std::collections::HashMap;

use tower_lsp_server::ls_types as lsp;

/// The last tokens sent per document; one result per document, replaced by each new one.
#[derive(Default)]
pub struct TokenCache {
    last: HashMap<lsp::Uri, (u64, Vec<lsp::SemanticToken>)>,
    next_id: u64,
}

impl TokenCache {
    /// Records `data` as the document's last result and returns its id.
    fn remember(&mut self, uri: &lsp::Uri, data: Vec<lsp::SemanticToken>) -> String {
        self.next_id += 1;
        let mut data = data;
        data.shrink_to_fit();
        self.last.insert(uri.clone(), (self.next_id, data));
        self.next_id.to_string()
    }

    /// The whole file's tokens, remembered for the next delta.
    pub fn full(&mut self, uri: &lsp::Uri, data: Vec<lsp::SemanticToken>) -> lsp::SemanticTokens {
        let result_id = self.remember(uri, data.clone());
        lsp::SemanticTokens {
            result_id: Some(result_id),
            data,
        }
    }

    /// The edits from the result `previous` to `data`, or the whole file when `previous` is not
    /// the document's last result (the client lost track, or the server restarted).
    pub fn delta(
        &mut self,
        uri: &lsp::Uri,
        previous: &str,
        data: Vec<lsp::SemanticToken>,
    ) -> lsp::SemanticTokensFullDeltaResult {
        let edits = match self.last.get(uri) {
            Some((id, old)) if id.to_string() == previous => Some(diff(old, &data)),
            _ => None,
        };
        match edits {
            Some(edits) => {
                let result_id = self.remember(uri, data);
                lsp::SemanticTokensFullDeltaResult::TokensDelta(lsp::SemanticTokensDelta {
                    result_id: Some(result_id),
                    edits,
                })
            }
            None => lsp::SemanticTokensFullDeltaResult::Tokens(self.full(uri, data)),
        }
    }

    /// Forgets a closed document.
    pub fn forget(&mut self, uri: &lsp::Uri) {
        self.last.remove(uri);
    }
}

/// One edit replacing the tokens between the common prefix and the common suffix of `old` and
/// `new` (none when they are equal). Offsets count integers, five per token.
pub fn diff(
    old: &[lsp::SemanticToken],
    new: &[lsp::SemanticToken],
) -> Vec<lsp::SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = old.len() - prefix - suffix;
    let inserted = &new[prefix..new.len() - suffix];
    if removed == 0 && inserted.is_empty() {
        return Vec::new();
    }
    vec![lsp::SemanticTokensEdit {
        start: (prefix * 5) as u32,
        delete_count: (removed * 5) as u32,
        data: Some(inserted.to_vec()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(delta_line: u32, delta_start: u32, length: u32) -> lsp::SemanticToken {
        lsp::SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: 0,
            token_modifiers_bitset: 0,
        }
    }

    /// Applies edits to the integers of `old`, as a client does.
    fn apply(old: &[lsp::SemanticToken], edits: &[lsp::SemanticTokensEdit]) -> Vec<u32> {
        let mut ints: Vec<u32> = old
            .iter()
            .flat_map(|t| {
                [
                    t.delta_line,
                    t.delta_start,
                    t.length,
                    t.token_type,
                    t.token_modifiers_bitset,
                ]
            })
            .collect();
        for edit in edits.iter().rev() {
            let start = edit.start as usize;
            let data: Vec<u32> = edit
                .data
                .iter()
                .flatten()
                .flat_map(|t| {
                    [
                        t.delta_line,
                        t.delta_start,
                        t.length,
                        t.token_type,
                        t.token_modifiers_bitset,
                    ]
                })
                .collect();
            ints.splice(start..start + edit.delete_count as usize, data);
        }
        ints
    }

    #[test]
    fn a_delta_applied_to_the_old_tokens_gives_the_new() {
        let old = vec![
            token(0, 0, 3),
            token(0, 4, 2),
            token(1, 2, 5),
            token(2, 0, 1),
        ];
        let cases = [
            vec![
                token(0, 0, 3),
                token(0, 4, 2),
                token(1, 2, 6),
                token(2, 0, 1),
            ],
            vec![token(0, 0, 3), token(2, 0, 1)],
            vec![
                token(0, 0, 3),
                token(0, 4, 2),
                token(0, 1, 1),
                token(1, 2, 5),
                token(2, 0, 1),
            ],
            vec![],
            old.clone(),
        ];
        for new in cases {
            let edits = diff(&old, &new);
            let want: Vec<u32> = apply(&new, &[]);
            assert_eq!(apply(&old, &edits), want, "{new:?}");
            assert!(edits.len() <= 1);
        }
        assert!(diff(&old, &old).is_empty());
        // Only the changed token travels.
        let edits = diff(
            &old,
            &[
                token(0, 0, 3),
                token(0, 4, 2),
                token(1, 2, 6),
                token(2, 0, 1),
            ],
        );
        assert_eq!((edits[0].start, edits[0].delete_count), (10, 5));
        assert_eq!(edits[0].data.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn a_delta_from_an_unknown_result_is_the_whole_file() {
        let uri: lsp::Uri = "file:///p/a.infra".parse().expect("a URI");
        let mut cache = TokenCache::default();
        let first = cache.full(&uri, vec![token(0, 0, 3)]);
        let id = first.result_id.expect("an id");
        match cache.delta(&uri, "stale", vec![token(0, 0, 4)]) {
            lsp::SemanticTokensFullDeltaResult::Tokens(t) => assert_eq!(t.data, [token(0, 0, 4)]),
            other => panic!("{other:?}"),
        }
        // The id of the full answer above was replaced by the fallback's.
        assert!(matches!(
            cache.delta(&uri, &id, vec![token(0, 0, 4)]),
            lsp::SemanticTokensFullDeltaResult::Tokens(_)
        ));
        cache.forget(&uri);
        assert!(cache.last.is_empty());
    }
}
