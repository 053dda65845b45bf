//! The repositories: the domain's ports implemented on [`crate::StoreTx`].

mod audit;
mod auths;
pub(crate) mod batch;
mod catalog;
mod drafts;
pub(crate) mod foreman;
pub(crate) mod fresh;
mod items;
mod principals;
pub(crate) mod search;
pub(crate) mod search_index;
mod uploads;
mod versions;

/// Most values one `IN` list binds: lists longer than this are read a chunk at a time.
/// SQLite refuses a statement with more than 32,766 variables ("too many SQL
/// variables"), and resolving a chunk of auths binds about three per auth; a list that
/// grows with the table must never reach one statement whole.
pub(crate) const CHUNK: usize = 500;

/// The row of a lookup by a unique key, loaded without `.first()`: diesel binds the
/// `LIMIT` of `.first()` as a parameter, and SQLite (since 3.47) re-prepares a statement
/// whenever a parameter its plan looked at (such as a LIMIT) is bound again, so every
/// `.first()` paid a full prepare. A statement without one is prepared once per
/// connection and kept. Use only where the filter can match one row at most.
pub(crate) trait One<U> {
    /// The row, if any.
    fn one(self) -> diesel::QueryResult<Option<U>>;
    /// The row; `NotFound` if none.
    fn exactly_one(self) -> diesel::QueryResult<U>;
}

impl<U> One<U> for diesel::QueryResult<Vec<U>> {
    fn one(self) -> diesel::QueryResult<Option<U>> {
        self.map(|rows| rows.into_iter().next())
    }

    fn exactly_one(self) -> diesel::QueryResult<U> {
        self.and_then(|rows| {
            rows.into_iter()
                .next()
                .ok_or(diesel::result::Error::NotFound)
        })
    }
}

/// Appends `text` to a `LIKE ... ESCAPE '\'` pattern, `%`, `_` and `\` escaped.
pub(crate) fn escape_like(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A `LIKE ... ESCAPE '\'` pattern matching `needle` anywhere.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    escape_like(needle, &mut p);
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
