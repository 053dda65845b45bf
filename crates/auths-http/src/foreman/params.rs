//! How the Foreman-compatible API reads ids and paging: an id is its leading digits
//! (`"3-foo"` is 3), as Foreman's `find_resource` does; `page` and `per_page` are
//! positive integers of any size, `per_page` also `all`.

use std::collections::HashMap;

use auths_app::Taxonomy;
use auths_domain::PageRequest;

use super::error::ForemanError;

/// The query string, by parameter.
pub type Query = HashMap<String, String>;

/// An id's leading digits (`"3-foo"` is 3); none, or too many for a number, is no id.
pub fn leading_number(raw: &str) -> Option<i64> {
    let digits: String = raw
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A taxonomy id from the query or the path: empty means any; otherwise its leading
/// digits.
///
/// # Errors
/// 404 naming the taxonomy when the id has no digits.
pub fn taxonomy_id(t: Taxonomy, raw: Option<&String>) -> Result<Option<i64>, ForemanError> {
    match raw.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => leading_number(s)
            .map(Some)
            .ok_or_else(|| ForemanError::taxonomy_not_found(t.kind(), s)),
    }
}

/// The taxonomy scope of a request: `location_id` and `organization_id` of the query,
/// unless the path names one of them.
///
/// # Errors
/// As [`taxonomy_id`].
pub fn scope(
    q: &Query,
    path: Option<(Taxonomy, &String)>,
) -> Result<(Option<i64>, Option<i64>), ForemanError> {
    let of = |t: Taxonomy, key: &str| match path {
        Some((pt, raw)) if pt == t => taxonomy_id(t, Some(raw)),
        _ => taxonomy_id(t, q.get(key)),
    };
    Ok((
        of(Taxonomy::Location, "location_id")?,
        of(Taxonomy::Organization, "organization_id")?,
    ))
}

/// A positive integer of any size (foreman-v2 spec: "a `per_page` or `page` beyond 64
/// bits is a positive integer like any other"), saturated at `u64::MAX`: a page that far
/// is past the end, a page size that large asks for everything.
fn positive(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = s.trim_start_matches('0');
    if digits.is_empty() {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

/// `page` (default 1) and `per_page` (default 20; `None` for `all`).
///
/// # Errors
/// 400 (better than Foreman, which answers 500) for a value that is not a positive
/// integer (or `all`).
pub fn paging(q: &Query) -> Result<(u64, Option<u64>), ForemanError> {
    let given = |key: &str| q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty());
    let page = match given("page") {
        None => 1,
        Some(s) => positive(s).ok_or_else(|| {
            ForemanError::bad_request(format!("page must be a positive integer, not '{s}'"))
        })?,
    };
    let per_page = match given("per_page") {
        None => Some(20),
        Some(s) if s.eq_ignore_ascii_case("all") => None,
        Some(s) => Some(positive(s).ok_or_else(|| {
            ForemanError::bad_request(format!(
                "per_page must be a positive integer or 'all', not '{s}'"
            ))
        })?),
    };
    Ok((page, per_page))
}

/// The page to read (`None`: all).
pub fn page_request(page: u64, per_page: Option<u64>) -> Option<PageRequest> {
    per_page.map(|n| PageRequest {
        limit: u32::try_from(n).unwrap_or(u32::MAX),
        offset: (page - 1).saturating_mul(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_beyond_64_bits_is_a_positive_integer() {
        let q = |pairs: &[(&str, &str)]| {
            Query::from_iter(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
        };
        let huge = "99999999999999999999999";
        assert_eq!(
            paging(&q(&[("page", huge), ("per_page", huge)])).ok(),
            Some((u64::MAX, Some(u64::MAX)))
        );
        assert!(paging(&q(&[("per_page", "0")])).is_err());
        assert!(paging(&q(&[("per_page", "000")])).is_err());
        assert!(paging(&q(&[("page", "-1")])).is_err());
        assert!(paging(&q(&[("page", "1e3")])).is_err());
    }

    #[test]
    fn ids_are_their_leading_digits() {
        assert_eq!(leading_number("3-foo"), Some(3));
        assert_eq!(leading_number("42.json"), Some(42));
        assert_eq!(leading_number("foo"), None);
        assert_eq!(leading_number("99999999999999999999"), None);
    }

    #[test]
    fn paging_takes_positive_integers_or_all() {
        let q = |pairs: &[(&str, &str)]| -> Query {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert_eq!(paging(&q(&[])).ok(), Some((1, Some(20))));
        assert_eq!(
            paging(&q(&[("page", "2"), ("per_page", "ALL")])).ok(),
            Some((2, None))
        );
        assert!(paging(&q(&[("page", "0")])).is_err());
        assert!(paging(&q(&[("per_page", "x")])).is_err());
        assert_eq!(
            page_request(3, Some(10)),
            Some(PageRequest {
                limit: 10,
                offset: 20
            })
        );
    }

    #[test]
    fn the_path_names_its_taxonomy() {
        let mut q = Query::new();
        q.insert("location_id".into(), "7".into());
        q.insert("organization_id".into(), "".into());
        let org = "13-finance".to_owned();
        assert_eq!(
            scope(&q, Some((Taxonomy::Organization, &org))).ok(),
            Some((Some(7), Some(13)))
        );
        let bad = "x".to_owned();
        assert!(scope(&q, Some((Taxonomy::Location, &bad))).is_err());
    }
}
