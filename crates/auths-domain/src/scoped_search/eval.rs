//! What a checked filter means, stated as a function over a record: the oracle the
//! store's SQL is tested against, and what an embedder evaluates without a database.
//!
//! - Text is compared case-folded; `~` takes a [`Pattern`].
//! - A field may hold several values (a record's locations): a condition holds when
//!   *any* value meets it, the negated ones (`!=`, `!~`, `!^`) included ("a record
//!   matches if any of its taxonomies matches", foreman-v2 spec: `organization_id !=
//!   13` finds a record in 13 and 14, not one in none); `null?` holds when there is no
//!   value. For a single-valued field this is the plain reading.

use std::cmp::Ordering;

use super::Op;
use super::check::{Filter, SearchField, Value};
use crate::values::fold_case;

/// The values a record holds for one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values<'a> {
    /// Of an integer field.
    Ints(Vec<i64>),
    /// Of a string field.
    Texts(Vec<&'a str>),
}

/// A record a filter over the fields `F` can be evaluated against.
pub trait FieldValues<F> {
    /// The record's values for `field` (none, one or several).
    fn values(&self, field: F) -> Values<'_>;
}

fn compare(x: &Values<'_>, i: usize, v: &Value) -> Option<Ordering> {
    match (x, v) {
        (Values::Ints(xs), Value::Int(n)) => xs.get(i).map(|x| x.cmp(n)),
        (Values::Texts(xs), Value::Text(t)) => xs.get(i).map(|x| fold_case(x).cmp(&fold_case(t))),
        _ => None,
    }
}

fn like(x: &Values<'_>, i: usize, v: &Value) -> bool {
    match (x, v) {
        (Values::Texts(xs), Value::Pattern(p)) => xs.get(i).is_some_and(|x| p.matches(x)),
        _ => false,
    }
}

/// Whether any of the values meets the positive operator `op`.
fn any(values: &Values<'_>, op: Op, args: &[Value]) -> bool {
    let n = match values {
        Values::Ints(v) => v.len(),
        Values::Texts(v) => v.len(),
    };
    let first = args.first();
    let cmp = |i: usize, want: &[Ordering]| {
        first
            .and_then(|v| compare(values, i, v))
            .is_some_and(|o| want.contains(&o))
    };
    (0..n).any(|i| match op {
        Op::Set => true,
        Op::Eq => cmp(i, &[Ordering::Equal]),
        Op::Gt => cmp(i, &[Ordering::Greater]),
        Op::Lt => cmp(i, &[Ordering::Less]),
        Op::Ge => cmp(i, &[Ordering::Greater, Ordering::Equal]),
        Op::Le => cmp(i, &[Ordering::Less, Ordering::Equal]),
        Op::Like => first.is_some_and(|v| like(values, i, v)),
        Op::In => args
            .iter()
            .any(|v| compare(values, i, v) == Some(Ordering::Equal)),
        Op::Ne => first
            .and_then(|v| compare(values, i, v))
            .is_some_and(|o| o != Ordering::Equal),
        Op::NotLike => {
            first.is_some_and(|v| matches!(values, Values::Texts(_)) && !like(values, i, v))
        }
        Op::NotIn => args
            .iter()
            .all(|v| compare(values, i, v).is_some_and(|o| o != Ordering::Equal)),
        Op::Null => false,
    })
}

/// Whether `record` matches `filter`.
pub fn matches<F: SearchField, R: FieldValues<F>>(filter: &Filter<F>, record: &R) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, record) && matches(b, record),
        Filter::Or(a, b) => matches(a, record) || matches(b, record),
        Filter::Not(a) => !matches(a, record),
        Filter::Term { field, op, values } => {
            let held = record.values(*field);
            match op {
                Op::Null => !any(&held, Op::Set, values),
                _ => any(&held, *op, values),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::{ExternalField, ExternalRecord, Taxon};
    use crate::scoped_search::Pattern;
    use crate::scoped_search::{check, parse};

    fn record() -> ExternalRecord {
        ExternalRecord {
            number: 7,
            name: "Corp LDAP".into(),
            locations: vec![Taxon {
                number: 20,
                label: "Berlin".into(),
            }],
            organizations: vec![
                Taxon {
                    number: 13,
                    label: "Finance".into(),
                },
                Taxon {
                    number: 14,
                    label: "HR".into(),
                },
            ],
            host: Some("ldap.example.com".into()),
        }
    }

    fn holds(q: &str, r: &ExternalRecord) -> bool {
        let query = parse(q).unwrap().unwrap();
        matches(&check(&query, ExternalField::Name).unwrap(), r)
    }

    #[test]
    fn positive_conditions_need_any_value_negative_ones_none() {
        let r = record();
        for (q, want) in [
            ("corp", true),
            ("name = \"corp ldap\"", true),
            ("name ~ c*p", true),
            ("name ~ c*x", false),
            ("name ~ *ldap", true),
            ("name !~ ldap", false),
            ("id = 7", true),
            ("id > 6 and id <= 7", true),
            ("id ^ (1, 7)", true),
            ("id !^ (7)", false),
            ("organization_id = 14", true),
            ("organization_id != 13", true),
            ("organization_id != 15", true),
            ("organization = hr", true),
            ("location !~ ber", false),
            ("set? location", true),
            ("null? location", false),
            ("not (id = 7) or name = x", false),
        ] {
            assert_eq!(holds(q, &r), want, "{q}");
        }
        let mut none = record();
        none.organizations.clear();
        assert!(!holds("organization_id != 13", &none), "in none: no match");
        assert!(holds("null? organization", &none));
        assert!(!holds("organization_id = 13", &none));
    }

    #[test]
    fn patterns_anchor_only_with_a_star() {
        let p = Pattern::new("Ad*n");
        assert!(p.matches("admin") && p.matches("ADMIN") && !p.matches("xadmin"));
        assert!(Pattern::new("dmi").matches("admin"));
        assert!(Pattern::new("a*b*c").matches("a-b-c") && !Pattern::new("a*b*c").matches("a-c-b"));
        assert!(Pattern::new("*").matches(""));
        assert!(
            !Pattern::new("ab*ba").matches("aba"),
            "pieces may not overlap"
        );
        assert!(
            Pattern::new("50%_x").matches("a50%_x"),
            "% and _ are literal"
        );
    }
}
