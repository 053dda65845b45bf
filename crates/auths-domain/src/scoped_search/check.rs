//! Typing a parsed query against a resource's fields: fields become the resource's
//! field enum, values integers, text or wildcard patterns, with Foreman's messages for
//! what cannot be run.

use std::fmt::Debug;

use super::{Op, Query, QueryError};
use crate::values::fold_case;

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Whole numbers.
    Integer,
    /// Text.
    String,
}

/// The searchable fields of one resource, as a closed enum.
pub trait SearchField: Copy + Eq + Debug + 'static {
    /// Every field.
    const ALL: &'static [Self];
    /// The field's name in queries.
    fn name(self) -> &'static str;
    /// Its type.
    fn ty(self) -> FieldType;
}

/// A `~` pattern: case-folded text in which `*` stands for any run of characters.
/// Without a `*` it matches anywhere (a substring), as Foreman's does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<String>,
    anchored: bool,
}

impl Pattern {
    /// The pattern of `raw`, as written after `~`.
    pub fn new(raw: &str) -> Self {
        let folded = fold_case(raw);
        Self {
            anchored: folded.contains('*'),
            pieces: folded.split('*').map(str::to_owned).collect(),
        }
    }

    /// The literal pieces between wildcards, case-folded, in order (at least one).
    pub fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// Whether the pattern is anchored at both ends (it had a `*`); otherwise it
    /// matches anywhere in the text.
    pub const fn anchored(&self) -> bool {
        self.anchored
    }

    /// Whether `text` (compared case-folded) matches.
    pub fn matches(&self, text: &str) -> bool {
        let text = fold_case(text);
        if !self.anchored {
            return self.pieces.iter().all(|p| text.contains(p.as_str()));
        }
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return true,
        };
        let Some(mut left) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return left.is_empty();
        };
        for piece in middle {
            match left.find(piece.as_str()) {
                Some(at) => left = &left[at + piece.len()..],
                None => return false,
            }
        }
        left.len() >= last.len() && left.ends_with(last.as_str())
    }
}

/// A checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// For integer fields.
    Int(i64),
    /// For string fields: exact text for `=`, `<>`, `^`, ..., compared case-folded.
    Text(String),
    /// For string fields after `~` and `!~`.
    Pattern(Pattern),
}

/// A checked query: fields resolved to the resource's enum, values typed. The store
/// compiles it to SQL with bound parameters; [`super::matches()`] evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter<F> {
    /// Both.
    And(Box<Filter<F>>, Box<Filter<F>>),
    /// Either.
    Or(Box<Filter<F>>, Box<Filter<F>>),
    /// Not.
    Not(Box<Filter<F>>),
    /// One condition.
    Term {
        /// The field.
        field: F,
        /// The operator.
        op: Op,
        /// The values (none for `set?`/`null?`, several for `^` and `!^`).
        values: Vec<Value>,
    },
}

impl<F> Filter<F> {
    /// How many conditions it holds.
    pub fn terms(&self) -> usize {
        match self {
            Self::And(a, b) | Self::Or(a, b) => a.terms() + b.terms(),
            Self::Not(a) => a.terms(),
            Self::Term { .. } => 1,
        }
    }
}

fn field_named<F: SearchField>(name: &str) -> Option<F> {
    F::ALL
        .iter()
        .copied()
        .find(|f| f.name().eq_ignore_ascii_case(name))
}

/// Checks a parsed query against the fields of `F`; bare words search `default`.
///
/// # Errors
/// Foreman's messages: an unknown field, a value that is not an integer for an integer
/// field, a like on an integer field.
pub fn check<F: SearchField>(query: &Query, default: F) -> Result<Filter<F>, QueryError> {
    Ok(match query {
        Query::And(a, b) => Filter::And(Box::new(check(a, default)?), Box::new(check(b, default)?)),
        Query::Or(a, b) => Filter::Or(Box::new(check(a, default)?), Box::new(check(b, default)?)),
        Query::Not(a) => Filter::Not(Box::new(check(a, default)?)),
        Query::Cond { field, op, values } => {
            let f = match field {
                None => default,
                Some(name) => field_named(name).ok_or_else(|| QueryError::UnknownField {
                    field: name.clone(),
                })?,
            };
            let typed = match (f.ty(), op) {
                (FieldType::Integer, Op::Like | Op::NotLike) => {
                    return Err(QueryError::LikeOnInteger);
                }
                (FieldType::Integer, _) => values
                    .iter()
                    .map(|v| {
                        v.trim().parse::<i64>().map(Value::Int).map_err(|_| {
                            QueryError::InvalidValue {
                                value: v.clone(),
                                field: f.name(),
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                (FieldType::String, Op::Like | Op::NotLike) => values
                    .iter()
                    .map(|v| Value::Pattern(Pattern::new(v)))
                    .collect(),
                (FieldType::String, _) => values.iter().map(|v| Value::Text(v.clone())).collect(),
            };
            Filter::Term {
                field: f,
                op: *op,
                values: typed,
            }
        }
    })
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// Parses `order` (`field [ASC|DESC]`) against the sortable fields; answers the field
/// and the direction as given (`None` when only a field is given).
///
/// # Errors
/// Foreman's message for an unknown field; a direction that is neither ASC nor DESC.
pub fn parse_order<F: SearchField>(
    order: &str,
    sortable: &[F],
) -> Result<(F, Option<Direction>), QueryError> {
    let mut words = order.split_whitespace();
    let field = words.next().unwrap_or("");
    let Some(f) = sortable
        .iter()
        .copied()
        .find(|s| s.name().eq_ignore_ascii_case(field))
    else {
        return Err(QueryError::UnknownOrderField {
            field: field.to_owned(),
        });
    };
    let dir = match words.next().map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("ASC") => Some(Direction::Asc),
        Some("DESC") => Some(Direction::Desc),
        Some(other) => {
            return Err(QueryError::BadDirection {
                direction: other.to_owned(),
            });
        }
    };
    if words.next().is_some() {
        return Err(QueryError::OrderSyntax);
    }
    Ok((f, dir))
}
