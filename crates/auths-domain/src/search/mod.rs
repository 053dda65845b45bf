//! Searching auths: the query a use case hands the store, and how search text becomes
//! terms.

pub mod index;

use crate::catalog::EntryRef;
use crate::ids::EntryId;
use crate::ports::PageRequest;

/// Most terms a search uses; the rest of a long query is ignored.
pub const MAX_TERMS: usize = 16;
/// Longest term, in characters.
pub const MAX_TERM_CHARS: usize = 64;

/// The words of a search: runs of letters and digits, lower-cased, each matched as a
/// prefix of a word in the auth's name, description, slugs, protocols or departments.
/// Everything else separates words, so no character of the input can reach the
/// backends' query syntax.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_TERM_CHARS).collect())
        .take(MAX_TERMS)
        .collect()
}

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthQuery {
    /// Every term must match (empty: every auth).
    pub terms: Vec<String>,
    /// Only auths in one of these departments (`None`: no filter).
    pub departments: Option<Vec<EntryId>>,
    /// The caller's department scope (`None`: global).
    pub scope: Option<Vec<EntryId>>,
    /// Which page.
    pub page: PageRequest,
}

/// What a search finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHits {
    /// The numbers of this page's auths, best match first, then by name.
    pub numbers: Vec<i64>,
    /// This page's auths, in the same order.
    pub rows: Vec<std::sync::Arc<crate::auth::Auth>>,
    /// How many auths match in all.
    pub total: u64,
    /// For each department (by id), how many auths match the terms and scope, ignoring
    /// the department filter (the facet).
    pub departments: Vec<(EntryRef, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_words_lower_cased() {
        assert_eq!(search_terms("  Corp-LDAP  (EU) "), ["corp", "ldap", "eu"]);
        assert_eq!(search_terms("Zürich ÉTÉ"), ["zürich", "été"]);
        assert!(
            search_terms(r#"" * : & | ! ( ) ^ - NEAR"#)
                .iter()
                .all(|t| t == "near")
        );
        assert!(search_terms("").is_empty());
        assert_eq!(search_terms(&"a ".repeat(100)).len(), MAX_TERMS);
        assert_eq!(search_terms(&"x".repeat(500))[0].len(), MAX_TERM_CHARS);
    }
}
