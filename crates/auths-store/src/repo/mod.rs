//! The repositories: the domain's ports implemented on [`crate::StoreTx`].

mod audit;
mod auths;
mod catalog;
mod drafts;
pub(crate) mod foreman;
mod principals;
pub(crate) mod search;
mod uploads;

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
        assert_eq!(super::like_pattern(""), "%%");
    }
}
